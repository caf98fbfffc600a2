"""The notification sender: delivers the outbox by e-mail, and queues the pickup reminders.

Rules:

- **At-least-once.** Each message is sent and then marked ``sent_at`` in its own commit, so a
  crash mid-batch never resends what was already marked. A crash *between* the hand-over to
  the transport and that commit resends the one message on the next run; every message
  carries a stable ``Message-ID`` (``<louise-outbox-<id>@…>``) and the folder transport
  overwrites ``<id>-<template>.eml``, so a resend is recognisable as the same message.
- **Failures are kept.** A transport error increments ``attempts`` and stores ``last_error``;
  the message stays unsent and is retried by the next run until ``max_attempts`` is reached.
  One run tries each message at most once.
- **No e-mail address** (hotline customers with only a phone): the message is *settled
  without sending*: ``sent_at`` is set and ``last_error`` starts with ``"not sent: no e-mail
  address"`` and names the phone number to call. It is never retried and is listed in the
  report, so the hotline can call.
- **SMS** (``channel == "sms"``: the hotline sends a caller the tracking link): there is no
  SMS gateway. With ``LOUISE_SMS_DIR`` set, each SMS is written as text into that folder
  (``<id>-<template>.sms.txt``: ``To: <number>``, an empty line, the text with the link;
  atomically, like the mail folder). Without it the SMS is settled without sending:
  ``sent_at`` set, ``last_error`` "not sent: no SMS gateway: read the link out to <number>",
  listed in the report, so the hotline reads the link out. A real gateway would be another
  ``SmsTransport``.
- Message states: unsent (``sent_at`` null, ``attempts < max``), delivered (``sent_at`` set,
  ``last_error`` null), not sendable (``sent_at`` set, ``last_error`` "not sent: …"), given
  up (``sent_at`` null, ``attempts >= max``).
- Concurrent senders: each message is read ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) and kept
  locked until its commit; on SQLite the transaction holds the write lock (``BEGIN
  IMMEDIATE``) while one message is handed over, at most the SMTP timeout.

No Flask here: the ``flask send-notifications`` and ``flask remind-pickups`` commands in
``louise/cli.py`` are thin wrappers.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings.models import (
    Booking,
    BookingStatus,
    Leg,
    LegStatus,
    MessageChannel,
    OutboxMessage,
    StopKind,
)
from louise.bookings.notifications import (
    NEEDS_LINK,
    iso_window,
    notify,
    render,
    tracking_link,
)

NO_EMAIL_PREFIX = "not sent: no e-mail address"
NO_SMS_GATEWAY_PREFIX = "not sent: no SMS gateway"
MAX_ERROR_LENGTH = 500  # the column's length
DEFAULT_FROM = "LOUISE Bottrop <noreply@louise.invalid>"


class SenderConfigError(RuntimeError):
    """Neither a mail folder nor an SMTP server is configured."""


# --- transports -------------------------------------------------------------------------------


class Transport(Protocol):
    """Hands one e-mail over; raises on failure. ``name`` is a stable file-safe name of the
    outbox message (``<id>-<template>``)."""

    def send(self, message: EmailMessage, name: str) -> None: ...

    def close(self) -> None: ...


def _write_atomically(folder: Path, name: str, filename: str, data: bytes) -> None:
    """Write ``folder/filename`` under a temporary name and rename it: a crash never leaves
    half a file, and a resend of the same message replaces its file."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, folder / filename)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DirectoryTransport:
    """Writes each message as ``<id>-<template>.eml`` into a folder (the demo's "mailbox").

    Files are written to a temporary name and renamed, so a crash never leaves half a file;
    a resend of the same message replaces its file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, message: EmailMessage, name: str) -> None:
        _write_atomically(self.path, name, f"{name}.eml", message.as_bytes())

    def close(self) -> None:
        return None


class SmsTransport(Protocol):
    """Hands one SMS over (a number and the text); raises on failure."""

    def send(self, number: str, text: str, name: str) -> None: ...


class SmsDirectoryTransport:
    """Writes each SMS as ``<id>-<template>.sms.txt`` into a folder: UTF-8 text, the line
    ``To: <number>``, an empty line, then the text with the link. There is no SMS gateway;
    a real one would be another :class:`SmsTransport`. Written like
    :class:`DirectoryTransport` (atomically; a resend replaces the file)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, number: str, text: str, name: str) -> None:
        body = f"To: {number}\n\n{text}"
        _write_atomically(self.path, name, f"{name}.sms.txt", body.encode("utf-8"))


class SmtpTransport:
    """Delivers by SMTP (``smtplib``), reusing one connection for a batch.

    A broken connection is dropped and reopened for the next message."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage, name: str) -> None:
        smtp = self._connection()
        try:
            smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            raise  # the server answered: the connection is still good
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    """``MAIL_DIR`` → folder; else ``SMTP_HOST`` → SMTP; neither → :class:`SenderConfigError`.

    The folder wins when both are set, so a demo never mails real people."""
    if config.get("MAIL_DIR"):
        return DirectoryTransport(config["MAIL_DIR"])
    if config.get("SMTP_HOST"):
        return SmtpTransport(
            host=config["SMTP_HOST"],
            port=int(config.get("SMTP_PORT") or 25),
            user=config.get("SMTP_USER") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=bool(config.get("SMTP_STARTTLS")),
            timeout=float(config.get("SMTP_TIMEOUT") or 10.0),
        )
    raise SenderConfigError(
        "No mail transport configured: set LOUISE_MAIL_DIR (write .eml files into a folder) "
        "or LOUISE_SMTP_HOST (deliver by SMTP)."
    )


def sms_transport_from_config(config: Mapping[str, Any]) -> SmsTransport | None:
    """``SMS_DIR`` → a folder of ``.sms.txt`` files; unset → ``None``: no SMS gateway, and
    every SMS is settled as not sent for the hotline to read the link out."""
    if config.get("SMS_DIR"):
        return SmsDirectoryTransport(config["SMS_DIR"])
    return None


# --- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotSendable:
    """A message settled without sending: its customer has no e-mail address, or it is an SMS
    and there is no SMS gateway. ``phone`` is the number for the hotline to call."""

    message_id: int
    booking_id: int | None
    template: str
    name: str
    phone: str | None
    reason: str = "no e-mail address"


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    not_sendable: list[NotSendable] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.not_sendable)


def build_email(
    message: OutboxMessage, mail_from: str, now: datetime, tracking_url: str | None = None
) -> EmailMessage:
    """The e-mail of an outbox message, rendered in its locale (German by default) as of the
    send time ``now`` (which decides "today"/"tomorrow"), with the booking's tracking link."""
    subject, body = render(
        message.template, message.locale, message.context or {}, now, tracking_url
    )
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = mail_from
    name = str((message.context or {}).get("name") or "")
    email["To"] = formataddr((name, message.recipient or ""))
    email["Date"] = format_datetime(message.created_at or now)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "louise.invalid"
    # Stable across resends, so a receiver can recognise a duplicate (at-least-once).
    email["Message-ID"] = f"<louise-outbox-{message.id}@{domain}>"
    email["X-Louise-Template"] = message.template
    if message.booking_id is not None:
        email["X-Louise-Booking"] = str(message.booking_id)
    email.set_content(body)
    return email


def _next_message(session: Session, after_id: int, max_attempts: int) -> OutboxMessage | None:
    return session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.attempts < max_attempts,
            OutboxMessage.id > after_id,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def _phone_of(session: Session, message: OutboxMessage) -> tuple[str, str | None]:
    name = str((message.context or {}).get("name") or "")
    phone: str | None = None
    if message.booking_id is not None:
        booking = session.get(Booking, message.booking_id)
        if booking is not None:
            phone = booking.contact_phone
            name = name or booking.contact_name
    if phone is None and message.user_id is not None:
        user = session.get(User, message.user_id)
        if user is not None:
            phone = user.phone
            name = name or user.name
    return name, phone


def _tracking_url(session: Session, message: OutboxMessage, public_url: str | None) -> str | None:
    if not public_url or message.booking_id is None:
        return None
    booking = session.get(Booking, message.booking_id)
    return tracking_link(public_url, booking.tracking_token) if booking is not None else None


def _link_for(session: Session, message: OutboxMessage, public_url: str | None) -> str | None:
    url = _tracking_url(session, message, public_url)
    if url is None and message.template in NEEDS_LINK:
        raise SenderConfigError(
            "this message is the tracking link: set LOUISE_PUBLIC_URL to send it"
        )
    return url


def _failed(session: Session, message: OutboxMessage, exc: Exception, report: SendReport) -> None:
    error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    message.attempts += 1
    message.last_error = error
    session.commit()
    report.failed += 1
    report.errors.append((message.id, error))


def _sent(session: Session, message: OutboxMessage, now: datetime, report: SendReport) -> None:
    message.sent_at = now
    message.attempts += 1
    message.last_error = None
    session.commit()
    report.sent += 1


def _send_sms(
    session: Session,
    message: OutboxMessage,
    sms: SmsTransport | None,
    now: datetime,
    public_url: str | None,
    report: SendReport,
) -> None:
    number = message.recipient or ""
    if sms is None:
        name = str((message.context or {}).get("name") or "")
        message.sent_at = now
        message.last_error = f"{NO_SMS_GATEWAY_PREFIX}: read the link out to {number}"[
            :MAX_ERROR_LENGTH
        ]
        session.commit()
        report.not_sendable.append(
            NotSendable(
                message.id, message.booking_id, message.template, name, number, "no SMS gateway"
            )
        )
        return
    try:
        link = _link_for(session, message, public_url)
        _subject, text = render(message.template, message.locale, message.context or {}, now, link)
        sms.send(number, text, f"{message.id}-{message.template}")
    except Exception as exc:  # any failure of one message must not stop the batch
        _failed(session, message, exc, report)
        return
    _sent(session, message, now, report)


def send_pending(
    session: Session,
    transport: Transport,
    now: datetime,
    batch: int = 100,
    max_attempts: int = 5,
    mail_from: str = DEFAULT_FROM,
    public_url: str | None = None,
    sms: SmsTransport | None = None,
) -> SendReport:
    """Deliver up to ``batch`` unsent messages, oldest first, committing after each one.

    Rule: at-least-once delivery; a failed message keeps its place in the outbox with
    ``attempts`` + 1 and ``last_error``; messages without an e-mail recipient are settled as
    "not sent" with the phone number to call (see the module docstring). With
    ``public_url`` every mail and SMS about a booking ends with its tracking link. An SMS goes
    to ``sms``; without it (no SMS gateway) it is settled as "not sent: no SMS gateway"
    and listed in ``not_sendable``, so the hotline reads the link out."""
    report = SendReport()
    last_id = 0
    try:
        for _ in range(batch):
            message = _next_message(session, last_id, max_attempts)
            if message is None:
                break
            last_id = message.id
            if message.channel == MessageChannel.SMS:
                _send_sms(session, message, sms, now, public_url, report)
                continue
            if not message.recipient:
                name, phone = _phone_of(session, message)
                message.sent_at = now
                message.last_error = f"{NO_EMAIL_PREFIX}: call {phone or 'unknown number'}"[
                    :MAX_ERROR_LENGTH
                ]
                session.commit()
                report.not_sendable.append(
                    NotSendable(message.id, message.booking_id, message.template, name, phone)
                )
                continue
            try:
                email = build_email(
                    message, mail_from, now, _link_for(session, message, public_url)
                )
                transport.send(email, f"{message.id}-{message.template}")
            except Exception as exc:  # any failure of one message must not stop the batch
                _failed(session, message, exc, report)
                continue
            _sent(session, message, now, report)
        session.commit()  # end the last read transaction (SQLite: release the write lock)
    finally:
        transport.close()
    return report


# --- reminders --------------------------------------------------------------------------------

REMINDER_TEMPLATE = "pickup_tomorrow"


def queue_pickup_reminders(session: Session, day: date, now: datetime) -> int:
    """Queue a ``pickup_tomorrow`` message for every booking with a leg collected at the
    resident's door on ``day`` (the evening before). Rule: once per booking and day — a
    second run queues nothing new. Returns how many were queued; commits once."""
    rows = session.scalars(
        select(Leg)
        .join(Booking, Leg.booking_id == Booking.id)
        .where(
            Leg.day == day,
            Leg.origin_kind == StopKind.RESIDENT,
            Leg.status == LegStatus.SCHEDULED,
            Leg.tentative.is_(False),
            Booking.status.not_in((BookingStatus.CANCELLED, BookingStatus.COMPLETED)),
        )
        .order_by(Leg.booking_id, Leg.pickup_start, Leg.id)
    ).all()
    first_leg: dict[int, Leg] = {}
    for leg in rows:
        first_leg.setdefault(leg.booking_id, leg)
    if not first_leg:
        return 0
    existing = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.template == REMINDER_TEMPLATE,
            OutboxMessage.booking_id.in_(first_leg),
        )
    ).all()
    reminded = {
        m.booking_id for m in existing if (m.context or {}).get("pickup_day") == day.isoformat()
    }
    queued = 0
    for booking_id, leg in first_leg.items():
        if booking_id in reminded:
            continue
        message = notify(
            session,
            leg.booking,
            REMINDER_TEMPLATE,
            pickup_day=day.isoformat(),
            **iso_window(leg.pickup_start, leg.pickup_end),
        )
        message.created_at = now
        queued += 1
    session.commit()
    return queued


__all__ = [
    "NO_EMAIL_PREFIX",
    "NO_SMS_GATEWAY_PREFIX",
    "DirectoryTransport",
    "NotSendable",
    "SendReport",
    "SenderConfigError",
    "SmsDirectoryTransport",
    "SmsTransport",
    "SmtpTransport",
    "Transport",
    "build_email",
    "queue_pickup_reminders",
    "send_pending",
    "sms_transport_from_config",
    "transport_from_config",
]
