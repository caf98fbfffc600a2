"""The hotline sends a caller the tracking link of their booking, by e-mail or SMS.

Rules:
- only dispatchers and admins send it, and only for hotline bookings: a resident who booked
  in the app has the link there and in every mail about the booking;
- exactly one address: an e-mail address, or a phone number — written with digits, spaces,
  ``/``, ``-``, ``.``, brackets and a leading ``+``, with 7 to 15 digits (E.164's maximum);
- the message (template ``tracking_link``) is queued in the outbox in the same transaction;
  the sender adds the link. Without an SMS gateway (``LOUISE_SMS_DIR`` unset) an SMS is
  settled as "not sent: no SMS gateway" and the hotline reads the link out instead.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, User
from louise.bookings.models import Booking, Channel, MessageChannel, OutboxMessage
from louise.bookings.notifications import notify_address
from louise.errors import Conflict, Forbidden, NotFound, ValidationFailed
from louise.merchants.models import Offer

TEMPLATE = "tracking_link"
MIN_DIGITS, MAX_DIGITS = 7, 15
_PHONE_CHARACTERS = re.compile(r"\+?[0-9 /().-]+")


class NotAHotlineBooking(Conflict):
    code = "not_a_hotline_booking"


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF:
        raise Forbidden("Only the hotline (dispatchers) and admins send tracking links.")


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"json": {field: [message]}})


def phone_problem(phone: str) -> str | None:
    """Why ``phone`` is no number to send an SMS to, or ``None`` when it is one."""
    text = phone.strip()
    if not _PHONE_CHARACTERS.fullmatch(text):
        return "Not a phone number: use digits, spaces, / - . ( ) and a leading +."
    digits = re.sub(r"\D", "", text)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return (
            f"A phone number has {MIN_DIGITS} to {MAX_DIGITS} digits; this one has {len(digits)}."
        )
    return None


def _hotline_booking(session: Session, actor: User, booking_id: int) -> Booking:
    _require_staff(actor)
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(f"Booking {booking_id} not found.")
    return booking


def send_tracking_link(
    session: Session,
    actor: User,
    booking_id: int,
    now: datetime,
    *,
    email: str | None = None,
    phone: str | None = None,
) -> OutboxMessage:
    """Queue the booking's tracking link to the e-mail address or phone number a caller
    gives (see the module rules); commits."""
    booking = _hotline_booking(session, actor, booking_id)
    if (email is None) == (phone is None):
        message = "Give either an e-mail address or a phone number."
        raise ValidationFailed(message, fields={"json": {"email": [message], "phone": [message]}})
    if booking.channel != Channel.HOTLINE:
        raise NotAHotlineBooking(
            f"Booking {booking.id} was booked in the app: its resident has the tracking link "
            "there and in every mail about it."
        )
    if phone is not None:
        problem = phone_problem(phone)
        if problem is not None:
            raise _bad("phone", problem)
        channel, recipient = MessageChannel.SMS, phone.strip()
    else:
        assert email is not None
        channel, recipient = MessageChannel.EMAIL, email.strip()
    offer = session.scalar(select(Offer.title).where(Offer.id == booking.offer_id))
    queued = notify_address(session, booking, TEMPLATE, channel, recipient, offer=offer or "")
    queued.created_at = now
    session.commit()
    return queued


def get_message(session: Session, actor: User, booking_id: int, message_id: int) -> OutboxMessage:
    """One outbox message about a booking, to see whether it went out (dispatchers, admins)."""
    _hotline_booking(session, actor, booking_id)
    message = session.get(OutboxMessage, message_id)
    if message is None or message.booking_id != booking_id:
        raise NotFound(f"Message {message_id} of booking {booking_id} not found.")
    return message
