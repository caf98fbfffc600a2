"""Booking rules: windows and capacity, transport legs, lifecycle, the merchant side and
the hotline.

Services take a SQLAlchemy ``Session``, the acting user and plain data; they own the single
commit and raise named domain errors. They never import Flask.
"""

from __future__ import annotations

import functools
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from louise.auth.models import AccountStatus, Role, User
from louise.bookings import availability, capacity, customers, legs, lifecycle, on_route
from louise.bookings.models import (
    Booking,
    BookingStatus,
    CapacityCounter,
    Channel,
    DeliveryPoint,
    DestinationType,
    Leg,
    LegPurpose,
    LegStatus,
    StatusChange,
    StopKind,
)
from louise.bookings.notifications import iso_window, notify
from louise.bookings.policy import BERLIN, ServicePolicy, WindowSpec
from louise.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from louise.fleet.models import District, Shift, Vehicle
from louise.geo.geocoders import Geocoder, ServiceArea
from louise.geo.models import Address
from louise.geo.service import resolve_address
from louise.merchants.models import Merchant, Offer, OfferKind

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LOCKER_SIZES = ("S", "M", "L", "XL")


# --- errors -------------------------------------------------------------------------------


class SlotFull(Conflict):
    code = "slot_full"


class PointFull(Conflict):
    code = "point_full"


class MerchantCapacityFull(Conflict):
    code = "merchant_capacity_full"


class TooManyOpenBookings(Conflict):
    code = "too_many_open_bookings"


class BookingNotCancellable(InvalidState):
    code = "booking_not_cancellable"


class ItemUnderWay(Conflict):
    code = "item_under_way"


class LegLocked(Forbidden):
    code = "leg_locked"


class WindowNotServed(Conflict):
    code = "window_not_served"


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressInput:
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class HotlineCustomer:
    name: str
    phone: str
    email: str | None = None
    locale: str = "de"


@dataclass(frozen=True)
class BookingRequest:
    offer_id: int
    day: date
    window: str
    address: AddressInput | None = None
    address_id: int | None = None
    destination: DestinationType = DestinationType.DOOR
    point_id: int | None = None
    notes: str | None = None
    contact_phone: str | None = None
    customer_id: int | None = None  # hotline: an existing customer
    hotline_customer: HotlineCustomer | None = None  # hotline: a new customer without login


@dataclass(frozen=True)
class BookingContext:
    """What the rules need besides the database: policy, geocoding and the hub."""

    policy: ServicePolicy
    geocoder: Geocoder
    area: ServiceArea
    hub: legs.Stop
    default_fleet_size: int = 3
    extra: dict[str, Any] = field(default_factory=dict)


# --- small helpers ----------------------------------------------------------------------------


def _field_error(name: str, message: str, location: str = "json") -> dict[str, Any]:
    parts = name.split(".")
    node: dict[str, Any] = {parts[-1]: [message]}
    for part in reversed(parts[:-1]):
        node = {part: node}
    return {location: node}


def _new_code(session: Session) -> str:
    for _ in range(10):
        code = "L" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))
        if session.scalar(select(Booking.id).where(Booking.code == code)) is None:
            return code
    raise Conflict("Could not allocate a booking code; try again.")


def new_pin() -> str:
    """A fresh six-digit PIN for a Point or locker hand-over."""
    return f"{secrets.randbelow(1_000_000):06d}"


def record_status(
    session: Session,
    booking: Booking,
    to_status: str,
    actor: User | None,
    *,
    from_status: str | None = None,
    leg: Leg | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    """Write one row of the booking's history (no commit; the status itself is not set)."""
    session.add(
        StatusChange(
            booking_id=booking.id,
            leg_id=leg.id if leg is not None else None,
            from_status=from_status,
            to_status=to_status,
            actor_id=actor.id if actor is not None else None,
            actor_role=actor.role.value if actor is not None else "system",
            note=note,
            **({"at": at} if at is not None else {}),
        )
    )


def set_booking_status(
    session: Session,
    booking: Booking,
    target: BookingStatus,
    actor: User | None,
    note: str | None = None,
) -> None:
    """The one way to change a booking's status: checked, and written to the history."""
    lifecycle.check_booking(booking.status, target)
    record_status(
        session, booking, target.value, actor, from_status=booking.status.value, note=note
    )
    booking.status = target


def set_leg_status(
    session: Session, leg: Leg, target: LegStatus, actor: User | None, note: str | None = None
) -> None:
    """The one way to change a leg's status: checked, and written to the history."""
    lifecycle.check_leg(leg.status, target)
    record_status(
        session,
        leg.booking,
        target.value,
        actor,
        from_status=leg.status.value,
        leg=leg,
        note=note,
    )
    leg.status = target


def find_district(session: Session, lat: float, lon: float) -> District | None:
    """The district of a point. With no districts configured the whole area is one."""
    rows = session.scalars(
        select(District).where(District.active.is_(True)).order_by(District.priority, District.id)
    ).all()
    if not rows:
        return District(
            name="service-area",
            min_lat=-90,
            min_lon=-180,
            max_lat=90,
            max_lon=180,
            vehicle_kinds=["bike", "car"],
            priority=0,
        )
    for district in rows:
        if district.contains(lat, lon):
            return district
    return None


def window_capacity(session: Session, ctx: BookingContext, day: date, spec: WindowSpec) -> int:
    """Stops a window can take: courier-hours in the window × stops per vehicle-hour.

    Courier-hours come from the day's working shifts (active vehicle and courier); a day
    without shifts assumes every active vehicle (or the configured default fleet) works the
    whole window.
    """
    start, end = ctx.policy.window_bounds(day, spec)
    if session.scalar(select(Shift.id).where(Shift.day == day).limit(1)) is not None:
        seconds = 0.0
        for shift in availability.working_shifts(session, day):
            overlap = (min(end, shift.ends_at) - max(start, shift.starts_at)).total_seconds()
            seconds += max(0.0, overlap)
    else:
        vehicles = (
            session.scalar(
                select(func.count()).select_from(Vehicle).where(Vehicle.active.is_(True))
            )
            or ctx.default_fleet_size
        )
        seconds = vehicles * (end - start).total_seconds()
    return math.floor(seconds / 3600 * ctx.policy.stops_per_vehicle_hour)


def _window_counter(session: Session, ctx: BookingContext, day: date, code: str) -> int:
    spec = ctx.policy.window(code)
    return capacity.ensure_counter(
        session, "window", code, day, lambda: window_capacity(session, ctx, day, spec)
    )


def _point_key(point: DeliveryPoint, size: str) -> str:
    return f"{point.id}:{size}" if point.kind == DestinationType.LOCKER else str(point.id)


def point_capacity(point: DeliveryPoint, size: str) -> int:
    if point.kind == DestinationType.LOCKER:
        # A parcel fits a compartment of its size or larger; count those.
        sizes = LOCKER_SIZES[LOCKER_SIZES.index(size) if size in LOCKER_SIZES else 0 :]
        return sum(int(point.compartments.get(s, 0)) for s in sizes)
    return point.shelf_capacity


def point_remaining(session: Session, point: DeliveryPoint, size: str, day: date) -> int:
    return capacity.remaining(
        session, "point", _point_key(point, size), day, lambda: point_capacity(point, size)
    )


def stop_for_point(point: DeliveryPoint) -> legs.Stop:
    """The planner's stop for a Point or locker."""
    kind = StopKind.LOCKER if point.kind == DestinationType.LOCKER else StopKind.POINT
    return legs.Stop(kind, f"{point.name}, {point.address_label}", point.lat, point.lon)


def _point_open(ctx: BookingContext, point: DeliveryPoint, day: date, spec: WindowSpec) -> bool:
    if point.kind == DestinationType.LOCKER or not point.opening_hours:
        return True
    key = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    start, end = ctx.policy.window_bounds(day, spec)
    for opens, closes in point.opening_hours.get(key, []):
        o = datetime.combine(day, datetime.strptime(opens, "%H:%M").time(), tzinfo=ctx.policy.tz)
        c = datetime.combine(day, datetime.strptime(closes, "%H:%M").time(), tzinfo=ctx.policy.tz)
        if o <= start and end <= c:
            return True
    return False


def _shop_stop(merchant: Merchant) -> legs.Stop:
    label = merchant.address.label if merchant.address is not None else merchant.name
    return legs.Stop(StopKind.SHOP, f"{merchant.name}, {label}", merchant.lat, merchant.lon)


def _shop_hours(merchant: Merchant) -> legs.ShopHours:
    def hours(day: date) -> list[tuple[Any, Any]]:
        return [(i.opens, i.closes) for i in merchant.opening_intervals_on(day)]

    return hours


def _check_window(
    ctx: BookingContext, day: date, window: str, now: datetime, prefix: str
) -> WindowSpec:
    try:
        spec = ctx.policy.window(window)
    except KeyError:
        codes = ", ".join(w.code for w in ctx.policy.windows)
        raise ValidationFailed(
            f"Unknown window {window!r}; choose one of {codes}.",
            fields=_field_error(f"{prefix}window", f"Must be one of: {codes}."),
        ) from None
    ok, reason = ctx.policy.bookable(day, spec, now)
    if not ok:
        messages = {
            "in_past": "This window is in the past.",
            "beyond_horizon": f"Bookings reach {ctx.policy.horizon_days} days ahead at most.",
            "closed_day": "No service on Sundays and public holidays.",
            "past_cutoff": "This window can no longer be booked (past the cut-off).",
        }
        raise ValidationFailed(
            messages[reason], fields=_field_error(f"{prefix}date", messages[reason])
        )
    return spec


def _load_offer(session: Session, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise ValidationFailed(
            f"Offer {offer_id} does not exist.",
            fields=_field_error("offer_id", "Unknown offer."),
        )
    if not offer.active or not offer.merchant.active:
        raise ValidationFailed(
            f"Offer {offer_id} is not available.",
            fields=_field_error("offer_id", "Offer is inactive."),
        )
    return offer


def _resolve(
    session: Session, ctx: BookingContext, address: AddressInput | None, address_id: int | None
) -> Address:
    if address_id is not None:
        stored = session.get(Address, address_id)
        if stored is None:
            raise ValidationFailed(
                f"Address {address_id} does not exist.",
                fields=_field_error("address_id", "Unknown address."),
            )
        if not ctx.area.contains(stored.lat, stored.lon):
            raise ValidationFailed(
                "The address lies outside the service area.",
                fields=_field_error("address_id", "Outside the service area."),
            )
        return stored
    if address is None:
        raise ValidationFailed(
            "Give an address or an address_id.",
            fields=_field_error("address", "Missing data for required field."),
        )
    return resolve_address(
        session,
        ctx.geocoder,
        ctx.area,
        street=address.street,
        house_number=address.house_number,
        postcode=address.postcode,
        city=address.city,
        lat=address.lat,
        lon=address.lon,
        field="address",
    )


def _district_of(session: Session, lat: float, lon: float, field_name: str) -> District:
    district = find_district(session, lat, lon)
    if district is None:
        raise ValidationFailed(
            "This address is outside every district we serve.",
            fields=_field_error(field_name, "Outside the service area."),
        )
    return district


# --- who can serve it -------------------------------------------------------------------------


def _needs(session: Session, plans: Sequence[legs.LegPlan]) -> list[tuple[date, availability.Need]]:
    districts = session.scalars(select(District)).all()
    return [
        (
            plan.day,
            availability.need(
                districts,
                plan.origin.kind,
                (plan.origin.lat, plan.origin.lon),
                plan.dest.kind,
                (plan.dest.lat, plan.dest.lon),
                plan.pickup,
                plan.delivery,
            ),
        )
        for plan in plans
    ]


def _first_unserved(
    session: Session, needs: Sequence[tuple[date, availability.Need]]
) -> tuple[date, availability.Need] | None:
    """The first leg no working shift can serve (see :mod:`louise.bookings.availability`)."""
    covers: dict[date, list[availability.Cover]] = {}
    for day, item in needs:
        if day not in covers:
            covers[day] = availability.day_covers(session, day)
        if not availability.served(covers[day], item):
            return day, item
    return None


def _window_needs(
    session: Session, ctx: BookingContext, day: date, spec: WindowSpec, lat: float, lon: float
) -> list[tuple[date, availability.Need]]:
    """A window at a place without an offer: someone must be there in the window."""
    window = ctx.policy.window_bounds(day, spec)
    district = availability.district_at(session.scalars(select(District)).all(), lat, lon)
    return [(day, availability.Need(district, window, window, at_pickup=True))]


def check_served(session: Session, plans: Sequence[legs.LegPlan], field_name: str) -> None:
    """Refuse legs that no working shift of a vehicle serving their district can carry — the
    rule the slots show (409 ``window_not_served``)."""
    missing = _first_unserved(session, _needs(session, plans))
    if missing is not None:
        day, item = missing
        text = availability.explain(item)
        raise WindowNotServed(
            f"{text[0].upper()}{text[1:]} on {day.isoformat()}; choose another window.",
            fields=_field_error(field_name, "No vehicle serves this window here."),
        )


def unserved_legs(
    session: Session, ctx: BookingContext, actor: User, day: date | None, now: datetime
) -> list[dict[str, Any]]:
    """Legs sold that no working shift can serve any more (a shift removed or shortened, a
    vehicle taken out of service): on ``day``, or from today to the booking horizon."""
    if actor.role not in (Role.DISPATCHER, Role.ADMIN):
        raise Forbidden("Only dispatchers and admins see unserved legs.")
    if day is not None:
        first = last = day
    else:
        first = ctx.policy.local(now).date()
        last = first + timedelta(days=ctx.policy.horizon_days)
    rows = session.scalars(
        select(Leg)
        .where(
            Leg.day >= first,
            Leg.day <= last,
            Leg.status == LegStatus.SCHEDULED,
            Leg.tentative.is_(False),
        )
        .order_by(Leg.day, Leg.pickup_start, Leg.id)
    ).all()
    districts = session.scalars(select(District)).all()
    covers: dict[date, list[availability.Cover]] = {}
    out = []
    for leg in rows:
        item = availability.leg_need(districts, leg)
        if leg.day not in covers:
            covers[leg.day] = availability.day_covers(session, leg.day)
        if availability.served(covers[leg.day], item):
            continue
        out.append(
            {
                "leg_id": leg.id,
                "booking_id": leg.booking_id,
                "booking_code": leg.booking.code,
                "day": leg.day,
                "window": leg.window_code,
                "purpose": leg.purpose.value,
                "district": item.district.name if item.district is not None else None,
                "detail": availability.explain(item),
            }
        )
    return out


# --- slots ------------------------------------------------------------------------------------


def list_slots(
    session: Session,
    ctx: BookingContext,
    *,
    day: date,
    lat: float,
    lon: float,
    offer_id: int | None,
    now: datetime,
    lang: str = "en",
) -> dict[str, Any]:
    """The windows of ``day`` at a place, with remaining capacity and a live promise."""
    if not ctx.area.contains(lat, lon):
        raise ValidationFailed(
            "This place lies outside the service area.",
            fields=_field_error("lat", "Outside the service area.", "query"),
        )
    district = _district_of(session, lat, lon, "lat")
    offer = _load_offer(session, offer_id) if offer_id is not None else None
    # A repair and a collection start at the resident's door: the window is a collection.
    collection = offer is not None and offer.kind in (OfferKind.SERVICE, OfferKind.COLLECTION)
    slots: list[dict[str, Any]] = []
    for spec in ctx.policy.windows:
        start, end = ctx.policy.window_bounds(day, spec)
        ok, reason = ctx.policy.bookable(day, spec, now)
        left = capacity.remaining(
            session,
            "window",
            spec.code,
            day,
            functools.partial(window_capacity, session, ctx, day, spec),
        )
        via_hub = False
        needs = _window_needs(session, ctx, day, spec, lat, lon)
        if ok and offer is not None:
            try:
                plans = _plan(ctx, offer, day, spec.code, _stop_at(lat, lon, "here"), None, now)
                via_hub = any(p.via_hub for p in plans)
                needs = _needs(session, plans)
            except legs.ShopUnreachable:
                ok, reason = False, "shop_closed"
        if ok and _first_unserved(session, needs) is not None:
            ok, reason = False, "not_served"
        if ok and left <= 0:
            ok, reason = False, "full"
        slots.append(
            {
                "date": day,
                "window": spec.code,
                "start": start,
                "end": end,
                "remaining": left,
                "bookable": ok,
                "reason": None if ok else reason,
                "via_hub": via_hub,
                "promise": (
                    ctx.policy.promise(day, spec, now, lang, collection=collection) if ok else None
                ),
            }
        )
    return {"date": day, "district": district.name, "slots": slots}


def _stop_at(lat: float, lon: float, label: str) -> legs.Stop:
    return legs.Stop(StopKind.RESIDENT, label, lat, lon)


def _plan(
    ctx: BookingContext,
    offer: Offer,
    day: date,
    window: str,
    resident: legs.Stop,
    dest: legs.Stop | None,
    now: datetime,
) -> list[legs.LegPlan]:
    """Outbound legs for a booking (the return of a service is planned separately)."""
    shop = _shop_stop(offer.merchant)
    hours = _shop_hours(offer.merchant)
    if offer.kind == OfferKind.PRODUCT:
        return legs.plan_delivery(
            ctx.policy,
            shop,
            dest or resident,
            ctx.hub,
            hours,
            day,
            window,
            purpose=LegPurpose.DELIVER,
            earliest_day=ctx.policy.local(now).date(),
            not_before=now,
        )
    return legs.plan_collect(ctx.policy, resident, shop, ctx.hub, hours, day, window)


def _plan_return(
    ctx: BookingContext, offer: Offer, day: date, window: str, dest: legs.Stop, earliest: date
) -> list[legs.LegPlan]:
    return legs.plan_delivery(
        ctx.policy,
        _shop_stop(offer.merchant),
        dest,
        ctx.hub,
        _shop_hours(offer.merchant),
        day,
        window,
        purpose=LegPurpose.RETURN,
        earliest_day=earliest,
    )


def _leg_from_plan(
    plan: legs.LegPlan, seq: int, volume: Any = None, tentative: bool = False
) -> Leg:
    return Leg(
        seq=seq,
        purpose=plan.purpose,
        day=plan.day,
        status=LegStatus.SCHEDULED,
        tentative=tentative,
        window_code=plan.window_code,
        origin_kind=plan.origin.kind,
        origin_label=plan.origin.label,
        origin_lat=plan.origin.lat,
        origin_lon=plan.origin.lon,
        dest_kind=plan.dest.kind,
        dest_label=plan.dest.label,
        dest_lat=plan.dest.lat,
        dest_lon=plan.dest.lon,
        pickup_start=plan.pickup[0].astimezone(UTC),
        pickup_end=plan.pickup[1].astimezone(UTC),
        delivery_start=plan.delivery[0].astimezone(UTC),
        delivery_end=plan.delivery[1].astimezone(UTC),
    )


# --- reservations -----------------------------------------------------------------------------


def _reserve_window(session: Session, ctx: BookingContext, leg: Leg, field_name: str) -> None:
    if leg.window_code is None or leg.tentative:
        return
    counter_id = _window_counter(session, ctx, leg.day, leg.window_code)
    if not capacity.try_reserve(session, counter_id):
        raise SlotFull(
            f"The window {leg.window_code} on {leg.day.isoformat()} is fully booked.",
            fields=_field_error(field_name, "Fully booked."),
        )
    leg.counter_id = counter_id


def reserve_point(
    session: Session, booking: Booking, leg: Leg, point: DeliveryPoint, field_name: str
) -> None:
    """Hold a place at the Point or a locker compartment for the leg (no commit)."""
    if leg.tentative:
        return
    key = _point_key(point, booking.parcel_size)
    counter_id = capacity.ensure_counter(
        session, "point", key, leg.day, lambda: point_capacity(point, booking.parcel_size)
    )
    if not capacity.try_reserve(session, counter_id):
        raise PointFull(
            f"{point.name} has no free place on {leg.day.isoformat()}.",
            fields=_field_error(field_name, "No free place."),
        )
    leg.point_id = point.id
    leg.point_counter_id = counter_id


def _leg_counter_ids(
    session: Session,
    ctx: BookingContext,
    booking: Booking,
    legs_: Sequence[Leg],
    point: DeliveryPoint | None,
) -> list[int]:
    """Counter rows that reserving ``legs_`` will take (created if missing)."""
    ids: list[int] = []
    for leg in legs_:
        if leg.tentative:
            continue
        if leg.window_code is not None:
            ids.append(_window_counter(session, ctx, leg.day, leg.window_code))
        if point is not None and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER):
            size = booking.parcel_size
            ids.append(
                capacity.ensure_counter(
                    session,
                    "point",
                    _point_key(point, size),
                    leg.day,
                    functools.partial(point_capacity, point, size),
                )
            )
    return ids


def held_counter_ids(booking: Booking) -> list[int | None]:
    """Every counter row a booking holds a place in."""
    ids: list[int | None] = [booking.customer_counter_id, booking.offer_counter_id]
    for leg in booking.legs:
        ids += [leg.counter_id, leg.point_counter_id]
    return ids


def _release_leg(session: Session, leg: Leg) -> None:
    if leg.counter_id is not None:
        capacity.release(session, leg.counter_id)
        leg.counter_id = None
    if leg.point_counter_id is not None:
        capacity.release(session, leg.point_counter_id)
        leg.point_counter_id = None


def release_booking(session: Session, booking: Booking) -> None:
    """Give back the booking's capacity and its Point or locker places (no commit)."""
    for counter_id in (booking.customer_counter_id, booking.offer_counter_id):
        if counter_id is not None:
            capacity.release(session, counter_id)
    booking.customer_counter_id = None
    booking.offer_counter_id = None


# --- create -----------------------------------------------------------------------------------


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
                "No such customer.", fields=_field_error("customer_id", "Unknown customer.")
            )
        return existing, Channel.HOTLINE
    raise ValidationFailed(
        "A hotline booking names the customer: customer_id or customer {name, phone}.",
        fields=_field_error("customer", "Missing data for required field."),
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
            fields=_field_error(
                "point_id", "No active Point or locker with this id; see GET /api/v1/points."
            ),
        )
    if destination == DestinationType.LOCKER and point.kind != DestinationType.LOCKER:
        message = f"Point {point.id} is a LOUISE Point, not a locker: send destination 'point'."
        raise ValidationFailed(message, fields=_field_error("destination", message))
    return point


def create_booking(
    session: Session, ctx: BookingContext, actor: User, request: BookingRequest, now: datetime
) -> Booking:
    """Book an offer in a window.

    Rules: the offer is active; the window is bookable (cut-off, closed days, horizon); the
    address is in a served district; the shop is reached within its opening hours (else via
    the hub); the window, the merchant's daily capacity, the resident's open-bookings limit
    and the chosen Point or locker all have a free place — taken atomically or not at all.
    """
    try:
        return _create_booking(session, ctx, actor, request, now)
    except Exception:
        session.rollback()
        raise


def _create_booking(
    session: Session, ctx: BookingContext, actor: User, request: BookingRequest, now: datetime
) -> Booking:
    offer = _load_offer(session, request.offer_id)
    spec = _check_window(ctx, request.day, request.window, now, "")
    customer, channel = _customer_for(session, actor, request)
    address = _resolve(session, ctx, request.address, request.address_id)
    field_name = "address_id" if request.address_id is not None else "address"
    district = _district_of(session, address.lat, address.lon, field_name)
    resident = legs.Stop(StopKind.RESIDENT, address.label, address.lat, address.lon)

    point: DeliveryPoint | None = None
    dest = resident
    if request.destination != DestinationType.DOOR:
        if offer.kind == OfferKind.COLLECTION:
            raise ValidationFailed(
                "A collection starts at your door; Points and lockers are for deliveries.",
                fields=_field_error("destination", "Only 'door' for collections."),
            )
        if request.point_id is None:
            raise ValidationFailed(
                "Choose a Point or locker.", fields=_field_error("point_id", "Missing.")
            )
        point = _destination_point(session, request.destination, request.point_id)
        dest = stop_for_point(point)

    try:
        plans = _plan(ctx, offer, request.day, spec.code, resident, dest, now)
    except legs.ShopUnreachable as exc:
        raise ValidationFailed(str(exc), fields=_field_error("window", str(exc))) from None
    check_served(session, plans, "window")
    if (
        point is not None
        and offer.kind == OfferKind.PRODUCT
        and not _point_open(ctx, point, request.day, spec)
    ):
        raise ValidationFailed(
            f"{point.name} is closed in that window.",
            fields=_field_error("point_id", "Closed in that window."),
        )

    booking = Booking(
        code=_new_code(session),
        customer_id=customer.id,
        created_by_id=actor.id,
        channel=channel,
        offer_id=offer.id,
        merchant_id=offer.merchant_id,
        kind=offer.kind.value,
        status=BookingStatus.REQUESTED,
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
        booking.legs.append(_leg_from_plan(plan, seq))
        seq += 1
    if offer.kind == OfferKind.SERVICE:
        arrival = plans[-1].day
        due = ctx.policy.add_service_days(arrival, offer.turnaround_days or 1)
        booking.return_due = due
        try:
            returns = _plan_return(ctx, offer, due, spec.code, dest, arrival)
        except legs.ShopUnreachable:
            returns = []  # settled when the merchant marks the item ready
        for plan in returns:
            booking.legs.append(_leg_from_plan(plan, seq, tentative=True))
            seq += 1
    session.add(booking)
    session.flush()

    # Reservations: all or nothing (any failure rolls the whole transaction back).
    first_day = plans[0].day
    counter = capacity.ensure_counter(
        session,
        "customer",
        str(customer.id),
        first_day,
        lambda: ctx.policy.max_open_bookings_per_day,
    )
    offer_counter: int | None = None
    if offer.daily_capacity is not None:
        offer_counter = capacity.ensure_counter(
            session, "offer", str(offer.id), plans[-1].day, lambda: offer.daily_capacity or 0
        )
    capacity.lock(
        session,
        [counter, offer_counter, *_leg_counter_ids(session, ctx, booking, booking.legs, point)],
    )
    if not capacity.try_reserve(session, counter):
        raise TooManyOpenBookings(
            f"At most {ctx.policy.max_open_bookings_per_day} open bookings per day.",
            fields=_field_error("date", "Too many open bookings on this day."),
        )
    booking.customer_counter_id = counter
    if offer.daily_capacity is not None:
        shop_day = plans[-1].day
        counter = capacity.ensure_counter(
            session, "offer", str(offer.id), shop_day, lambda: offer.daily_capacity or 0
        )
        if not capacity.try_reserve(session, counter):
            raise MerchantCapacityFull(
                f"{offer.merchant.name} takes no more {offer.title!r} on {shop_day.isoformat()}.",
                fields=_field_error("date", "The shop's daily capacity is reached."),
            )
        booking.offer_counter_id = counter
    for leg in booking.legs:
        _reserve_window(session, ctx, leg, "window")
        if point is not None and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER):
            reserve_point(session, booking, leg, point, "point_id")

    record_status(session, booking, BookingStatus.REQUESTED.value, actor, at=now)
    set_booking_status(session, booking, BookingStatus.CONFIRMED, actor)
    first = booking.legs[0]
    collected = first.origin_kind == StopKind.RESIDENT
    notify(
        session,
        booking,
        "confirmation",
        offer=offer.title,
        leg="collection" if collected else "delivery",
        **_window_of(ctx, first.day, first.window_code, collected, first),
    )
    session.commit()
    return booking


def _window_of(
    ctx: BookingContext, day: date, window: str | None, collected: bool, leg: Leg
) -> dict[str, str]:
    """The booked window a message names: the window the resident chose (the leg's own
    pickup or delivery window when it has none)."""
    if window is not None:
        return iso_window(*ctx.policy.window_bounds(day, ctx.policy.window(window)))
    if collected:
        return iso_window(leg.pickup_start, leg.pickup_end)
    return iso_window(leg.delivery_start, leg.delivery_end)


def _when(ctx: BookingContext, day: date, window: str | None) -> str:
    if window is None:
        return day.strftime("%d.%m.%Y")
    spec = ctx.policy.window(window)
    return f"{day:%d.%m.%Y} {spec.start:%H:%M}–{spec.end:%H:%M}"


# --- reading ----------------------------------------------------------------------------------


def can_see(session: Session, actor: User, booking: Booking) -> bool:
    """Residents see their own bookings, merchants their shop's, couriers the ones on their
    routes, dispatchers and admins all."""
    if actor.role in (Role.DISPATCHER, Role.ADMIN):
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
    if actor.role in (Role.DISPATCHER, Role.ADMIN):
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
    query = select(Booking)
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


# --- cancel and reschedule ----------------------------------------------------------------


def _resident_may_change(actor: User, booking: Booking, legs_: Sequence[Leg]) -> None:
    """Residents change their own bookings until a leg's route is locked (published);
    after that only a dispatcher can."""
    if actor.role in (Role.DISPATCHER, Role.ADMIN):
        return
    if actor.role != Role.CUSTOMER or booking.customer_id != actor.id:
        raise NotFound(f"Booking {booking.id} not found.")
    if any(leg.locked for leg in legs_):
        raise LegLocked(
            "This leg is already on a published route; please call the hotline to change it."
        )


def _withdraw_cancelled(
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


def cancel_booking(
    session: Session, actor: User, booking_id: int, reason: str | None, now: datetime
) -> Booking:
    """Cancel a booking that has not reached the shop yet; every place it held is freed and
    its legs leave any published route."""
    booking = session.get(Booking, booking_id)
    if booking is None or not can_see(session, actor, booking):
        raise NotFound(f"Booking {booking_id} not found.")
    active = [leg for leg in booking.legs if leg.status in (LegStatus.SCHEDULED, LegStatus.FAILED)]
    _resident_may_change(actor, booking, active)
    if BookingStatus.CANCELLED not in lifecycle.BOOKING_TRANSITIONS[booking.status] or any(
        leg.status in (LegStatus.PICKED_UP, LegStatus.DELIVERED) for leg in booking.legs
    ):
        raise BookingNotCancellable(
            f"A booking in state {booking.status.value!r} cannot be cancelled any more."
        )
    capacity.lock(session, held_counter_ids(booking))
    for leg in active:
        _release_leg(session, leg)
        set_leg_status(session, leg, LegStatus.CANCELLED, actor)
    _withdraw_cancelled(session, booking, active, now)
    release_booking(session, booking)
    booking.cancel_reason = reason
    set_booking_status(session, booking, BookingStatus.CANCELLED, actor, note=reason)
    notify(session, booking, "cancelled", reason=reason or "")
    session.commit()
    return booking


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
    try:
        return _reschedule(session, ctx, actor, booking_id, leg_group, day, window, now)
    except Exception:
        session.rollback()
        raise


def _reschedule(
    session: Session,
    ctx: BookingContext,
    actor: User,
    booking_id: int,
    leg_group: str,
    day: date,
    window: str,
    now: datetime,
) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None or not can_see(session, actor, booking):
        raise NotFound(f"Booking {booking_id} not found.")
    is_return = leg_group == "return"
    group = [
        leg
        for leg in booking.legs
        if (leg.purpose == LegPurpose.RETURN) == is_return and leg.status != LegStatus.CANCELLED
    ]
    _resident_may_change(actor, booking, group)
    if is_return and booking.kind != OfferKind.SERVICE.value:
        raise ValidationFailed(
            "Only services have a return.", fields=_field_error("leg", "No return.")
        )
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.COMPLETED, BookingStatus.RETURNED):
        raise InvalidState(f"A {booking.status.value} booking cannot be rescheduled.")
    if any(leg.status != LegStatus.SCHEDULED for leg in group if leg.status != LegStatus.FAILED):
        raise InvalidState("These legs are under way already.")
    spec = _check_window(ctx, day, window, now, "")
    offer = session.get(Offer, booking.offer_id)
    assert offer is not None
    resident = legs.Stop(StopKind.RESIDENT, booking.address_label, booking.lat, booking.lon)
    point = booking.point
    dest = stop_for_point(point) if point is not None else resident
    tentative = is_return and booking.status != BookingStatus.READY
    try:
        if is_return:
            plans = _plan_return(ctx, offer, day, spec.code, dest, ctx.policy.local(now).date())
        else:
            plans = _plan(ctx, offer, day, spec.code, resident, dest, now)
    except legs.ShopUnreachable as exc:
        raise ValidationFailed(str(exc), fields=_field_error("window", str(exc))) from None
    check_served(session, plans, "window")
    if is_return and point is not None and not _point_open(ctx, point, day, spec):
        raise ValidationFailed(
            f"{point.name} is closed in that window.",
            fields=_field_error("window", "The Point is closed then."),
        )
    next_seq = max(leg.seq for leg in booking.legs) + 1
    new_legs = []
    for plan in plans:
        leg = _leg_from_plan(plan, next_seq, tentative=tentative)
        next_seq += 1
        booking.legs.append(leg)
        new_legs.append(leg)
    session.flush()
    capacity.lock(
        session,
        [
            *_leg_counter_ids(session, ctx, booking, new_legs, point),
            *(i for leg in group for i in (leg.counter_id, leg.point_counter_id)),
        ],
    )
    for leg in new_legs:
        _reserve_window(session, ctx, leg, "window")
        if point is not None and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER):
            reserve_point(session, booking, leg, point, "window")
    for leg in group:
        _release_leg(session, leg)
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
    record_status(
        session,
        booking,
        booking.status.value,
        actor,
        from_status=booking.status.value,
        note=f"{leg_group} moved to {_when(ctx, day, spec.code)}",
    )
    session.commit()
    return booking


# --- the merchant side ------------------------------------------------------------------------


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


def mark_ready(
    session: Session, ctx: BookingContext, actor: User, booking_id: int, now: datetime
) -> Booking:
    """The repair is done: the return is scheduled for real (capacity taken) on the
    tentative date or the first bookable window after it, and the resident is told."""
    try:
        return _mark_ready(session, ctx, actor, booking_id, now)
    except Exception:
        session.rollback()
        raise


def _mark_ready(
    session: Session, ctx: BookingContext, actor: User, booking_id: int, now: datetime
) -> Booking:
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
            if booking.point is not None and not _point_open(ctx, booking.point, day, spec):
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
                chosen_plans = _plan_return(ctx, offer, day, code, dest, today)
            except legs.ShopUnreachable:
                continue
            if _first_unserved(session, _needs(session, chosen_plans)) is not None:
                chosen_plans = []
                continue
            break
        if chosen_plans:
            break
    next_seq = max(leg.seq for leg in booking.legs) + 1
    chosen = [_leg_from_plan(p, next_seq + i) for i, p in enumerate(chosen_plans)]
    for leg in chosen:
        booking.legs.append(leg)
    session.flush()
    capacity.lock(session, _leg_counter_ids(session, ctx, booking, chosen, booking.point))
    for leg in chosen:
        _reserve_window(session, ctx, leg, "window")
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
        **_window_of(ctx, chosen[-1].day, chosen[-1].window_code, False, chosen[-1]),
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
        _release_leg(session, leg)
        set_leg_status(session, leg, LegStatus.CANCELLED, actor)
    _withdraw_cancelled(session, booking, cancelled, now)
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


# --- capacity administration ------------------------------------------------------------------


def set_window_capacity(
    session: Session, ctx: BookingContext, actor: User, day: date, window: str, value: int
) -> CapacityCounter:
    """Dispatchers cap or widen a window; never below what is booked already."""
    if actor.role not in (Role.DISPATCHER, Role.ADMIN):
        raise Forbidden("Only dispatchers set capacity.")
    if window not in {w.code for w in ctx.policy.windows}:
        raise ValidationFailed("Unknown window.", fields=_field_error("window", "Unknown window."))
    counter_id = _window_counter(session, ctx, day, window)
    counter = session.get(CapacityCounter, counter_id)
    assert counter is not None
    session.refresh(counter)
    if value < counter.used:
        raise Conflict(
            f"{counter.used} stops are booked already; capacity cannot go below that.",
            fields=_field_error("capacity", f"At least {counter.used}."),
        )
    counter.capacity = value
    session.commit()
    return counter
