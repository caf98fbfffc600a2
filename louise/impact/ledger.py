"""Building the impact ledger of a day from its published plan and the van counterfactual.

Rules (docs/impact.md):
- a day is built from its **published** plan; a day without one has nothing to build;
- a route's metres: the plan's, or — once the courier closed the route (its end stop
  completed) — the metres of the stops actually visited: start, every completed or failed
  pickup or delivery, end; a ride past skipped stops is the crow-flight distance × the
  route's detour (1.35, as the ETA recomputation reckons it);
- **allocation:** each route's metres go to its legs by their share of the route's visited
  stops (a leg picked up and delivered on the route: two shares), each van route's metres to
  its legs the same way on the van plan; integer metres, largest-remainder rounding, so the
  rows of a day add up exactly to the day's bike, e-car and van metres;
- a leg none of whose stops was visited (taken off the route) has no row and is not in the
  van plan;
- CO2e per row, in integer milligrams: electricity = metres × kWh/km × g/kWh, van = metres ×
  g/km (1 m × 1 g/km = 1 mg); avoided = van − electricity; avoided metres = van − bike −
  e-car;
- **append-only:** :func:`build_ledger` writes version 1 of a day that has none;
  :func:`rebuild` writes version n + 1 for every day of a range that has a published plan
  and leaves the older rows as they are; readers take the newest version of each day.

When: an operator command (``flask impact-build``, daily after the evening wave, e.g. from
cron at 23:00; ``flask impact-rebuild`` after corrections or new factors). Publishing a plan
does not build the ledger: the van plan takes a planner run of its own, and the courier's
records come later that evening.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.bookings.models import Leg
from louise.db import commit_unique
from louise.dispatch.models import (
    Plan,
    PlanRoute,
    PlanStatus,
    PlanStop,
    StopStatus,
    StopType,
)
from louise.errors import Conflict, NotFound
from louise.fleet.models import Vehicle, VehicleKind
from louise.geo.distance import haversine_m
from louise.impact import factors as factor_table
from louise.impact.allocation import largest_remainder
from louise.impact.counterfactual import VanFleet, VanPlan, plan_vans
from louise.impact.models import ImpactDay, LedgerRow

#: Streets over crow-flight for a ride past skipped stops (as louise.dispatch.courier.etas).
RIDE_DETOUR = 1.35
VISITED = (StopStatus.COMPLETED, StopStatus.FAILED)
BIKE, ECAR = "bike", "ecar"


class NoPublishedPlan(NotFound):
    code = "no_published_plan"


class LedgerExists(Conflict):
    code = "ledger_exists"


@dataclass(frozen=True)
class ImpactSettings:
    """What a build needs besides the session: the hub, the van fleet, the factors."""

    hub: tuple[float, float]  # lat, lon
    fleet: VanFleet = field(default_factory=VanFleet)
    factors: factor_table.Factors = field(default_factory=factor_table.factors)


@dataclass(frozen=True)
class RouteUsage:
    """What one route of the plan rode: metres, each leg's share, where the metres came from."""

    route_id: int
    mode: str
    metres: int
    shares: dict[int, int]
    source: str  # "plan" | "recorded"


@dataclass(frozen=True)
class BuiltDay:
    day: date
    ledger_version: int
    factor_set_version: int
    plan_id: int
    legs: int
    bike_m: int
    ecar_m: int
    van_m: int
    vans: int


def published_plan(session: Session, day: date) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.day == day, Plan.status == PlanStatus.PUBLISHED))
    if plan is None:
        raise NoPublishedPlan(f"{day.isoformat()} has no published plan: nothing to build.")
    return plan


def route_usage(route: PlanRoute, kind: VehicleKind) -> RouteUsage:
    """A route's metres and its legs' shares, from the plan or from the courier's records."""
    mode = BIKE if kind == VehicleKind.BIKE else ECAR
    places = [s for s in route.stops if s.type != StopType.BREAK]  # a break does not move
    end = places[-1] if places else None
    closed = end is not None and end.type == StopType.END and end.status == StopStatus.COMPLETED
    tasks = [s for s in places if s.type in (StopType.PICKUP, StopType.DELIVERY)]
    if not closed:
        shares: dict[int, int] = {}
        for stop in tasks:
            if stop.leg_id is not None and stop.status != StopStatus.SKIPPED:
                shares[stop.leg_id] = shares.get(stop.leg_id, 0) + 1
        return RouteUsage(route.id, mode, round(route.distance_m), shares, "plan")
    visited = [
        i
        for i, s in enumerate(places)
        if s.type in (StopType.START, StopType.END) or s.status in VISITED
    ]
    metres = 0.0
    for a, b in itertools.pairwise(visited):
        metres += _ride(places, a, b)
    shares = {}
    for i in visited:
        leg_id = places[i].leg_id
        if leg_id is not None:
            shares[leg_id] = shares.get(leg_id, 0) + 1
    return RouteUsage(route.id, mode, round(metres), shares, "recorded")


def _ride(places: Sequence[PlanStop], a: int, b: int) -> float:
    if b == a + 1:  # the planned ride: the difference of the cumulated distances
        return max(0.0, places[b].distance_m - places[a].distance_m)
    return RIDE_DETOUR * haversine_m(places[a].lat, places[a].lon, places[b].lat, places[b].lon)


@dataclass
class _Leg:
    """The ledger's working copy of one leg's row."""

    leg: Leg
    route_id: int
    mode: str
    source: str
    bike_m: int = 0
    ecar_m: int = 0
    van_m: int = 0


def _latest_version(session: Session, day: date) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.max(ImpactDay.ledger_version), 0)).where(ImpactDay.day == day)
        )
        or 0
    )


def _write_day(session: Session, day: date, settings: ImpactSettings, version: int) -> BuiltDay:
    """Compute the day and add its rows as ledger ``version`` (the caller commits)."""
    plan = published_plan(session, day)
    kinds: dict[int, VehicleKind] = {
        vehicle_id: kind
        for vehicle_id, kind in session.execute(
            select(Vehicle.id, Vehicle.kind).where(
                Vehicle.id.in_({route.vehicle_id for route in plan.routes})
            )
        ).tuples()
    }
    usages = [route_usage(route, kinds[route.vehicle_id]) for route in plan.routes]
    served: dict[int, _Leg] = {}
    for usage in usages:
        legs_of_route = [leg_id for leg_id, share in usage.shares.items() if share > 0]
        for leg_id in legs_of_route:
            if leg_id not in served:
                leg = session.get(Leg, leg_id)
                assert leg is not None
                served[leg_id] = _Leg(leg, usage.route_id, usage.mode, usage.source)
        if not usage.shares:
            # every stop taken off a route not yet ridden: nobody rides it, nothing to count
            continue
        for leg_id, metres in largest_remainder(usage.metres, usage.shares).items():
            if usage.mode == BIKE:
                served[leg_id].bike_m += metres
            else:
                served[leg_id].ecar_m += metres
    van_plan: VanPlan | None = plan_vans(
        day, [item.leg for item in served.values()], settings.hub, settings.fleet
    )
    if van_plan is not None:
        for van, metres in van_plan.metres_of_van.items():
            shares = {leg_id: 2 for leg_id, v in van_plan.van_of_leg.items() if v == van}
            for leg_id, part in largest_remainder(metres, shares).items():
                served[leg_id].van_m += part
    table = settings.factors
    set_version = factor_table.factor_set_version(session, table)
    van_g_km = table.value(factor_table.VAN_DIESEL)
    grid = table.value(factor_table.GRID)
    bike_g_km = table.value(factor_table.BIKE_ENERGY) * grid
    ecar_g_km = table.value(factor_table.ECAR_ENERGY) * grid
    totals = {"bike": 0, "ecar": 0, "van": 0}
    for leg_id in sorted(served):
        item = served[leg_id]
        booking = item.leg.booking
        electric = round(item.bike_m * bike_g_km) + round(item.ecar_m * ecar_g_km)
        van = round(item.van_m * van_g_km)
        session.add(
            LedgerRow(
                day=day,
                ledger_version=version,
                factor_set_id=set_version,
                leg_id=leg_id,
                booking_id=booking.id,
                merchant_id=booking.merchant_id,
                district=booking.district,
                mode=item.mode,
                route_id=item.route_id,
                km_source=item.source,
                bike_m=item.bike_m,
                ecar_m=item.ecar_m,
                van_m=item.van_m,
                avoided_m=item.van_m - item.bike_m - item.ecar_m,
                electric_co2e_mg=electric,
                van_co2e_mg=van,
                avoided_co2e_mg=van - electric,
            )
        )
        totals["bike"] += item.bike_m
        totals["ecar"] += item.ecar_m
        totals["van"] += item.van_m
    built = BuiltDay(
        day=day,
        ledger_version=version,
        factor_set_version=set_version,
        plan_id=plan.id,
        legs=len(served),
        bike_m=totals["bike"],
        ecar_m=totals["ecar"],
        van_m=totals["van"],
        vans=van_plan.vans if van_plan is not None else 0,
    )
    session.add(
        ImpactDay(
            day=day,
            ledger_version=version,
            factor_set_id=set_version,
            plan_id=plan.id,
            legs=built.legs,
            bike_m=built.bike_m,
            ecar_m=built.ecar_m,
            van_m=built.van_m,
            vans=built.vans,
        )
    )
    return built


def _commit(session: Session, day: date) -> None:
    commit_unique(
        session,
        lambda: LedgerExists(
            f"The impact ledger of {day.isoformat()} was written by another build meanwhile."
        ),
    )


def build_ledger(session: Session, day: date, settings: ImpactSettings) -> BuiltDay:
    """Write the first ledger version of ``day`` (409 ``ledger_exists`` if it has one: use
    :func:`rebuild`; 404 ``no_published_plan`` without a published plan). One commit."""
    try:
        if _latest_version(session, day):
            raise LedgerExists(
                f"The impact ledger of {day.isoformat()} exists; rebuild it to write a new version."
            )
        built = _write_day(session, day, settings, 1)
    except BaseException:
        session.rollback()
        raise
    _commit(session, day)
    return built


def rebuild(
    session: Session, first_day: date, last_day: date, settings: ImpactSettings
) -> list[BuiltDay]:
    """Write a new ledger version for every day from ``first_day`` to ``last_day`` that has
    a published plan (days without one are skipped); older versions stay untouched.

    Commits once per day, on purpose: a month is thirty planner runs, and a failure on one
    day (e.g. a leg no van can serve) keeps the days done before it."""
    if last_day < first_day:
        raise ValueError("the range ends before it starts")
    out: list[BuiltDay] = []
    day = first_day
    while day <= last_day:
        try:
            published_plan(session, day)
        except NoPublishedPlan:
            day += timedelta(days=1)
            continue
        try:
            built = _write_day(session, day, settings, _latest_version(session, day) + 1)
        except BaseException:
            session.rollback()
            raise
        _commit(session, day)
        out.append(built)
        day += timedelta(days=1)
    return out
