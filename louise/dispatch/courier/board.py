"""Stops taken off the route because their bookings changed: dispatch's answer to the booking
rules (:class:`RouteBoard`, registered in ``create_app`` for :mod:`louise.bookings.on_route`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.bookings import on_route
from louise.bookings.models import Leg
from louise.dispatch.courier.common import LEG_STOPS, OPEN, skip_stop
from louise.dispatch.courier.etas import reflow
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop

# --- taken off the route (bookings changed) -------------------------------------------------


def _open_leg_stops(session: Session, leg_ids: list[int]) -> list[PlanStop]:
    """Open pickup and delivery stops of these legs on published plans, in route order."""
    if not leg_ids:
        return []
    return list(
        session.scalars(
            select(PlanStop)
            .join(PlanRoute, PlanStop.route_id == PlanRoute.id)
            .join(Plan, PlanRoute.plan_id == Plan.id)
            .where(
                Plan.status == PlanStatus.PUBLISHED,
                PlanStop.leg_id.in_(leg_ids),
                PlanStop.type.in_(LEG_STOPS),
                PlanStop.status.in_(OPEN),
            )
            .order_by(PlanStop.route_id, PlanStop.seq)
        ).all()
    )


def withdraw_legs(
    session: Session, legs: list[Leg], reason: str, text: str, now: datetime
) -> list[PlanStop]:
    """Take ``legs`` off the couriers' published routes: their open stops become skipped with
    ``reason`` and ``text`` (the courier sees why), and the later ETAs of each route are
    recomputed without them. No commit: the booking rule that calls it owns the commit."""
    stops = _open_leg_stops(session, [leg.id for leg in legs])
    routes: dict[int, PlanRoute] = {}
    for stop in stops:
        skip_stop(stop, reason, text)
        routes[stop.route_id] = stop.route
    for route in routes.values():
        reflow(route, now)
    return stops


class RouteBoard:
    """Dispatch's answer to the booking rules (see :mod:`louise.bookings.on_route`)."""

    def open_stops(self, session: Session, leg: Leg) -> list[on_route.StopOnRoute]:
        return [
            on_route.StopOnRoute(
                route_id=stop.route_id, stop_id=stop.id, type=stop.type.value, eta=stop.eta
            )
            for stop in _open_leg_stops(session, [leg.id])
        ]

    def withdraw(
        self, session: Session, legs: Sequence[Leg], reason: str, text: str, now: datetime
    ) -> None:
        withdraw_legs(session, list(legs), reason, text, now)
