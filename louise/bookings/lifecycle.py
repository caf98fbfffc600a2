"""The booking and leg state machines. Every change goes through :func:`check_booking` or
:func:`check_leg`; anything else is an invalid transition (409, nothing changes)."""

from __future__ import annotations

from louise.bookings.models import BookingStatus as B
from louise.bookings.models import LegStatus as L
from louise.errors import InvalidState

BOOKING_TRANSITIONS: dict[B, frozenset[B]] = {
    B.REQUESTED: frozenset({B.CONFIRMED, B.CANCELLED}),
    B.CONFIRMED: frozenset({B.AT_SHOP, B.COMPLETED, B.CANCELLED}),
    B.AT_SHOP: frozenset({B.READY, B.COMPLETED, B.CANCELLED}),
    B.READY: frozenset({B.RETURNED}),
    B.RETURNED: frozenset({B.COMPLETED}),
    B.COMPLETED: frozenset(),
    B.CANCELLED: frozenset(),
}

LEG_TRANSITIONS: dict[L, frozenset[L]] = {
    L.SCHEDULED: frozenset({L.PICKED_UP, L.FAILED, L.CANCELLED}),
    L.PICKED_UP: frozenset({L.DELIVERED, L.FAILED}),
    L.DELIVERED: frozenset(),
    L.FAILED: frozenset({L.SCHEDULED, L.CANCELLED}),  # a new attempt, or give up
    L.CANCELLED: frozenset(),
}


def check_booking(current: B, target: B) -> None:
    if target not in BOOKING_TRANSITIONS[current]:
        raise InvalidState(
            f"A booking cannot go from {current.value!r} to {target.value!r}.",
            fields={"status": [f"{current.value} → {target.value} is not allowed"]},
        )


def check_leg(current: L, target: L) -> None:
    if target not in LEG_TRANSITIONS[current]:
        raise InvalidState(
            f"A leg cannot go from {current.value!r} to {target.value!r}.",
            fields={"status": [f"{current.value} → {target.value} is not allowed"]},
        )
