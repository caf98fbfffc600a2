"""ETAs: after a stop is completed or failed at ``now``, the ETAs of the route's later pending
stops are recomputed forward from ``now`` (skipped stops are not ridden to); stops taken off a
route recompute it from its last recorded stop."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import object_session

from louise.dispatch.courier.common import stops_in_order
from louise.dispatch.models import PlanRoute, PlanStop, StopStatus, StopType
from louise.fleet.models import Vehicle
from louise.geo.distance import haversine_m

DETOUR = 1.35  # streets over the crow's line, as the planner's haversine matrix assumes
DEFAULT_SPEED_KMH = 15.0


def ride_seconds(
    lat1: float, lon1: float, lat2: float, lon2: float, speed_kmh: float
) -> tuple[float, float]:
    """Distance (m, street estimate) and riding time (s) between two places."""
    metres = haversine_m(lat1, lon1, lat2, lon2) * DETOUR
    return metres, round(metres / (speed_kmh / 3.6))


def last_place(stops: list[PlanStop]) -> PlanStop | None:
    """The last of ``stops`` the courier rides to (breaks have no place, skipped stops are
    not ridden to)."""
    places = [s for s in stops if s.type != StopType.BREAK and s.status != StopStatus.SKIPPED]
    return places[-1] if places else None


def departure_of(stop: PlanStop) -> datetime:
    if stop.done_at is not None:
        return stop.done_at
    if stop.status == StopStatus.SKIPPED:
        return stop.eta
    start = stop.arrived_at or stop.eta
    return start + timedelta(seconds=stop.waiting_s + stop.service_s)


def recompute_etas(route: PlanRoute, done: PlanStop, now: datetime) -> None:
    """Later pending stops: eta = max(previous departure + travel, window start), where the
    departure from ``done`` is ``now`` and from a pending stop its eta + service time (the
    wait is folded into the eta, so ``waiting_s`` becomes 0)."""
    _recompute_from(route, done, now)


def reflow(route: PlanRoute, now: datetime) -> None:
    """Recompute the pending stops after the last recorded one (or after the start, before
    the route began) — used when stops are taken off the route."""
    ordered = stops_in_order(route)
    recorded = [s for s in ordered if s.status not in (StopStatus.PENDING, StopStatus.SKIPPED)]
    anchor = recorded[-1] if recorded else ordered[0]
    if anchor.status == StopStatus.ARRIVED:
        departure = max(departure_of(anchor), now)
    else:
        departure = departure_of(anchor)
    _recompute_from(route, anchor, departure)


def _recompute_from(route: PlanRoute, anchor: PlanStop, departure: datetime) -> None:
    """Skipped stops are not ridden to: the ride goes straight from the last place passed to
    the next stop (its ``travel_s`` is updated to that ride)."""
    ordered = stops_in_order(route)
    index = ordered.index(anchor)
    floor = departure
    place = last_place(ordered[: index + 1]) or anchor
    detour = False
    session = object_session(route)
    vehicle = session.get(Vehicle, route.vehicle_id) if session is not None else None
    speed = vehicle.speed_kmh if vehicle is not None else DEFAULT_SPEED_KMH
    for stop in ordered[index + 1 :]:
        if stop.status == StopStatus.SKIPPED:
            detour = True
            continue
        if stop.type != StopType.BREAK:  # a break is taken wherever the courier is
            if detour:
                _, travel = ride_seconds(place.lat, place.lon, stop.lat, stop.lon, speed)
                stop.travel_s = float(travel)
                detour = False
            place = stop
        if stop.status == StopStatus.PENDING:
            eta = departure + timedelta(seconds=stop.travel_s)
            if stop.window_start is not None and stop.window_start > eta:
                eta = stop.window_start
            stop.eta = eta
            stop.waiting_s = 0.0
            departure = eta + timedelta(seconds=stop.service_s)
        else:
            departure = max(departure_of(stop), floor)
    last = ordered[-1]
    if last.type == StopType.END and last.status == StopStatus.PENDING:
        route.ends_at = last.eta
