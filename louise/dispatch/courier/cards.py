"""Route cards: a courier's routes of a day's published plan, and each stop as they see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from louise.auth.models import User
from louise.bookings.models import DeliveryPoint, Leg, StopKind
from louise.dispatch.adapters import BERLIN
from louise.dispatch.courier.common import POINT_KINDS, require_courier, stops_in_order
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop, StopType
from louise.fleet.models import Vehicle
from louise.merchants.models import Offer


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
    #: what is collected or handed over: the offer's title and the parcel size (S, M, L …)
    item: str | None = None
    parcel_size: str | None = None


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
    rows = _load_stop_rows(session, routes)
    return CourierDay(
        date=day, plan_id=plan.id, routes=[_route_card(session, route, rows) for route in routes]
    )


@dataclass(frozen=True)
class StopRows:
    """The rows the cards of some routes show, loaded together (see :func:`_load_stop_rows`)."""

    legs: dict[int, Leg]
    points: dict[int, DeliveryPoint]
    vehicles: dict[int, Vehicle]
    offers: dict[int, Offer]


def _load_stop_rows(session: Session, routes: list[PlanRoute]) -> StopRows:
    """The legs (with their bookings), Points and vehicles of ``routes`` in three statements
    however many stops there are, instead of a few per stop."""
    leg_ids = {stop.leg_id for route in routes for stop in route.stops if stop.leg_id is not None}
    legs = session.scalars(
        select(Leg).where(Leg.id.in_(leg_ids)).options(joinedload(Leg.booking))
    ).all()
    point_ids = {leg.point_id for leg in legs if leg.point_id is not None}
    points = session.scalars(select(DeliveryPoint).where(DeliveryPoint.id.in_(point_ids))).all()
    vehicle_ids = {route.vehicle_id for route in routes}
    vehicles = session.scalars(select(Vehicle).where(Vehicle.id.in_(vehicle_ids))).all()
    offer_ids = {leg.booking.offer_id for leg in legs}
    offers = session.scalars(select(Offer).where(Offer.id.in_(offer_ids))).all()
    return StopRows(
        legs={leg.id: leg for leg in legs},
        points={point.id: point for point in points},
        vehicles={vehicle.id: vehicle for vehicle in vehicles},
        offers={offer.id: offer for offer in offers},
    )


def _route_card(session: Session, route: PlanRoute, rows: StopRows) -> RouteCard:
    vehicle = rows.vehicles.get(route.vehicle_id)
    return RouteCard(
        route=route,
        vehicle=vehicle.name if vehicle is not None else "",
        stops=[stop_card(session, stop, rows) for stop in stops_in_order(route)],
    )


def stop_card(session: Session, stop: PlanStop, rows: StopRows | None = None) -> StopCard:
    """A stop as its courier sees it (``rows``: its leg and Point, loaded already)."""
    if stop.leg_id is None:
        return StopCard(stop=stop)
    leg = rows.legs.get(stop.leg_id) if rows is not None else session.get(Leg, stop.leg_id)
    if leg is None:
        return StopCard(stop=stop)
    booking = leg.booking
    place = leg.origin_kind if stop.type == StopType.PICKUP else leg.dest_kind
    at_door = place == StopKind.RESIDENT
    at_point = stop.type == StopType.DELIVERY and place in POINT_KINDS
    point = None
    if at_point and leg.point_id:
        point = (
            rows.points.get(leg.point_id)
            if rows is not None
            else session.get(DeliveryPoint, leg.point_id)
        )
    offer = (
        rows.offers.get(booking.offer_id)
        if rows is not None
        else session.get(Offer, booking.offer_id)
    )
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
        item=offer.title if offer is not None else None,
        parcel_size=booking.parcel_size,
    )
