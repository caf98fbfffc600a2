"""LOUISE Points and parcel lockers as booking destinations: places, opening hours, PINs."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy.orm import Session

from louise.bookings import capacity, legs
from louise.bookings.common import BookingContext
from louise.bookings.models import DeliveryPoint, DestinationType, StopKind
from louise.bookings.policy import WindowSpec
from louise.localtime import weekday_key
from louise.merchants.models import STANDARD_SIZES


def new_pin() -> str:
    """A fresh six-digit PIN for a Point or locker hand-over."""
    return f"{secrets.randbelow(1_000_000):06d}"


def point_key(point: DeliveryPoint, size: str) -> str:
    return f"{point.id}:{size}" if point.kind == DestinationType.LOCKER else str(point.id)


def point_capacity(point: DeliveryPoint, size: str) -> int:
    if point.kind == DestinationType.LOCKER:
        # A parcel fits a compartment of its size or larger; count those.
        sizes = STANDARD_SIZES[STANDARD_SIZES.index(size) if size in STANDARD_SIZES else 0 :]
        return sum(int(point.compartments.get(s, 0)) for s in sizes)
    return point.shelf_capacity


def point_remaining(session: Session, point: DeliveryPoint, size: str, day: date) -> int:
    return capacity.remaining(
        session, "point", point_key(point, size), day, lambda: point_capacity(point, size)
    )


def stop_for_point(point: DeliveryPoint) -> legs.Stop:
    """The planner's stop for a Point or locker."""
    kind = StopKind.LOCKER if point.kind == DestinationType.LOCKER else StopKind.POINT
    return legs.Stop(kind, f"{point.name}, {point.address_label}", point.lat, point.lon)


def point_open(ctx: BookingContext, point: DeliveryPoint, day: date, spec: WindowSpec) -> bool:
    if point.kind == DestinationType.LOCKER or not point.opening_hours:
        return True
    key = weekday_key(day)
    start, end = ctx.policy.window_bounds(day, spec)
    for opens, closes in point.opening_hours.get(key, []):
        o = datetime.combine(day, datetime.strptime(opens, "%H:%M").time(), tzinfo=ctx.policy.tz)
        c = datetime.combine(day, datetime.strptime(closes, "%H:%M").time(), tzinfo=ctx.policy.tz)
        if o <= start and end <= c:
            return True
    return False


def place_text(point: DeliveryPoint) -> str:
    """A LOUISE Point or locker as a resident reads it: its name and address."""
    if point.address_label.startswith(point.name):
        return point.address_label
    return f"{point.name}, {point.address_label}"
