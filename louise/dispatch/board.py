"""The dispatcher's day at a glance: legs and free places per window, the working shifts,
the day's plans, and the bookings that need a dispatcher.

Needing attention:
- a failed stop (a leg ``failed`` in the last week up to the day, its booking still open);
- a return that is ready (the shop marked the item ready; its return leg is on the day);
- a leg no working shift can serve any more (the rule of ``GET /api/v1/legs/unserved``);
- an address only found roughly (geocoded to the street or a place, not to the house): the
  courier may have to call.
Read only: nothing is created, not even a window's capacity counter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, User
from louise.bookings import serving, slots
from louise.bookings.common import BookingContext
from louise.bookings.models import (
    Booking,
    BookingStatus,
    CapacityCounter,
    Leg,
    LegPurpose,
    LegStatus,
)
from louise.dispatch import service
from louise.dispatch.models import Plan
from louise.errors import Forbidden
from louise.fleet.models import Shift
from louise.fleet.service import list_shifts
from louise.geo.models import Address

#: how far back a failed stop still needs a dispatcher
FAILED_LOOKBACK = timedelta(days=7)
ROUGH_PRECISION = ("street", "place")
CLOSED = (BookingStatus.CANCELLED, BookingStatus.COMPLETED)


@dataclass(frozen=True)
class WindowLoad:
    code: str
    start: datetime
    end: datetime
    legs: int  # legs of the day in this window (not cancelled)
    capacity: int
    free: int


@dataclass(frozen=True)
class Attention:
    """A booking a dispatcher should look at: ``kind`` is ``failed``, ``ready``,
    ``unserved`` or ``rough_address``; ``detail`` the service's words (English), ``reason``
    a code where there is one (a failure reason)."""

    kind: str
    booking_id: int
    code: str
    leg_id: int | None
    day: date | None
    detail: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DayBoard:
    day: date
    windows: Sequence[WindowLoad]
    shifts: Sequence[Shift]
    legs: int
    attention: Sequence[Attention]
    plans: Sequence[Plan]


def day_board(
    session: Session, ctx: BookingContext, actor: User, day: date, now: datetime
) -> DayBoard:
    """The day as a dispatcher sees it before and while planning (dispatchers, admins)."""
    if actor.role not in STAFF:
        raise Forbidden("Only dispatchers and admins see the day's board.")
    legs = session.scalars(
        select(Leg).where(Leg.day == day, Leg.status != LegStatus.CANCELLED).order_by(Leg.id)
    ).all()
    per_window = Counter(leg.window_code for leg in legs)
    roster = slots.day_roster(session, ctx, day)
    windows = []
    for spec in ctx.policy.windows:
        start, end = ctx.policy.window_bounds(day, spec)
        counter = session.execute(
            select(CapacityCounter.capacity, CapacityCounter.used).where(
                CapacityCounter.scope == "window",
                CapacityCounter.key == spec.code,
                CapacityCounter.day == day,
            )
        ).first()
        if counter is None:  # nothing booked yet: the capacity the shifts give
            total, used = slots.window_capacity(session, ctx, day, spec, roster), 0
        else:
            total, used = counter.capacity, counter.used
        windows.append(
            WindowLoad(
                code=spec.code,
                start=start,
                end=end,
                legs=per_window.get(spec.code, 0),
                capacity=total,
                free=max(0, total - used),
            )
        )
    plans = service.list_plans(session, actor, day)
    return DayBoard(
        day=day,
        windows=windows,
        shifts=list_shifts(session, actor, day),
        legs=len(legs),
        attention=_attention(session, ctx, actor, day, now, legs),
        plans=plans,
    )


def _attention(
    session: Session,
    ctx: BookingContext,
    actor: User,
    day: date,
    now: datetime,
    legs: Sequence[Leg],
) -> list[Attention]:
    out: list[Attention] = []
    failed = session.scalars(
        select(Leg)
        .join(Booking, Booking.id == Leg.booking_id)
        .where(
            Leg.status == LegStatus.FAILED,
            Leg.day <= day,
            Leg.day >= day - FAILED_LOOKBACK,
            Booking.status.not_in(CLOSED),
        )
        .order_by(Leg.day, Leg.id)
    ).all()
    for leg in failed:
        out.append(
            Attention(
                "failed",
                leg.booking_id,
                leg.booking.code,
                leg.id,
                leg.day,
                None,
                leg.failure_reason,
            )
        )
    for leg in legs:
        booking = leg.booking
        if (
            leg.purpose == LegPurpose.RETURN
            and booking.status == BookingStatus.READY
            and leg.status == LegStatus.SCHEDULED
        ):
            out.append(Attention("ready", booking.id, booking.code, leg.id, leg.day))
    for item in serving.unserved_legs(session, ctx, actor, day, now):
        out.append(
            Attention(
                "unserved",
                item["booking_id"],
                item["booking_code"],
                item["leg_id"],
                item["day"],
                item["detail"],
            )
        )
    booking_ids = {leg.booking_id for leg in legs if leg.status == LegStatus.SCHEDULED}
    if booking_ids:
        rough = session.execute(
            select(Booking.id, Booking.code, Address.label)
            .join(Address, Address.id == Booking.address_id)
            .where(Booking.id.in_(booking_ids), Address.precision.in_(ROUGH_PRECISION))
            .order_by(Booking.id)
        ).all()
        for booking_id, code, label in rough:
            out.append(Attention("rough_address", booking_id, code, None, day, label))
    return out
