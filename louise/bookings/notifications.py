"""Notifications: written to the outbox in the same transaction as the change they report.

Templates exist in German (the default) and English. A sender (``flask send-notifications``)
delivers them later by SMTP, or into a folder (demo)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from louise.bookings.models import Booking, OutboxMessage

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "confirmation": {
        "de": (
            "Ihre Buchung {code} ist bestätigt",
            "Hallo {name},\n\nIhre Buchung {code} ({offer}) ist bestätigt.\n"
            "Termin: {when}.\n\nIhr LOUISE-Team",
        ),
        "en": (
            "Your booking {code} is confirmed",
            "Hello {name},\n\nyour booking {code} ({offer}) is confirmed.\n"
            "When: {when}.\n\nYour LOUISE team",
        ),
    },
    "pickup_tomorrow": {
        "de": (
            "Abholung morgen: {code}",
            "Hallo {name},\n\nwir holen morgen ({when}) Ihre Sendung {code} ab.\n\nIhr LOUISE-Team",
        ),
        "en": (
            "Pickup tomorrow: {code}",
            "Hello {name},\n\nwe collect your item {code} tomorrow ({when}).\n\nYour LOUISE team",
        ),
    },
    "item_ready": {
        "de": (
            "Fertig: {code}",
            "Hallo {name},\n\n{offer} ist fertig. Wir bringen es am {when}. "
            "Sie können das Zeitfenster in der App ändern.\n\nIhr LOUISE-Team",
        ),
        "en": (
            "Ready: {code}",
            "Hello {name},\n\n{offer} is ready. We bring it back on {when}. "
            "You can change the time window in the app.\n\nYour LOUISE team",
        ),
    },
    "out_for_delivery": {
        "de": (
            "Unterwegs: {code}",
            "Hallo {name},\n\nIhre Sendung {code} ist unterwegs. Erwartet: {when}.\n\n"
            "Ihr LOUISE-Team",
        ),
        "en": (
            "On its way: {code}",
            "Hello {name},\n\nyour item {code} is on its way. Expected: {when}.\n\n"
            "Your LOUISE team",
        ),
    },
    "delivered": {
        "de": (
            "Zugestellt: {code}",
            "Hallo {name},\n\nIhre Sendung {code} wurde zugestellt: {place}.{pin_line}\n\n"
            "Ihr LOUISE-Team",
        ),
        "en": (
            "Delivered: {code}",
            "Hello {name},\n\nyour item {code} was delivered: {place}.{pin_line}\n\n"
            "Your LOUISE team",
        ),
    },
    "failed_attempt": {
        "de": (
            "Zustellversuch fehlgeschlagen: {code}",
            "Hallo {name},\n\nwir konnten {code} nicht zustellen ({reason}). {next_step}\n\n"
            "Ihr LOUISE-Team",
        ),
        "en": (
            "Delivery attempt failed: {code}",
            "Hello {name},\n\nwe could not deliver {code} ({reason}). {next_step}\n\n"
            "Your LOUISE team",
        ),
    },
    "cancelled": {
        "de": (
            "Storniert: {code}",
            "Hallo {name},\n\nIhre Buchung {code} wurde storniert. {reason}\n\nIhr LOUISE-Team",
        ),
        "en": (
            "Cancelled: {code}",
            "Hello {name},\n\nyour booking {code} was cancelled. {reason}\n\nYour LOUISE team",
        ),
    },
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, locale: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of a message; unknown locales fall back to German."""
    variants = TEMPLATES[template]
    subject, body = variants.get(locale) or variants["de"]
    values = _Blank(context)
    return subject.format_map(values), body.format_map(values)


def notify(session: Session, booking: Booking, template: str, **context: Any) -> OutboxMessage:
    """Queue a message to the booking's customer (flush only; the caller commits)."""
    if template not in TEMPLATES:
        raise KeyError(template)
    customer = booking.customer
    values: dict[str, Any] = {
        "code": booking.code,
        "name": booking.contact_name,
        "booking_id": booking.id,
    }
    values.update(
        {k: (v if isinstance(v, int | float | bool) else str(v)) for k, v in context.items()}
    )
    message = OutboxMessage(
        booking_id=booking.id,
        user_id=customer.id if customer is not None else booking.customer_id,
        recipient=customer.email if customer is not None else None,
        template=template,
        locale=booking.locale,
        context=values,
    )
    session.add(message)
    return message
