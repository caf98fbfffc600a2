"""Reading bookings: who may see which booking (and its PIN), lists and history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, Role, User
from louise.bookings.models import (
    Booking,
    BookingStatus,
    Channel,
    Leg,
    LegStatus,
    StatusChange,
    StopKind,
)
from louise.errors import Forbidden, NotFound
from louise.merchants.models import Merchant, Offer


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


#: states in which nothing more happens to a booking: it belongs to the past
FINISHED = frozenset({BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.RETURNED})

#: legs still to be driven
OPEN_LEGS = frozenset({LegStatus.SCHEDULED, LegStatus.FAILED, LegStatus.PICKED_UP})


@dataclass(frozen=True)
class WhatAndWhere:
    """What was booked and at which shop, as the resident reads it."""

    offer: str
    shop: str


def titles(session: Session, bookings: Sequence[Booking]) -> dict[int, WhatAndWhere]:
    """``{booking id: its offer's title and shop's name}``, in one read (an offer paused or
    changed since still names what was booked)."""
    offer_ids = {b.offer_id for b in bookings}
    if not offer_ids:
        return {}
    rows = session.execute(
        select(Offer.id, Offer.title, Merchant.name)
        .join(Merchant, Merchant.id == Offer.merchant_id)
        .where(Offer.id.in_(offer_ids))
    ).all()
    found = {offer_id: WhatAndWhere(title, shop) for offer_id, title, shop in rows}
    return {b.id: found[b.offer_id] for b in bookings if b.offer_id in found}


def _next_day(booking: Booking) -> date:
    """The day of the booking's next open leg (else of its first)."""
    open_days = [leg.day for leg in booking.legs if leg.status in OPEN_LEGS]
    return min(open_days or [leg.day for leg in booking.legs] or [date.max])


def upcoming_and_past(
    bookings: Sequence[Booking],
) -> tuple[list[Booking], list[Booking]]:
    """A resident's bookings split: those still ahead (soonest first) and those finished —
    completed, returned or cancelled (newest first)."""
    ahead = [b for b in bookings if b.status not in FINISHED]
    done = [b for b in bookings if b.status in FINISHED]
    ahead.sort(key=lambda b: (_next_day(b), b.id))
    done.sort(key=lambda b: b.id, reverse=True)
    return ahead, done
