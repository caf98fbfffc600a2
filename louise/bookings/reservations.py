"""Reservations: holding and freeing places in windows, Points and lockers (no commit;
the use case that calls them owns the transaction)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

from sqlalchemy.orm import Session

from louise.bookings import capacity
from louise.bookings.common import BookingContext, PointFull, SlotFull, field_error
from louise.bookings.lookups import Lookups
from louise.bookings.models import Booking, DeliveryPoint, Leg, StopKind
from louise.bookings.points import point_capacity, point_key
from louise.bookings.slots import window_counter


def reserve_window(
    session: Session,
    ctx: BookingContext,
    leg: Leg,
    field_name: str,
    lookups: Lookups | None = None,
) -> None:
    if leg.window_code is None or leg.tentative:
        return
    counter_id = window_counter(session, ctx, leg.day, leg.window_code, lookups)
    if not capacity.try_reserve(session, counter_id):
        raise SlotFull(
            f"The window {leg.window_code} on {leg.day.isoformat()} is fully booked.",
            fields=field_error(field_name, "Fully booked."),
        )
    leg.counter_id = counter_id


def reserve_point(
    session: Session,
    booking: Booking,
    leg: Leg,
    point: DeliveryPoint,
    field_name: str,
    lookups: Lookups | None = None,
) -> None:
    """Hold a place at the Point or a locker compartment for the leg (no commit)."""
    if leg.tentative:
        return
    key = point_key(point, booking.parcel_size)
    counter_id = capacity.ensure_counter(
        session,
        "point",
        key,
        leg.day,
        lambda: point_capacity(point, booking.parcel_size),
        memo=lookups.counters if lookups is not None else None,
    )
    if not capacity.try_reserve(session, counter_id):
        raise PointFull(
            f"{point.name} has no free place on {leg.day.isoformat()}.",
            fields=field_error(field_name, "No free place."),
        )
    leg.point_id = point.id
    leg.point_counter_id = counter_id


def _leg_counters(
    session: Session,
    ctx: BookingContext,
    booking: Booking,
    legs_: Sequence[Leg],
    point: DeliveryPoint | None,
    lookups: Lookups | None,
) -> Iterator[tuple[Leg, str, int]]:
    """(leg, "window" or "point", counter id) for every place reserving ``legs_`` takes, in
    reservation order; each counter row is created if missing."""
    memo = lookups.counters if lookups is not None else None
    for leg in legs_:
        if leg.tentative:
            continue
        if leg.window_code is not None:
            yield leg, "window", window_counter(session, ctx, leg.day, leg.window_code, lookups)
        if point is not None and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER):
            size = booking.parcel_size
            counter_id = capacity.ensure_counter(
                session,
                "point",
                point_key(point, size),
                leg.day,
                functools.partial(point_capacity, point, size),
                memo=memo,
            )
            yield leg, "point", counter_id


def leg_counter_ids(
    session: Session,
    ctx: BookingContext,
    booking: Booking,
    legs_: Sequence[Leg],
    point: DeliveryPoint | None,
    lookups: Lookups | None = None,
) -> list[int]:
    """Counter rows that reserving ``legs_`` will take (created if missing)."""
    return [c for _, _, c in _leg_counters(session, ctx, booking, legs_, point, lookups)]


def assign_counters(
    session: Session,
    ctx: BookingContext,
    booking: Booking,
    legs_: Sequence[Leg],
    point: DeliveryPoint | None,
    lookups: Lookups | None = None,
) -> list[int]:
    """Find or create the counters that reserving ``legs_`` takes and name them on the legs,
    without taking a place yet (:func:`capacity.reserve_all` does, in the same
    transaction; :func:`refuse_full` raises for a full one)."""
    ids: list[int] = []
    for leg, scope, counter_id in _leg_counters(session, ctx, booking, legs_, point, lookups):
        if scope == "window":
            leg.counter_id = counter_id
        else:
            assert point is not None
            leg.point_id = point.id
            leg.point_counter_id = counter_id
        ids.append(counter_id)
    return ids


def refuse_full(
    legs_: Sequence[Leg],
    point: DeliveryPoint | None,
    full: set[int],
    window_field: str,
    point_field: str,
) -> None:
    """After :func:`capacity.reserve_all` of the counters :func:`assign_counters` named
    on ``legs_``: raise for the first of them, leg by leg (window, then Point or locker),
    that was ``full``; the caller's transaction rolls back."""
    for leg in legs_:
        if leg.tentative:
            continue
        if leg.counter_id is not None and leg.counter_id in full:
            raise SlotFull(
                f"The window {leg.window_code} on {leg.day.isoformat()} is fully booked.",
                fields=field_error(window_field, "Fully booked."),
            )
        if point is not None and leg.point_counter_id is not None and leg.point_counter_id in full:
            raise PointFull(
                f"{point.name} has no free place on {leg.day.isoformat()}.",
                fields=field_error(point_field, "No free place."),
            )


def held_counter_ids(booking: Booking) -> list[int | None]:
    """Every counter row a booking holds a place in."""
    ids: list[int | None] = [booking.customer_counter_id, booking.offer_counter_id]
    for leg in booking.legs:
        ids += [leg.counter_id, leg.point_counter_id]
    return ids


def release_leg(session: Session, leg: Leg) -> None:
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
