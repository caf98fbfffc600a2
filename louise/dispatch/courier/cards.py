"""Route cards: a courier's routes of a day's published plan, and each stop as they see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings.models import DeliveryPoint, Leg, StopKind
from louise.dispatch.adapters import BERLIN
from louise.dispatch.courier.common import POINT_KINDS, require_courier, stops_in_order
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop, StopType
from louise.fleet.models import Vehicle


@dataclass(frozen=True)
class StopCard:
    """A stop as its courier sees it: contacts only at a resident's door, the PIN only
    where the parcel is handed over at a Point or locker."""

    stop: PlanStop
    booking_code: str | None = None
    purpose: str | None = None
    place_kind: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    notes: str | None = None
    access_notes: str | None = None
    pin: str | None = None


@dataclass(frozen=True)
class RouteCard:
    route: PlanRoute
    vehicle: str
    stops: list[StopCard]


@dataclass(frozen=True)
class CourierDay:
    date: date
    plan_id: int | None
    routes: list[RouteCard]


def today(session: Session, actor: User, now: datetime, tz: ZoneInfo = BERLIN) -> CourierDay:
    """The actor's routes of today's (Europe/Berlin) published plan, stops in order."""
    return routes_of_day(session, actor, now.astimezone(tz).date())


def routes_of_day(session: Session, actor: User, day: date) -> CourierDay:
    """The actor's routes of ``day``'s published plan, stops in order: any day, so that a
    courier can read tomorrow's route tonight. A day without a published plan has none."""
    require_courier(actor)
    plan = session.scalar(select(Plan).where(Plan.day == day, Plan.status == PlanStatus.PUBLISHED))
    if plan is None:
        return CourierDay(date=day, plan_id=None, routes=[])
    routes = [route for route in plan.routes if route.courier_id == actor.id]
    return CourierDay(
        date=day, plan_id=plan.id, routes=[_route_card(session, route) for route in routes]
    )


def _route_card(session: Session, route: PlanRoute) -> RouteCard:
    vehicle = session.get(Vehicle, route.vehicle_id)
    return RouteCard(
        route=route,
        vehicle=vehicle.name if vehicle is not None else "",
        stops=[stop_card(session, stop) for stop in stops_in_order(route)],
    )


def stop_card(session: Session, stop: PlanStop) -> StopCard:
    leg = session.get(Leg, stop.leg_id) if stop.leg_id is not None else None
    if leg is None:
        return StopCard(stop=stop)
    booking = leg.booking
    place = leg.origin_kind if stop.type == StopType.PICKUP else leg.dest_kind
    at_door = place == StopKind.RESIDENT
    at_point = stop.type == StopType.DELIVERY and place in POINT_KINDS
    point = session.get(DeliveryPoint, leg.point_id) if at_point and leg.point_id else None
    return StopCard(
        stop=stop,
        booking_code=booking.code,
        purpose=leg.purpose.value,
        place_kind=place.value,
        contact_name=booking.contact_name if at_door else None,
        contact_phone=booking.contact_phone if at_door else None,
        notes=booking.notes if at_door else None,
        access_notes=point.access_notes if point is not None else None,
        pin=booking.pickup_pin if at_point else None,
    )
