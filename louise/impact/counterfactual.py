"""The counterfactual: the same day's legs planned for a fleet of diesel vans.

Rules (docs/impact.md, "The counterfactual"):
- the legs are the ones the bikes and the e-car carried (the ledger's legs of the day), each a
  paired pickup and delivery with the same time windows and parcel as on the bike plan;
- the vans start and end at the same hub and may serve every district;
- a van drives the road network: crow-flight distance × ``detour`` (larger than the bike's
  1.35: no contraflow cycling, no cut-throughs, one-way streets) at ``speed_kmh`` (urban
  average), carries ``capacity_l`` / ``capacity_kg``, and needs ``parking_s`` more at every
  stop than the bike (finding a place to stop, walking to the door);
- enough vans that every leg is served: an estimate from the legs' volume, weight and stop
  time, doubled while the planner leaves a leg out (each van has a fixed cost, so the planner
  uses no more vans than it needs);
- the plan is louise's own planner's and passes the independent validator, else nothing is
  stored.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from louise.bookings.models import Leg
from louise.dispatch import adapters
from louise.errors import InvalidState
from louise.routing.matrix import HaversineProvider, ProfileSpeed, with_matrices
from louise.routing.problem import Costs, Location, Problem, Shipment, Task, TimeWindow, Vehicle
from louise.routing.solution import Solution
from louise.routing.solver import SolveOptions, solve
from louise.routing.validate import ValidationReport, validate

VAN_PROFILE = "van"
#: A van's fixed cost in the planner's units (seconds of driving): fewer vans first.
VAN_FIXED_COST = 4 * 3600.0
#: Vans are on duty from an hour before the first window to three hours after the last.
DUTY_BEFORE_S = 3600.0
DUTY_AFTER_S = 3 * 3600.0


log = logging.getLogger(__name__)


class CounterfactualFailed(InvalidState):
    """The van plan could not be made (a leg no van can serve, or the validator refused)."""

    code = "counterfactual_failed"


@dataclass(frozen=True)
class VanFleet:
    """The conventional fleet the bikes are compared with (docs/configuration.md)."""

    speed_kmh: float = 22.0
    detour: float = 1.5
    capacity_l: float = 3000.0
    capacity_kg: float = 800.0
    parking_s: float = 180.0
    time_limit: float = 3.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.speed_kmh > 0 or not self.detour >= 1:
            raise ValueError("a van needs speed_kmh > 0 and detour >= 1")
        if not self.capacity_l > 0 or not self.capacity_kg > 0:
            raise ValueError("a van needs a capacity > 0")
        if self.parking_s < 0 or not self.time_limit > 0:
            raise ValueError("parking_s must be >= 0 and time_limit > 0")


@dataclass(frozen=True)
class VanPlan:
    """The van plan of a day: which van carries each leg, each van's metres, the check."""

    problem: Problem
    solution: Solution
    report: ValidationReport
    van_of_leg: dict[int, int]
    metres_of_van: dict[int, int]

    @property
    def vans(self) -> int:
        return len(self.metres_of_van)

    @property
    def metres(self) -> int:
        return sum(self.metres_of_van.values())


@dataclass(frozen=True)
class VanLeg:
    """One leg as the van plan sees it: plain values, read before the search (no database
    while the planner runs). Times are seconds after the day's local midnight."""

    id: int
    pickup: tuple[float, float]  # lat, lon
    delivery: tuple[float, float]
    pickup_service_s: float  # the bike's service time there; the van adds its parking
    delivery_service_s: float
    pickup_window: tuple[float, float]
    delivery_window: tuple[float, float]
    volume_l: float
    weight_kg: float


def van_legs(day: date, legs: Sequence[Leg]) -> list[VanLeg]:
    """The legs of ``day`` as plain values (reads each leg's booking for its parcel)."""
    origin = adapters.day_origin(day)

    def at(moment: datetime) -> float:
        return adapters.to_seconds(moment, origin)

    return [
        VanLeg(
            id=leg.id,
            pickup=(leg.origin_lat, leg.origin_lon),
            delivery=(leg.dest_lat, leg.dest_lon),
            pickup_service_s=adapters.SERVICE_SECONDS[leg.origin_kind],
            delivery_service_s=adapters.SERVICE_SECONDS[leg.dest_kind],
            pickup_window=(at(leg.pickup_start), at(leg.pickup_end)),
            delivery_window=(at(leg.delivery_start), at(leg.delivery_end)),
            volume_l=leg.booking.volume_l,
            weight_kg=leg.booking.weight_kg,
        )
        for leg in sorted(legs, key=lambda leg: leg.id)
    ]


def vans_needed(legs: Sequence[VanLeg], fleet: VanFleet) -> int:
    """A first estimate of the vans the legs need: volume, weight, and the stop time that
    fits in the day's span (the planner is asked again with twice as many if it was short)."""
    if not legs:
        return 0
    stop_s = sum(
        leg.pickup_service_s + leg.delivery_service_s + 2 * fleet.parking_s for leg in legs
    )
    span = max(
        3600.0,
        max(leg.delivery_window[1] for leg in legs) - min(leg.pickup_window[0] for leg in legs),
    )
    return max(
        1,
        math.ceil(sum(leg.volume_l for leg in legs) / fleet.capacity_l),
        math.ceil(sum(leg.weight_kg for leg in legs) / fleet.capacity_kg),
        math.ceil(stop_s / span),
    )


def van_problem(
    legs: Sequence[VanLeg],
    hub: tuple[float, float],
    fleet: VanFleet,
    vans: int,
    relaxed: frozenset[int] = frozenset(),
) -> Problem:
    """``vans`` diesel vans from ``hub`` (lat, lon) and every leg as a shipment, with the
    van's travel matrices (the same the validator checks against). The legs in ``relaxed``
    may be served any time the vans are on duty."""
    hub_location = Location.at(hub[1], hub[0])
    first = min(leg.pickup_window[0] for leg in legs)
    last = max(leg.delivery_window[1] for leg in legs)
    duty = TimeWindow(max(0.0, first - DUTY_BEFORE_S), last + DUTY_AFTER_S)
    vehicles = [
        Vehicle(
            id=n,
            start=hub_location,
            end=hub_location,
            profile=VAN_PROFILE,
            capacity=(fleet.capacity_l, fleet.capacity_kg),
            time_window=duty,
            costs=Costs(fixed=VAN_FIXED_COST, per_hour=3600.0),
            description=f"Diesel van {n}",
        )
        for n in range(1, vans + 1)
    ]
    shipments = [
        Shipment(
            pickup=Task(
                id=leg.id,
                location=Location.at(leg.pickup[1], leg.pickup[0]),
                service=leg.pickup_service_s + fleet.parking_s,
                time_windows=(duty if leg.id in relaxed else TimeWindow(*leg.pickup_window),),
            ),
            delivery=Task(
                id=leg.id,
                location=Location.at(leg.delivery[1], leg.delivery[0]),
                service=leg.delivery_service_s + fleet.parking_s,
                time_windows=(duty if leg.id in relaxed else TimeWindow(*leg.delivery_window),),
            ),
            amount=(leg.volume_l, leg.weight_kg),
        )
        for leg in legs
    ]
    provider = HaversineProvider(speeds={VAN_PROFILE: ProfileSpeed(fleet.speed_kmh, fleet.detour)})
    return with_matrices(Problem(vehicles=vehicles, shipments=shipments), provider)


def plan_vans(
    legs: Sequence[VanLeg], hub: tuple[float, float], fleet: VanFleet, *, day: str = "the day"
) -> VanPlan | None:
    """The van plan for ``legs`` (None without legs); raises :class:`CounterfactualFailed`
    when a leg stays unserved with one van per leg, or the validator refuses the plan.
    Pure: no database (the caller ends its transaction before, see ``ledger``)."""
    if not legs:
        return None
    vans = vans_needed(legs, fleet)
    relaxed: frozenset[int] = frozenset()
    while True:
        problem = van_problem(legs, hub, fleet, vans, relaxed)
        solution = solve(
            problem, SolveOptions(time_limit=fleet.time_limit, seed=fleet.seed, threads=1)
        )
        if not solution.unassigned:
            break
        if vans >= len(legs):
            left = frozenset(u.id for u in solution.unassigned if u.id is not None)
            if relaxed or not left:
                raise CounterfactualFailed(
                    f"no van plan for {day} serves leg(s) "
                    f"{', '.join(map(str, sorted(left)))}: {solution.unassigned[0].message}"
                )
            # a van could not keep the bike's window for these legs (slower through town,
            # parking): it would have come anyway, later; their km still count
            relaxed = left
            log.warning(
                "van plan for %s: leg(s) %s planned without their windows",
                day,
                ", ".join(map(str, sorted(left))),
            )
            continue
        vans = min(len(legs), 2 * vans)
    report = validate(problem, solution)
    if not report.ok:
        raise CounterfactualFailed(f"the van plan for {day} failed validation: {report}")
    van_of_leg: dict[int, int] = {}
    metres: dict[int, int] = {}
    for route in solution.routes:
        if not route.tasks:
            continue
        metres[route.vehicle] = round(route.distance)
        for step in route.tasks:
            assert step.id is not None
            van_of_leg[step.id] = route.vehicle
    return VanPlan(problem, solution, report, van_of_leg, metres)
