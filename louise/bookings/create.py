"""Creating a booking: by a resident in the app or by the hotline for a caller."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from louise import metrics
from louise.auth.models import AccountStatus, Role, User
from louise.bookings import capacity, customers, legs
from louise.bookings.checks import check_window, district_of, resolve_booking_address
from louise.bookings.common import (
    BookingContext,
    BookingRequest,
    MerchantCapacityFull,
    TooManyOpenBookings,
    field_error,
)
from louise.bookings.leg_planning import leg_from_plan, plan_outbound, plan_return
from louise.bookings.lookups import Lookups, ReferenceSnapshot
from louise.bookings.models import (
    Booking,
    BookingStatus,
    Channel,
    DeliveryPoint,
    DestinationType,
    StopKind,
)
from louise.bookings.notifications import write_notification
from louise.bookings.points import new_pin, place_text, point_open, stop_for_point
from louise.bookings.reservations import assign_counters, refuse_full
from louise.bookings.serving import check_served
from louise.bookings.slots import window_of
from louise.bookings.status import record_confirmed
from louise.db import unit_of_work
from louise.errors import Conflict, Forbidden, ValidationFailed
from louise.merchants.models import OfferKind

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# built once, of the table (Core: no ORM layer for one id)
_BOOKINGS = cast(Table, Booking.__table__)
_CODE_TAKEN = select(_BOOKINGS.c.id).where(_BOOKINGS.c.code == bindparam("code"))


def _new_code(session: Session) -> str:
    for _ in range(10):
        code = "L" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))
        if session.scalar(_CODE_TAKEN, {"code": code}) is None:
            return code
    raise Conflict("Could not allocate a booking code; try again.")


def _customer_for(session: Session, actor: User, request: BookingRequest) -> tuple[User, Channel]:
    if actor.role == Role.CUSTOMER:
        if request.customer_id is not None or request.hotline_customer is not None:
            raise Forbidden("Residents book for themselves only.")
        return actor, Channel.APP
    if actor.role not in (Role.DISPATCHER, Role.ADMIN):
        raise Forbidden("Only residents and the hotline (dispatchers) can book.")
    if request.hotline_customer is not None:
        data = request.hotline_customer
        known = customers.known_caller(session, data.name, data.phone)
        if known is not None:
            return known, Channel.HOTLINE
        customer = User(
            email=data.email.strip().lower() if data.email else None,
            password_hash=None,
            role=Role.CUSTOMER,
            status=AccountStatus.ACTIVE,
            name=data.name,
            phone=data.phone,
            locale=data.locale,
        )
        session.add(customer)
        session.flush()
        return customer, Channel.HOTLINE
    if request.customer_id is not None:
        existing = session.get(User, request.customer_id)
        if existing is None or existing.role != Role.CUSTOMER:
            raise ValidationFailed(
                "No such customer.", fields=field_error("customer_id", "Unknown customer.")
            )
        return existing, Channel.HOTLINE
    raise ValidationFailed(
        "A hotline booking names the customer: customer_id or customer {name, phone}.",
        fields=field_error("customer", "Missing data for required field."),
    )


def _destination_point(
    session: Session, destination: DestinationType, point_id: int
) -> DeliveryPoint:
    """The Point or locker a booking names. A locker is a kind of point, so ``point`` finds
    both; ``locker`` with a kiosk's id is refused, saying how to name it."""
    point = session.get(DeliveryPoint, point_id)
    if point is None or not point.active:
        raise ValidationFailed(
            f"No active Point or locker with id {point_id}.",
            fields=field_error(
                "point_id", "No active Point or locker with this id; see GET /api/v1/points."
            ),
        )
    if destination == DestinationType.LOCKER and point.kind != DestinationType.LOCKER:
        message = f"Point {point.id} is a LOUISE Point, not a locker: send destination 'point'."
        raise ValidationFailed(message, fields=field_error("destination", message))
    return point


@unit_of_work
def create_booking(
    session: Session,
    ctx: BookingContext,
    actor: User,
    request: BookingRequest,
    now: datetime,
    reference: ReferenceSnapshot | None = None,
) -> Booking:
    """Book an offer in a window.

    Rules: the offer is active; the window is bookable (cut-off, closed days, horizon); the
    address is in a served district; the shop is reached within its opening hours (else via
    the hub); the window, the merchant's daily capacity, the resident's open-bookings limit
    and the chosen Point or locker all have a free place — taken atomically or not at all.
    """
    # the offer, the districts, the day's fleet (or the worker's copy of them under the
    # request's reference version), counter ids: read once
    lookups = Lookups(session, reference)
    offer = lookups.offer(request.offer_id)
    spec = check_window(ctx, request.day, request.window, now, "")
    customer, channel = _customer_for(session, actor, request)
    address = resolve_booking_address(session, ctx, actor, request.address, request.address_id)
    field_name = "address_id" if request.address_id is not None else "address"
    district = district_of(session, address.lat, address.lon, field_name, lookups.districts())
    resident = legs.Stop(StopKind.RESIDENT, address.label, address.lat, address.lon)

    point: DeliveryPoint | None = None
    dest = resident
    if request.destination != DestinationType.DOOR:
        if offer.kind == OfferKind.COLLECTION:
            raise ValidationFailed(
                "A collection starts at your door; Points and lockers are for deliveries.",
                fields=field_error("destination", "Only 'door' for collections."),
            )
        if request.point_id is None:
            raise ValidationFailed(
                "Choose a Point or locker.", fields=field_error("point_id", "Missing.")
            )
        point = _destination_point(session, request.destination, request.point_id)
        dest = stop_for_point(point)

    try:
        plans = plan_outbound(ctx, offer, request.day, spec.code, resident, dest, now)
    except legs.ShopUnreachable as exc:
        raise ValidationFailed(str(exc), fields=field_error("window", str(exc))) from None
    check_served(session, plans, "window", lookups)
    if (
        point is not None
        and offer.kind == OfferKind.PRODUCT
        and not point_open(ctx, point, request.day, spec)
    ):
        raise ValidationFailed(
            f"{point.name} is closed in that window.",
            fields=field_error("point_id", "Closed in that window."),
        )

    booking = Booking(
        code=_new_code(session),
        customer_id=customer.id,
        created_by_id=actor.id,
        channel=channel,
        offer_id=offer.id,
        merchant_id=offer.merchant_id,
        kind=offer.kind.value,
        status=BookingStatus.CONFIRMED,  # requested and confirmed at once (record_confirmed)
        address_id=address.id,
        address_label=address.label,
        lat=address.lat,
        lon=address.lon,
        district=district.name,
        destination_type=point.kind if point is not None else request.destination,
        point_id=point.id if point is not None else None,
        pickup_pin=new_pin() if point is not None else None,
        contact_name=customer.name,
        contact_phone=request.contact_phone or customer.phone,
        notes=request.notes,
        price_cents=offer.price_cents,
        volume_l=offer.volume_l,
        weight_kg=offer.weight_kg,
        parcel_size=offer.parcel_size.value,
        tracking_token=secrets.token_urlsafe(32),
        locale=customer.locale,
    )
    booking.customer = customer
    seq = 1
    for plan in plans:
        booking.legs.append(leg_from_plan(plan, seq))
        seq += 1
    if offer.kind == OfferKind.SERVICE:
        arrival = plans[-1].day
        due = ctx.policy.add_service_days(arrival, offer.turnaround_days or 1)
        booking.return_due = due
        try:
            returns = plan_return(ctx, offer, due, spec.code, dest, arrival)
        except legs.ShopUnreachable:
            returns = []  # settled when the merchant marks the item ready
        for plan in returns:
            booking.legs.append(leg_from_plan(plan, seq, tentative=True))
            seq += 1
    # The counters first (found or created, not locked yet): the booking's and its legs'
    # rows are inserted naming them (not inserted, then updated). Those that exist already
    # are read in one statement.
    shop_day = plans[-1].day
    lookups.counters.update(
        capacity.counter_ids_of_days(
            session,
            {plans[0].day, shop_day, *(leg.day for leg in booking.legs)},
            str(customer.id),
            str(offer.id) if offer.daily_capacity is not None else None,
        )
    )
    customer_counter = capacity.ensure_counter(
        session,
        "customer",
        str(customer.id),
        plans[0].day,
        lambda: ctx.policy.max_open_bookings_per_day,
        memo=lookups.counters,
    )
    offer_counter: int | None = None
    if offer.daily_capacity is not None:
        offer_counter = capacity.ensure_counter(
            session,
            "offer",
            str(offer.id),
            shop_day,
            lambda: offer.daily_capacity or 0,
            memo=lookups.counters,
        )
    leg_counters = assign_counters(session, ctx, booking, booking.legs, point, lookups)
    booking.customer_counter_id = customer_counter
    booking.offer_counter_id = offer_counter
    session.add(booking)
    session.flush()
    record_confirmed(session, booking, actor, at=now)
    first = booking.legs[0]
    collected = first.origin_kind == StopKind.RESIDENT
    # a delivery to a Point or locker says where (the PIN follows when the parcel is there)
    write_notification(
        session,
        booking,
        "confirmation",
        offer=offer.title,
        leg="collection" if collected else "delivery",
        **({"variant": "point", "place": place_text(point)} if point and not collected else {}),
        **window_of(ctx, first.day, first.window_code, collected, first),
    )

    # Reservations last, all or nothing (a refusal rolls the whole transaction back). A
    # counter row stays locked from here to the commit, and every booking of the window
    # waits for it: so the booking's own writes are done before, not while holding it.
    counters = [customer_counter, offer_counter, *leg_counters]
    full = capacity.reserve_all(session, counters)
    if customer_counter in full:
        raise TooManyOpenBookings(
            f"At most {ctx.policy.max_open_bookings_per_day} open bookings per day.",
            fields=field_error("date", "Too many open bookings on this day."),
        )
    if offer_counter is not None and offer_counter in full:
        raise MerchantCapacityFull(
            f"{offer.merchant.name} takes no more {offer.title!r} on {shop_day.isoformat()}.",
            fields=field_error("date", "The shop's daily capacity is reached."),
        )
    refuse_full(booking.legs, point, full, "window", "point_id")
    session.commit()
    metrics.BOOKINGS_CREATED.labels(channel=booking.channel.value).inc()
    return booking
