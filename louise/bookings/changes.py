"""Cancelling and rescheduling a booking (residents until a leg's route is published,
dispatchers always)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from louise.auth.models import STAFF, Role, User
from louise.bookings import capacity, legs, lifecycle, on_route
from louise.bookings.checks import check_window
from louise.bookings.common import BookingContext, BookingNotCancellable, LegLocked, field_error
from louise.bookings.leg_planning import leg_from_plan, plan_outbound, plan_return
from louise.bookings.models import Booking, BookingStatus, Leg, LegPurpose, LegStatus, StopKind
from louise.bookings.notifications import notify
from louise.bookings.points import point_open, stop_for_point
from louise.bookings.reading import can_see
from louise.bookings.reservations import (
    held_counter_ids,
    leg_counter_ids,
    release_booking,
    release_leg,
    reserve_point,
    reserve_window,
)
from louise.bookings.serving import check_served
from louise.bookings.status import record_note, set_booking_status, set_leg_status
from louise.db import unit_of_work
from louise.errors import DomainError, InvalidState, NotFound, ValidationFailed
from louise.merchants.models import Offer, OfferKind


def _may_see(actor: User, booking: Booking) -> None:
    """Staff see every booking, a resident only their own (another's is not found)."""
    if actor.role in STAFF:
        return
    if actor.role != Role.CUSTOMER or booking.customer_id != actor.id:
        raise NotFound(f"Booking {booking.id} not found.")


def _resident_may_change(actor: User, booking: Booking, legs_: Sequence[Leg]) -> None:
    """Residents change their own bookings until a leg's route is locked (published);
    after that only a dispatcher can."""
    _may_see(actor, booking)
    if actor.role not in STAFF and any(leg.locked for leg in legs_):
        raise LegLocked(
            "This leg is already on a published route; please call the hotline to change it."
        )


def withdraw_cancelled(
    session: Session, booking: Booking, cancelled: Sequence[Leg], now: datetime
) -> None:
    """Cancelled legs leave the couriers' published routes (their stops are skipped)."""
    on_route.board().withdraw(
        session,
        cancelled,
        on_route.BOOKING_CANCELLED,
        f"Booking {booking.code} was cancelled.",
        now,
    )


def _check_cancellable(actor: User, booking: Booking) -> list[Leg]:
    """The legs a cancellation ends, or the refusal: not yours; finished, or the item has
    left the door already (said before the lock: a finished booking is not "on a route");
    on a locked route."""
    _may_see(actor, booking)
    if BookingStatus.CANCELLED not in lifecycle.BOOKING_TRANSITIONS[booking.status] or any(
        leg.status in (LegStatus.PICKED_UP, LegStatus.DELIVERED) for leg in booking.legs
    ):
        raise BookingNotCancellable(
            f"A booking in state {booking.status.value!r} cannot be cancelled any more."
        )
    active = [leg for leg in booking.legs if leg.status in (LegStatus.SCHEDULED, LegStatus.FAILED)]
    _resident_may_change(actor, booking, active)
    return active


def cancel_refusal(actor: User, booking: Booking) -> DomainError | None:
    """Why ``actor`` may not cancel ``booking`` now (the rules of :func:`cancel_booking`),
    or None when they may: a page says why instead of offering the button."""
    try:
        _check_cancellable(actor, booking)
    except DomainError as refusal:
        return refusal
    return None


def _reschedule_group(actor: User, booking: Booking, leg_group: str) -> list[Leg]:
    """The legs a move replaces, or the refusal (the rules of :func:`reschedule` that need
    no window)."""
    is_return = leg_group == "return"
    group = [
        leg
        for leg in booking.legs
        if (leg.purpose == LegPurpose.RETURN) == is_return and leg.status != LegStatus.CANCELLED
    ]
    _resident_may_change(actor, booking, ())  # whose booking it is, before saying more
    if is_return and booking.kind != OfferKind.SERVICE.value:
        raise ValidationFailed(
            "Only services have a return.", fields=field_error("leg", "No return.")
        )
    # a finished booking says so, rather than that its (old) route is locked
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.COMPLETED, BookingStatus.RETURNED):
        raise InvalidState(f"A {booking.status.value} booking cannot be rescheduled.")
    _resident_may_change(actor, booking, group)
    if any(leg.status != LegStatus.SCHEDULED for leg in group if leg.status != LegStatus.FAILED):
        raise InvalidState("These legs are under way already.")
    return group


def reschedule_refusal(
    actor: User, booking: Booking, leg_group: str = "outbound"
) -> DomainError | None:
    """Why ``actor`` may not move these legs of ``booking`` now, or None when they may (a
    full or closed window is only known once one is chosen)."""
    try:
        _reschedule_group(actor, booking, leg_group)
    except DomainError as refusal:
        return refusal
    return None


def cancel_booking(
    session: Session, actor: User, booking_id: int, reason: str | None, now: datetime
) -> Booking:
    """Cancel a booking that has not reached the shop yet; every place it held is freed and
    its legs leave any published route."""
    booking = session.get(Booking, booking_id)
    if booking is None or not can_see(session, actor, booking):
        raise NotFound(f"Booking {booking_id} not found.")
    active = _check_cancellable(actor, booking)
    capacity.lock(session, held_counter_ids(booking))
    for leg in active:
        release_leg(session, leg)
        set_leg_status(session, leg, LegStatus.CANCELLED, actor)
    withdraw_cancelled(session, booking, active, now)
    release_booking(session, booking)
    booking.cancel_reason = reason
    set_booking_status(session, booking, BookingStatus.CANCELLED, actor, note=reason)
    notify(session, booking, "cancelled", reason=reason or "")
    session.commit()
    return booking


@unit_of_work
def reschedule(
    session: Session,
    ctx: BookingContext,
    actor: User,
    booking_id: int,
    *,
    leg_group: str,
    day: date,
    window: str,
    now: datetime,
) -> Booking:
    """Move the outbound legs (``leg_group='outbound'``) or the return legs (``'return'``)
    to another window. The new places are taken before the old ones are freed, in one
    transaction, so a failed move changes nothing; the old legs leave any published route."""
    booking = session.get(Booking, booking_id)
    if booking is None or not can_see(session, actor, booking):
        raise NotFound(f"Booking {booking_id} not found.")
    is_return = leg_group == "return"
    group = _reschedule_group(actor, booking, leg_group)
    spec = check_window(ctx, day, window, now, "")
    offer = session.get(Offer, booking.offer_id)
    assert offer is not None
    resident = legs.Stop(StopKind.RESIDENT, booking.address_label, booking.lat, booking.lon)
    point = booking.point
    dest = stop_for_point(point) if point is not None else resident
    tentative = is_return and booking.status != BookingStatus.READY
    try:
        if is_return:
            plans = plan_return(ctx, offer, day, spec.code, dest, ctx.policy.local(now).date())
        else:
            plans = plan_outbound(ctx, offer, day, spec.code, resident, dest, now)
    except legs.ShopUnreachable as exc:
        raise ValidationFailed(str(exc), fields=field_error("window", str(exc))) from None
    check_served(session, plans, "window")
    if is_return and point is not None and not point_open(ctx, point, day, spec):
        raise ValidationFailed(
            f"{point.name} is closed in that window.",
            fields=field_error("window", "The Point is closed then."),
        )
    next_seq = max(leg.seq for leg in booking.legs) + 1
    new_legs = []
    for plan in plans:
        leg = leg_from_plan(plan, next_seq, tentative=tentative)
        next_seq += 1
        booking.legs.append(leg)
        new_legs.append(leg)
    session.flush()
    capacity.lock(
        session,
        [
            *leg_counter_ids(session, ctx, booking, new_legs, point),
            *(i for leg in group for i in (leg.counter_id, leg.point_counter_id)),
        ],
    )
    for leg in new_legs:
        reserve_window(session, ctx, leg, "window")
        if point is not None and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER):
            reserve_point(session, booking, leg, point, "window")
    for leg in group:
        release_leg(session, leg)
        set_leg_status(session, leg, LegStatus.CANCELLED, actor, note="rescheduled")
    on_route.board().withdraw(
        session,
        group,
        on_route.RESCHEDULED,
        f"Booking {booking.code} was moved to another time.",
        now,
    )
    if is_return:
        booking.return_due = day
    record_note(session, booking, actor, f"{leg_group} moved to {_when(ctx, day, spec.code)}")
    session.commit()
    return booking


def _when(ctx: BookingContext, day: date, window: str | None) -> str:
    if window is None:
        return day.strftime("%d.%m.%Y")
    spec = ctx.policy.window(window)
    return f"{day:%d.%m.%Y} {spec.start:%H:%M}–{spec.end:%H:%M}"
