"""Notifications: written to the outbox in the same transaction as the change they report.

Templates exist in German (the default) and English. A sender (``flask send-notifications``)
delivers them later by SMTP, or into a folder (demo).

Rules:
- a message that names a time stores the window (``window_start``/``window_end``, ISO 8601)
  and says "heute"/"morgen"/the date when it is *rendered*: the day is judged in
  Europe/Berlin against the send time, so a message queued late in the evening and sent
  after midnight still says the right day;
- the words follow the leg: a collection at the resident's door is "we collect", a delivery
  is "we bring"; nothing says a parcel is "on its way" before a courier has it;
- every mail about a booking ends with its tracking link when the sender knows the public
  address of the service (``LOUISE_PUBLIC_URL``); so does every SMS (``tracking_link``,
  sent by the hotline on a caller's request).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from louise.bookings.models import Booking, MessageChannel, OutboxMessage
from louise.bookings.policy import BERLIN

#: ``template`` or ``template.variant`` → locale → (subject, body). The greeting is part of
#: the body; the tracking link and the signature are added by :func:`render`.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "confirmation": {
        "de": (
            "Ihre Buchung {code} ist bestätigt",
            "Hallo {name},\n\nIhre Buchung {code} ({offer}) ist bestätigt.\n{leg_label}: {when}.",
        ),
        "en": (
            "Your booking {code} is confirmed",
            "Hello {name},\n\nyour booking {code} ({offer}) is confirmed.\n{leg_label}: {when}.",
        ),
    },
    "confirmation.point": {
        "de": (
            "Ihre Buchung {code} ist bestätigt",
            "Hallo {name},\n\nIhre Buchung {code} ({offer}) ist bestätigt.\n{leg_label}: {when}, "
            "an {place}.\nSobald Ihre Sendung dort liegt, schicken wir Ihnen die Abhol-PIN.",
        ),
        "en": (
            "Your booking {code} is confirmed",
            "Hello {name},\n\nyour booking {code} ({offer}) is confirmed.\n{leg_label}: {when}, "
            "to {place}.\nWe will send you the pickup PIN as soon as your parcel is there.",
        ),
    },
    "pickup_tomorrow": {
        "de": (
            "Abholung {day}: {code}",
            "Hallo {name},\n\nwir holen Ihren Artikel für die Buchung {code} {when} "
            "bei Ihnen ab. Bitte halten Sie ihn bereit.",
        ),
        "en": (
            "Collection {day}: {code}",
            "Hello {name},\n\nwe will collect your item for booking {code} from your door "
            "{when}. Please have it ready.",
        ),
    },
    "collection_planned": {
        "de": (
            "Abholung {day}: {code}",
            "Hallo {name},\n\nwir holen Ihren Artikel für die Buchung {code} ({offer}) {when} "
            "bei Ihnen ab. Bitte halten Sie ihn bereit.",
        ),
        "en": (
            "Collection {day}: {code}",
            "Hello {name},\n\nwe will collect your item for booking {code} ({offer}) from your "
            "door {when}. Please have it ready.",
        ),
    },
    "delivery_planned": {
        "de": (
            "Lieferung {day}: {code}",
            "Hallo {name},\n\nwir bringen Ihre Sendung {code} ({offer}) {when} zu Ihnen.",
        ),
        "en": (
            "Delivery {day}: {code}",
            "Hello {name},\n\nwe will bring your parcel {code} ({offer}) to your door {when}.",
        ),
    },
    "delivery_planned.point": {
        "de": (
            "Lieferung {day}: {code}",
            "Hallo {name},\n\nwir bringen Ihre Sendung {code} ({offer}) {when} an Ihren "
            "Abholort: {place}. Danach können Sie sie dort mit Ihrer Abhol-PIN abholen.",
        ),
        "en": (
            "Delivery {day}: {code}",
            "Hello {name},\n\nwe will bring your parcel {code} ({offer}) {when} to your "
            "pickup point: {place}. You can then collect it there with your pickup PIN.",
        ),
    },
    "item_ready": {
        "de": (
            "Fertig: {code}",
            "Hallo {name},\n\nIhr Auftrag {code} ({offer}) ist fertig. Wir bringen Ihren "
            "Artikel {when} zurück. Sie können das Zeitfenster in der App ändern.",
        ),
        "en": (
            "Ready: {code}",
            "Hello {name},\n\nyour order {code} ({offer}) is ready. We will bring your item "
            "back {when}. You can change the time window in the app.",
        ),
    },
    "delivered": {
        "de": (
            "Zugestellt: {code}",
            "Hallo {name},\n\nIhre Sendung {code} wurde zugestellt: {place}.{pin_line}",
        ),
        "en": (
            "Delivered: {code}",
            "Hello {name},\n\nyour parcel {code} was delivered: {place}.{pin_line}",
        ),
    },
    "delivered.point": {
        "de": (
            "Abholbereit: {code}",
            "Hallo {name},\n\nIhre Sendung {code} liegt für Sie bereit: {place}.\n"
            "Ihre Abhol-PIN: {pin}",
        ),
        "en": (
            "Ready for pickup: {code}",
            "Hello {name},\n\nyour parcel {code} is ready for you to collect: {place}.\n"
            "Your pickup PIN: {pin}",
        ),
    },
    "failed_attempt": {
        "de": (
            "Zustellversuch fehlgeschlagen: {code}",
            "Hallo {name},\n\nwir konnten Ihre Sendung {code} nicht zustellen ({reason}). "
            "{next_step}",
        ),
        "en": (
            "Delivery attempt failed: {code}",
            "Hello {name},\n\nwe could not deliver your parcel {code} ({reason}). {next_step}",
        ),
    },
    "failed_attempt.point": {
        "de": (
            "Zustellversuch fehlgeschlagen: {code}",
            "Hallo {name},\n\nwir konnten Ihre Sendung {code} nicht zustellen ({reason}). "
            "Wir bringen sie {when} an diesen Abholort: {place}. Danach können Sie sie dort "
            "mit Ihrer Abhol-PIN {pin} abholen.",
        ),
        "en": (
            "Delivery attempt failed: {code}",
            "Hello {name},\n\nwe could not deliver your parcel {code} ({reason}). We will "
            "bring it {when} to this pickup point: {place}. You can then collect it there "
            "with your pickup PIN {pin}.",
        ),
    },
    "cancelled": {
        "de": (
            "Storniert: {code}",
            "Hallo {name},\n\nIhre Buchung {code} wurde storniert.{reason_line}",
        ),
        "en": (
            "Cancelled: {code}",
            "Hello {name},\n\nyour booking {code} was cancelled.{reason_line}",
        ),
    },
    "tracking_link": {
        "de": (
            "Sendungsverfolgung: {code}",
            "Hallo {name},\n\nhier ist der Link, mit dem Sie Ihre Buchung {code} ({offer}) "
            "verfolgen können.",
        ),
        "en": (
            "Tracking: {code}",
            "Hello {name},\n\nhere is the link to follow your booking {code} ({offer}).",
        ),
    },
}

#: Templates that are nothing without the tracking link: not sent when it is unknown.
NEEDS_LINK = frozenset({"tracking_link"})

#: Queued before these templates were split by leg: rendered with their successor.
LEGACY = {"out_for_delivery": "delivery_planned"}

_FOOTER = {
    "de": ("Sendungsverfolgung: {url}", "Ihr LOUISE-Team"),
    "en": ("Track your booking: {url}", "Your LOUISE team"),
}
_LEG_LABEL = {
    "de": {"collection": "Abholung bei Ihnen", "delivery": "Lieferung", None: "Termin"},
    "en": {"collection": "Collection from your door", "delivery": "Delivery", None: "When"},
}
_REASON_LINE = {"de": " Grund: {reason}", "en": " Reason: {reason}"}
_WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def day_words(day: date, lang: str, now: datetime | None) -> str:
    """'heute' / 'morgen' / 'am Dienstag, 24.11.2026' (English: 'today' / 'tomorrow' /
    'on Tuesday, 24 November 2026'), judged in Europe/Berlin at ``now``; without ``now``
    always the date."""
    today = now.astimezone(BERLIN).date() if now is not None else None
    if today is not None and day == today:
        return "heute" if lang == "de" else "today"
    if today is not None and day == today + timedelta(days=1):
        return "morgen" if lang == "de" else "tomorrow"
    return ("am " if lang == "de" else "on ") + format_day(lang, day)


def format_day(lang: str, day: date) -> str:
    """'Dienstag, 24.11.2026' / 'Tuesday, 24 November 2026' (mails and route sheets)."""
    weekday = _WEEKDAYS[lang][day.weekday()]
    if lang == "en":
        return f"{weekday}, {day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{weekday}, {day:%d.%m.%Y}"


def window_words(start: datetime, end: datetime, lang: str, now: datetime | None) -> str:
    """'heute zwischen 18:05 und 18:35 Uhr' / 'on Tuesday, 24 November 2026, between 17:30
    and 20:00' (local times in Europe/Berlin)."""
    local_start, local_end = start.astimezone(BERLIN), end.astimezone(BERLIN)
    day = day_words(local_start.date(), lang, now)
    comma = "," if day.startswith(("am ", "on ")) else ""
    if lang == "de":
        return f"{day}{comma} zwischen {local_start:%H:%M} und {local_end:%H:%M} Uhr"
    return f"{day}{comma} between {local_start:%H:%M} and {local_end:%H:%M}"


def tracking_link(public_url: str, token: str) -> str:
    """The tracking link of a booking: the public tracking page (``GET /track/{token}``, no
    login; the API answers the same at ``GET /api/v1/track/{token}``)."""
    return f"{public_url.rstrip('/')}/track/{token}"


def _language(locale: str) -> str:
    return locale if locale in ("de", "en") else "de"


def render(
    template: str,
    locale: str,
    context: dict[str, Any],
    now: datetime | None = None,
    tracking_url: str | None = None,
) -> tuple[str, str]:
    """Subject and body of a message at send time ``now``; unknown locales fall back to
    German. A stored window becomes the day words and times (see the module rules)."""
    lang = _language(locale)
    base = LEGACY.get(template, template)
    variant = context.get("variant") or (
        "point" if base == "delivered" and context.get("pin") else None
    )
    key = f"{base}.{variant}" if variant and f"{base}.{variant}" in TEMPLATES else base
    subject, body = TEMPLATES[key][lang]
    values = _Blank(context)
    start, end = context.get("window_start"), context.get("window_end")
    if start and end:
        start_at, end_at = datetime.fromisoformat(start), datetime.fromisoformat(end)
        values["day"] = day_words(start_at.astimezone(BERLIN).date(), lang, now)
        values["when"] = window_words(start_at, end_at, lang, now)
    values["leg_label"] = _LEG_LABEL[lang].get(context.get("leg"), _LEG_LABEL[lang][None])
    reason = str(context.get("reason") or "").strip()
    if reason and base == "cancelled":
        stop = "" if reason.endswith((".", "!", "?")) else "."
        values["reason_line"] = _REASON_LINE[lang].format(reason=reason) + stop
    link, signature = _FOOTER[lang]
    text = body.format_map(values)
    if tracking_url:
        text += "\n\n" + link.format(url=tracking_url)
    return subject.format_map(values), f"{text}\n\n{signature}\n"


def iso_window(start: datetime, end: datetime) -> dict[str, str]:
    """A window as it is stored in a message, to the minute the resident reads."""
    return {
        "window_start": start.replace(second=0, microsecond=0).isoformat(),
        "window_end": end.replace(second=0, microsecond=0).isoformat(),
    }


def _values(booking: Booking, template: str, context: dict[str, Any]) -> dict[str, Any]:
    base = LEGACY.get(template, template)
    if base not in TEMPLATES:
        raise KeyError(template)
    values: dict[str, Any] = {
        "code": booking.code,
        "name": booking.contact_name,
        "booking_id": booking.id,
    }
    values.update(
        {k: (v if isinstance(v, int | float | bool) else str(v)) for k, v in context.items()}
    )
    return values


def _message_row(booking: Booking, template: str, context: dict[str, Any]) -> dict[str, Any]:
    """The outbox row of a message to the booking's customer."""
    customer = booking.customer
    return {
        "booking_id": booking.id,
        "user_id": customer.id if customer is not None else booking.customer_id,
        "recipient": customer.email if customer is not None else None,
        "channel": MessageChannel.EMAIL,
        "template": template,
        "locale": booking.locale,
        "context": _values(booking, template, context),
    }


def notify(session: Session, booking: Booking, template: str, **context: Any) -> OutboxMessage:
    """Queue a message to the booking's customer (flush only; the caller commits)."""
    message = OutboxMessage(**_message_row(booking, template, context))
    session.add(message)
    return message


# built once; a Core insert of the table: the row is written, no ORM object is kept
_QUEUE = insert(cast(Table, OutboxMessage.__table__))


def write_notification(session: Session, booking: Booking, template: str, **context: Any) -> None:
    """:func:`notify` for a booking that is flushed already, written at once in one
    statement and kept as no ORM object (booking create: nothing reads it afterwards)."""
    session.execute(_QUEUE, _message_row(booking, template, context))


def notify_address(
    session: Session,
    booking: Booking,
    template: str,
    channel: MessageChannel,
    recipient: str,
    **context: Any,
) -> OutboxMessage:
    """Queue a message about a booking to an address given for it — an e-mail address or,
    for an SMS, a phone number — instead of the customer's own (the hotline)."""
    message = OutboxMessage(
        booking_id=booking.id,
        user_id=booking.customer_id,
        recipient=recipient,
        channel=channel,
        template=template,
        locale=booking.locale,
        context=_values(booking, template, context),
    )
    session.add(message)
    return message
