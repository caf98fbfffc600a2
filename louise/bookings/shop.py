"""The merchant side: the shop receives an item, marks a repair ready (the return is
scheduled for real) or rejects a booking, and lists its incoming and outgoing items."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from louise.auth.models import Role, User
from louise.bookings import capacity, legs, on_route
from louise.bookings.changes import withdraw_cancelled
from louise.bookings.common import BookingContext, ItemUnderWay, SlotFull
from louise.bookings.leg_planning import leg_from_plan, plan_return
from louise.bookings.models import Booking, BookingStatus, Leg, LegPurpose, LegStatus, StopKind
from louise.bookings.notifications import notify
from louise.bookings.points import new_pin, point_open, point_remaining, stop_for_point
from louise.bookings.policy import BERLIN
from louise.bookings.reading import can_see
from louise.bookings.reservations import (
    held_counter_ids,
    leg_counter_ids,
    release_booking,
    release_leg,
    reserve_point,
    reserve_window,
)
from louise.bookings.serving import first_unserved, needs_of
from louise.bookings.slots import window_capacity, window_of
from louise.bookings.status import set_booking_status, set_leg_status
from louise.db import unit_of_work
from louise.errors import Forbidden, InvalidState, NotFound
from louise.merchants.models import Merchant, Offer, OfferKind


def _merchant_booking(session: Session, actor: User, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None or not can_see(session, actor, booking):
        raise NotFound(f"Booking {booking_id} not found.")
    if actor.role not in (Role.MERCHANT, Role.ADMIN, Role.DISPATCHER):
        raise Forbidden("Only the shop can do this.")
    return booking


def confirm_receipt(session: Session, actor: User, booking_id: int, now: datetime) -> Booking:
    """The shop has the item. Collect legs not picked up yet count as delivered (the resident
    brought it in) and leave the courier's published route. An item a courier has picked up
    and is bringing on a published route cannot be received: the courier records the
    handover at the shop (409 ``item_under_way`` naming the route and stop)."""
    booking = _merchant_booking(session, actor, booking_id)
    if booking.kind == OfferKind.PRODUCT.value:
        raise InvalidState("A product delivery starts at the shop; there is nothing to receive.")
    collect = [leg for leg in booking.legs if leg.purpose == LegPurpose.COLLECT]
    if all(leg.status == LegStatus.DELIVERED for leg in collect):
        received = BookingStatus.AT_SHOP if booking.kind == OfferKind.SERVICE.value else None
        if booking.status == received or (
            booking.kind == OfferKind.COLLECTION.value and booking.status == BookingStatus.COMPLETED
        ):
            return booking  # received already: saying it twice (a double tap) changes nothing
        if booking.status != BookingStatus.AT_SHOP:
            raise InvalidState(
                f"Booking {booking.code} was received already; it is {booking.status.value} now.",
                fields={"status": [f"received already ({booking.status.value})"]},
            )
    routes = on_route.board()
    for leg in collect:
        if leg.status != LegStatus.PICKED_UP:
            continue
        bringing = [s for s in routes.open_stops(session, leg) if s.type == "delivery"]
        if bringing:
            stop = bringing[0]
            raise ItemUnderWay(
                f"The courier is bringing it: route {stop.route_id}, stop {stop.stop_id}, "
                f"expected around {stop.eta.astimezone(BERLIN):%H:%M}. The courier records "
                "the handover at the shop; there is nothing to receive until then.",
                fields={"status": ["picked up by the courier, on the way to the shop"]},
            )
    already_delivered = (
        booking.kind == OfferKind.COLLECTION.value and booking.status == BookingStatus.AT_SHOP
    )
    if not already_delivered:  # a courier may have brought it (and marked it) already
        set_booking_status(session, booking, BookingStatus.AT_SHOP, actor)
    not_picked_up = [leg for leg in collect if leg.status == LegStatus.SCHEDULED]
    for leg in collect:
        if leg.status in (LegStatus.SCHEDULED, LegStatus.PICKED_UP):
            if leg.status == LegStatus.SCHEDULED:
                set_leg_status(session, leg, LegStatus.PICKED_UP, actor, note="received at shop")
            set_leg_status(session, leg, LegStatus.DELIVERED, actor, note="received at shop")
    routes.withdraw(
        session,
        not_picked_up,
        on_route.RECEIVED_AT_SHOP,
        f"Booking {booking.code} was received at the shop already.",
        now,
    )
    if booking.kind == OfferKind.COLLECTION.value:
        set_booking_status(session, booking, BookingStatus.COMPLETED, actor)
        release_booking(session, booking)
    session.commit()
    return booking


@unit_of_work
def mark_ready(
    session: Session, ctx: BookingContext, actor: User, booking_id: int, now: datetime
) -> Booking:
    """The repair is done: the return is scheduled for real (capacity taken) on the
    tentative date or the first bookable window after it, and the resident is told."""
    booking = _merchant_booking(session, actor, booking_id)
    if booking.kind != OfferKind.SERVICE.value:
        raise InvalidState("Only services are marked ready.")
    set_booking_status(session, booking, BookingStatus.READY, actor)
    offer = session.get(Offer, booking.offer_id)
    assert offer is not None
    tentative = [
        leg
        for leg in booking.legs
        if leg.purpose == LegPurpose.RETURN and leg.status == LegStatus.SCHEDULED
    ]
    preferred = next((leg.window_code for leg in tentative if leg.window_code), None)
    resident = legs.Stop(StopKind.RESIDENT, booking.address_label, booking.lat, booking.lon)
    dest = stop_for_point(booking.point) if booking.point is not None else resident
    today = ctx.policy.local(now).date()
    start_day = max(booking.return_due or today, today)
    codes = [preferred] if preferred else []
    codes += [w.code for w in ctx.policy.windows if w.code not in codes]
    chosen_plans: list[legs.LegPlan] = []
    for offset in range(ctx.policy.horizon_days + 1):
        day = start_day + timedelta(days=offset)
        for code in codes:
            spec = ctx.policy.window(code)
            if not ctx.policy.bookable(day, spec, now)[0]:
                continue
            if booking.point is not None and not point_open(ctx, booking.point, day, spec):
                continue
            left = capacity.remaining(
                session,
                "window",
                code,
                day,
                functools.partial(window_capacity, session, ctx, day, spec),
            )
            if booking.point is not None:
                left = min(left, point_remaining(session, booking.point, booking.parcel_size, day))
            if left <= 0:
                continue
            try:
                chosen_plans = plan_return(ctx, offer, day, code, dest, today)
            except legs.ShopUnreachable:
                continue
            if first_unserved(session, needs_of(session, chosen_plans)) is not None:
                chosen_plans = []
                continue
            break
        if chosen_plans:
            break
    next_seq = max(leg.seq for leg in booking.legs) + 1
    chosen = [leg_from_plan(p, next_seq + i) for i, p in enumerate(chosen_plans)]
    for leg in chosen:
        booking.legs.append(leg)
    session.flush()
    capacity.lock(session, leg_counter_ids(session, ctx, booking, chosen, booking.point))
    for leg in chosen:
        reserve_window(session, ctx, leg, "window")
        if booking.point is not None and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER):
            reserve_point(session, booking, leg, booking.point, "window")
    if not chosen:
        raise SlotFull("No window with free capacity for the return within the horizon.")
    for leg in tentative:
        set_leg_status(
            session, leg, LegStatus.CANCELLED, actor, note="replaced by confirmed return"
        )
    on_route.board().withdraw(
        session,
        tentative,
        on_route.RESCHEDULED,
        f"Booking {booking.code} was moved to another time.",
        now,
    )
    booking.return_due = chosen[-1].day
    if booking.point is not None:
        booking.pickup_pin = new_pin()
    notify(
        session,
        booking,
        "item_ready",
        offer=offer.title,
        **window_of(ctx, chosen[-1].day, chosen[-1].window_code, False, chosen[-1]),
    )
    session.commit()
    return booking


def reject_booking(
    session: Session, actor: User, booking_id: int, reason: str, now: datetime
) -> Booking:
    """The shop declines a booking before the item is under way; every place is freed and
    its legs leave any published route."""
    booking = _merchant_booking(session, actor, booking_id)
    if booking.status not in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED) or any(
        leg.status in (LegStatus.PICKED_UP, LegStatus.DELIVERED) for leg in booking.legs
    ):
        raise InvalidState(
            "Only bookings not yet under way can be rejected; mark a received item ready "
            "to send it back."
        )
    capacity.lock(session, held_counter_ids(booking))
    cancelled = [
        leg for leg in booking.legs if leg.status in (LegStatus.SCHEDULED, LegStatus.FAILED)
    ]
    for leg in cancelled:
        release_leg(session, leg)
        set_leg_status(session, leg, LegStatus.CANCELLED, actor)
    withdraw_cancelled(session, booking, cancelled, now)
    release_booking(session, booking)
    booking.cancel_reason = reason
    set_booking_status(session, booking, BookingStatus.CANCELLED, actor, note=f"rejected: {reason}")
    notify(session, booking, "cancelled", reason=reason)
    session.commit()
    return booking


def merchant_items(session: Session, actor: User, day: date) -> dict[str, list[Leg]]:
    """Items arriving at and leaving the actor's shops on ``day``."""
    if actor.role not in (Role.MERCHANT, Role.ADMIN):
        raise Forbidden("Only shops have incoming and outgoing items.")
    query = (
        select(Leg)
        .join(Booking, Leg.booking_id == Booking.id)
        .where(Leg.day == day, Leg.status != LegStatus.CANCELLED)
        .where(or_(Leg.dest_kind == StopKind.SHOP, Leg.origin_kind == StopKind.SHOP))
        .order_by(Leg.pickup_start, Leg.id)
    )
    if actor.role == Role.MERCHANT:
        query = query.where(
            Booking.merchant_id.in_(select(Merchant.id).where(Merchant.owner_id == actor.id))
        )
    rows = session.scalars(query).all()
    return {
        "incoming": [leg for leg in rows if leg.dest_kind == StopKind.SHOP],
        "outgoing": [leg for leg in rows if leg.origin_kind == StopKind.SHOP],
    }


@dataclass(frozen=True)
class ShopItem:
    """A booking on the shop's board, with the leg that matters to the shop: the way in
    (coming in), the first leg of the way back (ready), none while the item is at the shop."""

    booking: Booking
    offer_title: str
    leg: Leg | None


@dataclass(frozen=True)
class ShopBoard:
    coming_in: list[ShopItem]
    at_shop: list[ShopItem]
    ready: list[ShopItem]


_OPEN = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


def _leg_of(booking: Booking, purpose: LegPurpose, shop_end: str) -> Leg | None:
    """The booking's live leg of ``purpose`` that ends (``dest``) or starts (``origin``) at
    the shop; else its first live leg of that purpose (a way via the hub)."""
    live = [
        leg
        for leg in sorted(booking.legs, key=lambda leg: leg.seq)
        if leg.purpose == purpose and leg.status != LegStatus.CANCELLED
    ]
    at_shop = [leg for leg in live if getattr(leg, f"{shop_end}_kind") == StopKind.SHOP]
    chosen = at_shop or live
    return chosen[0] if chosen else None


def shop_board(session: Session, actor: User) -> ShopBoard:
    """The open items of the actor's shops (an admin: of every shop): coming in (booked, the
    item not at the shop yet), at the shop (received) and ready to go back (the return is
    scheduled). An item whose pickup failed is not coming in until it is rescheduled (the
    dispatcher's list of unserved legs has it); product deliveries start at the shop and are
    not items to receive."""
    if actor.role not in (Role.MERCHANT, Role.ADMIN):
        raise Forbidden("Only shops have incoming and outgoing items.")
    query = (
        select(Booking)
        .where(
            Booking.status.in_([*_OPEN, BookingStatus.AT_SHOP, BookingStatus.READY]),
            Booking.kind != OfferKind.PRODUCT.value,
        )
        .options(selectinload(Booking.legs))
        .order_by(Booking.id)
    )
    if actor.role == Role.MERCHANT:
        query = query.where(
            Booking.merchant_id.in_(select(Merchant.id).where(Merchant.owner_id == actor.id))
        )
    bookings = session.scalars(query).unique().all()
    offer_ids = {b.offer_id for b in bookings}
    titles = {
        row.id: row.title
        for row in session.execute(select(Offer.id, Offer.title).where(Offer.id.in_(offer_ids)))
    }
    coming_in, at_shop, ready = [], [], []
    for booking in bookings:
        title = titles.get(booking.offer_id, "")
        if booking.status in _OPEN:
            collect = _leg_of(booking, LegPurpose.COLLECT, "dest")
            failed = any(
                leg.purpose == LegPurpose.COLLECT and leg.status == LegStatus.FAILED
                for leg in booking.legs
            )
            if collect is not None and not failed:
                coming_in.append(ShopItem(booking, title, collect))
        elif booking.status == BookingStatus.AT_SHOP:
            at_shop.append(ShopItem(booking, title, None))
        else:
            ready.append(ShopItem(booking, title, _leg_of(booking, LegPurpose.RETURN, "origin")))
    far = datetime.max.replace(tzinfo=UTC)
    coming_in.sort(key=lambda i: (i.leg.delivery_start if i.leg else far, i.booking.id))
    at_shop.sort(key=lambda i: (i.booking.return_due or date.max, i.booking.id))
    ready.sort(key=lambda i: (i.leg.pickup_start if i.leg else far, i.booking.id))
    return ShopBoard(coming_in, at_shop, ready)
