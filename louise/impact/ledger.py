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

import contextlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

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
from louise.impact.counterfactual import VanFleet, VanLeg, VanPlan, plan_vans, van_legs
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
class _Row:
    """The ledger's working copy of one leg's row (plain values: no database while the van
    plan is searched)."""

    leg_id: int
    booking_id: int
    merchant_id: int
    district: str
    route_id: int
    mode: str
    source: str
    bike_m: int = 0
    ecar_m: int = 0
    van_m: int = 0


@dataclass
class _DayInput:
    day: date
    plan_id: int
    rows: dict[int, _Row]
    van_legs: list[VanLeg]


def _latest_version(session: Session, day: date) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.max(ImpactDay.ledger_version), 0)).where(ImpactDay.day == day)
        )
        or 0
    )


def _read_day(session: Session, day: date) -> _DayInput:
    """The published plan's routes, their metres split over their legs, and the legs as the
    van plan needs them."""
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
    leg_ids = {leg_id for usage in usages for leg_id in usage.shares}
    legs = {
        leg.id: leg
        for leg in session.scalars(
            select(Leg).where(Leg.id.in_(leg_ids)).options(selectinload(Leg.booking))
        )
    }
    rows: dict[int, _Row] = {}
    for usage in usages:
        if not usage.shares:
            # every stop taken off a route not yet ridden: nobody rides it, nothing to count
            continue
        for leg_id, metres in largest_remainder(usage.metres, usage.shares).items():
            if leg_id not in rows:
                booking = legs[leg_id].booking
                rows[leg_id] = _Row(
                    leg_id=leg_id,
                    booking_id=booking.id,
                    merchant_id=booking.merchant_id,
                    district=booking.district,
                    route_id=usage.route_id,
                    mode=usage.mode,
                    source=usage.source,
                )
            if usage.mode == BIKE:
                rows[leg_id].bike_m += metres
            else:
                rows[leg_id].ecar_m += metres
    return _DayInput(day, plan.id, rows, van_legs(day, [legs[leg_id] for leg_id in rows]))


def _store_day(
    session: Session,
    data: _DayInput,
    van_plan: VanPlan | None,
    table: factor_table.Factors,
    version: int,
) -> BuiltDay:
    """Add the day's rows as ledger ``version`` (the caller commits)."""
    rows = data.rows
    if van_plan is not None:
        for van, metres in van_plan.metres_of_van.items():
            shares = {leg_id: 2 for leg_id, v in van_plan.van_of_leg.items() if v == van}
            for leg_id, part in largest_remainder(metres, shares).items():
                rows[leg_id].van_m += part
    set_version = factor_table.factor_set_version(session, table)
    van_g_km = table.value(factor_table.VAN_DIESEL)
    grid = table.value(factor_table.GRID)
    bike_g_km = table.value(factor_table.BIKE_ENERGY) * grid
    ecar_g_km = table.value(factor_table.ECAR_ENERGY) * grid
    for leg_id in sorted(rows):
        row = rows[leg_id]
        electric = round(row.bike_m * bike_g_km) + round(row.ecar_m * ecar_g_km)
        van = round(row.van_m * van_g_km)
        session.add(
            LedgerRow(
                day=data.day,
                ledger_version=version,
                factor_set_id=set_version,
                leg_id=leg_id,
                booking_id=row.booking_id,
                merchant_id=row.merchant_id,
                district=row.district,
                mode=row.mode,
                route_id=row.route_id,
                km_source=row.source,
                bike_m=row.bike_m,
                ecar_m=row.ecar_m,
                van_m=row.van_m,
                avoided_m=row.van_m - row.bike_m - row.ecar_m,
                electric_co2e_mg=electric,
                van_co2e_mg=van,
                avoided_co2e_mg=van - electric,
            )
        )
    built = BuiltDay(
        day=data.day,
        ledger_version=version,
        factor_set_version=set_version,
        plan_id=data.plan_id,
        legs=len(rows),
        bike_m=sum(row.bike_m for row in rows.values()),
        ecar_m=sum(row.ecar_m for row in rows.values()),
        van_m=sum(row.van_m for row in rows.values()),
        vans=van_plan.vans if van_plan is not None else 0,
    )
    session.add(
        ImpactDay(
            day=data.day,
            ledger_version=version,
            factor_set_id=set_version,
            plan_id=data.plan_id,
            legs=built.legs,
            bike_m=built.bike_m,
            ecar_m=built.ecar_m,
            van_m=built.van_m,
            vans=built.vans,
        )
    )
    return built


def _build_day(session: Session, day: date, settings: ImpactSettings, *, first: bool) -> BuiltDay:
    """Read, search the van plan outside a transaction, write: one day, one commit.

    The read transaction ends before the search, as a planning run's does: on SQLite every
    transaction holds the write lock (``BEGIN IMMEDIATE``), and bookings would wait for the
    planner. Nothing is written before the search, so ending it loses nothing."""
    try:
        if first and _latest_version(session, day):
            raise LedgerExists(
                f"The impact ledger of {day.isoformat()} exists; rebuild it to write a new version."
            )
        data = _read_day(session, day)
        session.commit()  # ends the read transaction (nothing written)
        van_plan = plan_vans(data.van_legs, settings.hub, settings.fleet, day=day.isoformat())
        version = 1 if first else _latest_version(session, day) + 1
        built = _store_day(session, data, van_plan, settings.factors, version)
    except BaseException:
        session.rollback()
        raise
    _commit(session, day)
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
    :func:`rebuild`; 404 ``no_published_plan`` without a published plan). Nothing is written
    unless the whole day is (one commit of its rows)."""
    return _build_day(session, day, settings, first=True)


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
        with contextlib.suppress(NoPublishedPlan):  # nothing planned that day: skipped
            out.append(_build_day(session, day, settings, first=False))
        day += timedelta(days=1)
    return out
