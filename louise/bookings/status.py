"""Status changes: the one way to change a booking's or a leg's status (checked against the
state machines of :mod:`louise.bookings.lifecycle`), and the history rows they write."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings import lifecycle
from louise.bookings.models import Booking, BookingStatus, Leg, LegStatus, StatusChange
from louise.db import utcnow


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


def record_note(
    session: Session, booking: Booking, actor: User | None, note: str, leg: Leg | None = None
) -> None:
    """A history row that changes nothing but says what happened (a move, a fallback)."""
    status = booking.status.value
    record_status(session, booking, status, actor, from_status=status, leg=leg, note=note)


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


# built once; a Core insert of the table: the rows are written, no ORM object is kept
_HISTORY = insert(cast(Table, StatusChange.__table__))


def record_confirmed(
    session: Session, booking: Booking, actor: User | None, at: datetime | None = None
) -> None:
    """A new booking is requested and confirmed in one use case: it is inserted
    ``confirmed`` (its row written once) and its history gets both steps, written at once
    in one statement (the booking is flushed already)."""
    lifecycle.check_booking(BookingStatus.REQUESTED, BookingStatus.CONFIRMED)
    assert booking.status == BookingStatus.CONFIRMED
    requested = BookingStatus.REQUESTED.value
    row = {
        "booking_id": booking.id,
        "leg_id": None,
        "actor_id": actor.id if actor is not None else None,
        "actor_role": actor.role.value if actor is not None else "system",
        "note": None,
        "at": at if at is not None else utcnow(),
    }
    session.execute(
        _HISTORY,
        [
            {**row, "from_status": None, "to_status": requested},
            {**row, "from_status": requested, "to_status": BookingStatus.CONFIRMED.value},
        ],
    )


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
