"""The shared vocabulary of the booking use cases: their errors, their inputs, the
context the rules need, and the field errors they report.

Services take a SQLAlchemy ``Session``, the acting user and plain data; they own the single
commit and raise named domain errors. They never import Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from louise.bookings import legs
from louise.bookings.models import DestinationType
from louise.bookings.policy import ServicePolicy
from louise.errors import Conflict, Forbidden, InvalidState
from louise.geo.geocoders import Geocoder, ServiceArea


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


def field_error(name: str, message: str, location: str = "json") -> dict[str, Any]:
    parts = name.split(".")
    node: dict[str, Any] = {parts[-1]: [message]}
    for part in reversed(parts[:-1]):
        node = {part: node}
    return {location: node}
