"""Reading bookings: who may see which booking (and its PIN), lists and history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, Role, User
from louise.bookings.models import Booking, BookingStatus, Channel, Leg, StatusChange, StopKind
from louise.errors import Forbidden, NotFound
from louise.merchants.models import Merchant


def can_see(session: Session, actor: User, booking: Booking) -> bool:
    """Residents see their own bookings, merchants their shop's, couriers the ones on their
    routes, dispatchers and admins all."""
    if actor.role in STAFF:
        return True
    if actor.role == Role.CUSTOMER:
        return booking.customer_id == actor.id
    if actor.role == Role.MERCHANT:
        owner = session.scalar(select(Merchant.owner_id).where(Merchant.id == booking.merchant_id))
        return owner == actor.id
    if actor.role == Role.COURIER:
        return any(leg.courier_id == actor.id for leg in booking.legs)
    return False


def may_see_pin(actor: User, booking: Booking) -> bool:
    """The pickup PIN and the tracking token are for the resident and the courier at that
    stop only — and, for a hotline booking, for dispatchers and admins, who read them out to
    a caller without the app."""
    if actor.role in STAFF:
        return booking.channel == Channel.HOTLINE
    if actor.role == Role.CUSTOMER:
        return booking.customer_id == actor.id
    if actor.role == Role.COURIER:
        return any(
            leg.courier_id == actor.id and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER)
            for leg in booking.legs
        )
    return False


def get_booking(session: Session, actor: User, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None or not can_see(session, actor, booking):
        # Someone else's booking is "not found", so ids reveal nothing.
        raise NotFound(f"Booking {booking_id} not found.")
    return booking


def list_bookings(
    session: Session,
    actor: User,
    *,
    status: BookingStatus | None = None,
    day: date | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[Sequence[Booking], int]:
    """Residents list their own bookings, merchants their shop's, couriers their routes',
    dispatchers and admins all; any other role (the city) none: it reads aggregates only."""
    query = select(Booking)
    if actor.role not in (*STAFF, Role.CUSTOMER, Role.MERCHANT, Role.COURIER):
        raise Forbidden("Bookings are personal data; this account reads aggregates only.")
    if actor.role == Role.CUSTOMER:
        query = query.where(Booking.customer_id == actor.id)
    elif actor.role == Role.MERCHANT:
        query = query.where(
            Booking.merchant_id.in_(select(Merchant.id).where(Merchant.owner_id == actor.id))
        )
    elif actor.role == Role.COURIER:
        query = query.where(
            Booking.id.in_(select(Leg.booking_id).where(Leg.courier_id == actor.id))
        )
    if status is not None:
        query = query.where(Booking.status == status)
    if day is not None:
        query = query.where(Booking.id.in_(select(Leg.booking_id).where(Leg.day == day)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Booking.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


def history(session: Session, actor: User, booking_id: int) -> Sequence[StatusChange]:
    get_booking(session, actor, booking_id)
    return session.scalars(
        select(StatusChange).where(StatusChange.booking_id == booking_id).order_by(StatusChange.id)
    ).all()
