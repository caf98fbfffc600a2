"""Checking a booking request: the offer, the window, the address and its district."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from louise.auth.models import STAFF, User
from louise.bookings.availability import district_at
from louise.bookings.common import AddressInput, BookingContext, field_error
from louise.bookings.models import Booking
from louise.bookings.policy import ServicePolicy, WindowSpec
from louise.errors import NotFound, ValidationFailed
from louise.fleet.models import District
from louise.geo.models import Address
from louise.geo.service import resolve_address
from louise.merchants.models import Merchant, Offer


def find_district(
    session: Session, lat: float, lon: float, districts: Sequence[District] | None = None
) -> District | None:
    """The district of a point. With no districts configured the whole area is one.
    ``districts``: every district, when the caller has read them already."""
    if districts is None:
        districts = session.scalars(select(District)).all()
    if not any(d.active for d in districts):
        return District(
            name="service-area",
            min_lat=-90,
            min_lon=-180,
            max_lat=90,
            max_lon=180,
            vehicle_kinds=["bike", "car"],
            priority=0,
        )
    return district_at(districts, lat, lon)


def district_of(
    session: Session,
    lat: float,
    lon: float,
    field_name: str,
    districts: Sequence[District] | None = None,
) -> District:
    district = find_district(session, lat, lon, districts)
    if district is None:
        raise ValidationFailed(
            "This address is outside every district we serve.",
            fields=field_error(field_name, "Outside the service area."),
        )
    return district


# built once: an offer with its shop, the shop's hours and date exceptions, in one statement
# (the windows need them); not the shop's owner, which no booking rule reads
_SHOP = joinedload(Offer.merchant)
_OFFER_WITH_HOURS = (
    _SHOP.lazyload(Merchant.owner),
    _SHOP.joinedload(Merchant.opening_intervals),
    _SHOP.joinedload(Merchant.opening_exceptions),
)


_OFFER = select(Offer).where(Offer.id == bindparam("offer_id")).options(*_OFFER_WITH_HOURS)


def load_offer(session: Session, offer_id: int, location: str = "json") -> Offer:
    """The offer with its shop and hours; an unknown or inactive one is a 422 naming
    ``offer_id`` (in the body, or ``location`` "query")."""
    # a statement built once, not Session.get: its options' cache key is worked out anew on
    # every get (a third of the offer's load time)
    offer = session.execute(_OFFER, {"offer_id": offer_id}).unique().scalar_one_or_none()
    if offer is None:
        raise ValidationFailed(
            f"Offer {offer_id} does not exist.",
            fields=field_error("offer_id", "Unknown offer.", location),
        )
    if not offer.active or not offer.merchant.active:
        raise ValidationFailed(
            f"Offer {offer_id} is not available.",
            fields=field_error("offer_id", "Offer is inactive.", location),
        )
    return offer


def named_address(session: Session, actor: User | None, address_id: int) -> Address:
    """Addresses are private: staff may name any; a customer the addresses of their own
    bookings; a merchant their shop's. To anyone else (anonymous callers included) an address
    does not exist: 404, the same answer as for an id that names nothing."""
    address = session.get(Address, address_id)
    if address is not None and actor is not None:
        if actor.role in STAFF:
            return address
        own_booking = select(Booking.id).where(
            Booking.customer_id == actor.id, Booking.address_id == address_id
        )
        own_shop = select(Merchant.id).where(
            Merchant.owner_id == actor.id, Merchant.address_id == address_id
        )
        if session.scalar(own_booking.limit(1)) or session.scalar(own_shop.limit(1)):
            return address
    raise NotFound(f"Address {address_id} not found.")


def check_horizon(policy: ServicePolicy, day: date, now: datetime, location: str) -> None:
    """A day outside the booking horizon (today … today + horizon_days) is a 422 naming
    ``date``: nothing can be booked there, and far dates have no sound local time."""
    first, last = policy.horizon(now)
    if not first <= day <= last:
        message = f"Must be from {first.isoformat()} to {last.isoformat()} (the booking horizon)."
        raise ValidationFailed(f"date: {message}", fields=field_error("date", message, location))


def resolve_booking_address(
    session: Session,
    ctx: BookingContext,
    actor: User,
    address: AddressInput | None,
    address_id: int | None,
) -> Address:
    """The booking's address: a new one, or a stored one ``actor`` may name (see
    ``named_address``; any other id is unknown)."""
    if address_id is not None:
        try:
            stored = named_address(session, actor, address_id)
        except NotFound:
            raise ValidationFailed(
                f"Address {address_id} does not exist.",
                fields=field_error("address_id", "Unknown address."),
            ) from None
        if not ctx.area.contains(stored.lat, stored.lon):
            raise ValidationFailed(
                "The address lies outside the service area.",
                fields=field_error("address_id", "Outside the service area."),
            )
        return stored
    if address is None:
        raise ValidationFailed(
            "Give an address or an address_id.",
            fields=field_error("address", "Missing data for required field."),
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


def check_window(
    ctx: BookingContext, day: date, window: str, now: datetime, prefix: str
) -> WindowSpec:
    try:
        spec = ctx.policy.window(window)
    except KeyError:
        codes = ", ".join(w.code for w in ctx.policy.windows)
        raise ValidationFailed(
            f"Unknown window {window!r}; choose one of {codes}.",
            fields=field_error(f"{prefix}window", f"Must be one of: {codes}."),
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
            messages[reason], fields=field_error(f"{prefix}date", messages[reason])
        )
    return spec
