"""Database rows ⇄ the planner's problem and solution.

The day's time origin is local midnight (Europe/Berlin): every time in the problem is seconds
after it, so a plan reads naturally in the VROOM JSON a dispatcher can download.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from louise.bookings import availability
from louise.bookings.models import Leg, StopKind
from louise.fleet.models import District, Shift, VehicleKind
from louise.localtime import BUSINESS_TZ
from louise.routing.matrix import DEFAULT_SPEEDS
from louise.routing.problem import (
    Break,
    Costs,
    Location,
    Problem,
    Shipment,
    Task,
    TimeWindow,
    Vehicle,
)
from louise.routing.solution import Solution

BERLIN = BUSINESS_TZ
LOCK_SKILL_BASE = 100_000  # skills above this pin a locked leg to its previous shift

#: Seconds spent at a stop, by kind: ringing, handing over, a signature.
SERVICE_SECONDS: Mapping[StopKind, int] = {
    StopKind.RESIDENT: 120,
    StopKind.SHOP: 180,
    StopKind.HUB: 120,
    StopKind.POINT: 90,
    StopKind.LOCKER: 90,
}
PROFILE = {VehicleKind.BIKE: "bike", VehicleKind.CAR: "car"}
PROFILE_SPEED_KMH = {kind: DEFAULT_SPEEDS[profile].speed_kmh for kind, profile in PROFILE.items()}
# An hour of the e-car costs more than an hour of a bike: bikes first where both fit.
PER_HOUR = {VehicleKind.BIKE: 3600.0, VehicleKind.CAR: 5400.0}


def day_origin(day: date, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def to_seconds(moment: datetime, origin: datetime) -> float:
    return max(0.0, (moment.astimezone(UTC) - origin).total_seconds())


def from_seconds(seconds: float, origin: datetime) -> datetime:
    return origin + timedelta(seconds=float(seconds))


@dataclass
class DayProblem:
    """The problem of a day and what its ids mean."""

    problem: Problem
    origin: datetime
    legs: dict[int, Leg]
    shifts: dict[int, Shift]
    skill_names: dict[int, str] = field(default_factory=dict)


def build_problem(
    day: date,
    legs: Sequence[Leg],
    shifts: Sequence[Shift],
    districts: Sequence[District],
    hub: tuple[float, float],
    *,
    locked_to: Mapping[int, int] | None = None,
    tz: ZoneInfo = BERLIN,
) -> DayProblem:
    """Every leg becomes a paired pickup and delivery (same vehicle, pickup first); every
    shift a vehicle starting and ending at the hub. Districts become skills; a locked leg
    keeps its shift through a skill of that shift alone (when the shift still exists)."""
    origin = day_origin(day, tz)
    ordered = sorted(districts, key=lambda d: (d.priority, d.id or 0))
    skill_of = {d.name: i + 1 for i, d in enumerate(ordered)}
    hub_location = Location.at(hub[1], hub[0])
    locked_to = locked_to or {}
    shift_ids = {s.id for s in shifts}

    vehicles = []
    for shift in sorted(shifts, key=lambda s: s.id):
        vehicle = shift.vehicle
        skills = {
            skill_of[d.name]
            for d in ordered
            if availability.vehicle_serves(vehicle.kind.value, vehicle.districts or [], d)
        }
        skills.add(LOCK_SKILL_BASE + shift.id)
        breaks = []
        for k, item in enumerate(shift.breaks or [], start=1):
            start = to_seconds(datetime.fromisoformat(item["start"]), origin)
            end = to_seconds(datetime.fromisoformat(item["end"]), origin)
            breaks.append(
                Break(k, (TimeWindow(start, end),), service=float(item.get("duration_s", 1800)))
            )
        vehicles.append(
            Vehicle(
                id=shift.id,
                start=hub_location,
                end=hub_location,
                profile=PROFILE[vehicle.kind],
                capacity=(vehicle.capacity_l, vehicle.capacity_kg),
                skills=frozenset(skills),
                time_window=TimeWindow(
                    to_seconds(shift.starts_at, origin), to_seconds(shift.ends_at, origin)
                ),
                breaks=tuple(breaks),
                costs=Costs(fixed=0, per_hour=PER_HOUR[vehicle.kind]),
                # The profile's matrix assumes its default speed; this vehicle's own speed
                # scales it (VROOM's speed_factor).
                speed_factor=min(5.0, vehicle.speed_kmh / PROFILE_SPEED_KMH[vehicle.kind]),
                description=f"{vehicle.name} / {shift.courier.name}",
            )
        )

    shipments = []
    for leg in sorted(legs, key=lambda leg: leg.id):
        booking = leg.booking
        district = availability.leg_need(ordered, leg).district
        needs: set[int] = set()
        if district is not None:
            needs.add(skill_of[district.name])
        if leg.id in locked_to and locked_to[leg.id] in shift_ids:
            needs.add(LOCK_SKILL_BASE + locked_to[leg.id])
        pickup_tw = TimeWindow(
            to_seconds(leg.pickup_start, origin), to_seconds(leg.pickup_end, origin)
        )
        delivery_tw = TimeWindow(
            to_seconds(leg.delivery_start, origin), to_seconds(leg.delivery_end, origin)
        )
        shipments.append(
            Shipment(
                pickup=Task(
                    id=leg.id,
                    location=Location.at(leg.origin_lon, leg.origin_lat),
                    service=SERVICE_SECONDS[leg.origin_kind],
                    time_windows=(pickup_tw,),
                    description=f"{booking.code} pickup",
                ),
                delivery=Task(
                    id=leg.id,
                    location=Location.at(leg.dest_lon, leg.dest_lat),
                    service=SERVICE_SECONDS[leg.dest_kind],
                    time_windows=(delivery_tw,),
                    description=f"{booking.code} delivery",
                ),
                amount=(booking.volume_l, booking.weight_kg),
                skills=frozenset(needs),
            )
        )
    problem = Problem(vehicles=vehicles, shipments=shipments)
    return DayProblem(
        problem=problem,
        origin=origin,
        legs={leg.id: leg for leg in legs},
        shifts={s.id: s for s in shifts},
        skill_names={v: k for k, v in skill_of.items()},
    )


def moved_legs(
    before: Mapping[int, int], after: Mapping[int, int]
) -> dict[str, list[dict[str, Any]]]:
    """What re-planning changed: legs that changed shift, new legs, legs dropped."""
    moved = [
        {"leg_id": leg, "from_shift": before[leg], "to_shift": after[leg]}
        for leg in sorted(before.keys() & after.keys())
        if before[leg] != after[leg]
    ]
    added = [
        {"leg_id": leg, "to_shift": after[leg]} for leg in sorted(after.keys() - before.keys())
    ]
    dropped = [
        {"leg_id": leg, "from_shift": before[leg]} for leg in sorted(before.keys() - after.keys())
    ]
    return {"moved": moved, "added": added, "dropped": dropped}


def assignment(solution: Solution) -> dict[int, int]:
    """Leg id → shift id of a solution."""
    out: dict[int, int] = {}
    for route in solution.routes:
        for step in route.steps:
            if step.type in ("pickup", "delivery") and step.id is not None:
                out[step.id] = route.vehicle
    return out
