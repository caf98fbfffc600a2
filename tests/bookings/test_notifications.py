"""Notifications: templates in German and English, the outbox sender (SMTP against a real
local server, and the folder transport), failures, no double send, and pickup reminders."""

from __future__ import annotations

import email
import re
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.bookings.models import OutboxMessage
from louise.bookings.notifications import TEMPLATES, render
from louise.bookings.sender import (
    NO_EMAIL_PREFIX,
    DirectoryTransport,
    SmtpTransport,
    queue_pickup_reminders,
    send_pending,
)
from tests.support.bookings import MONDAY, MONDAY_10

FULL_CONTEXT = {
    "code": "L2345678",
    "name": "Erika Muster",
    "offer": "Absätze erneuern",
    "when": "23.11.2026 17:30–20:00",
    "place": "Kiosk am Pferdemarkt",
    "pin_line": " PIN: 123456",
    "reason": "niemand angetroffen",
    "next_step": "Wir versuchen es morgen erneut.",
    "pin": "123456",
    "window_start": "2026-11-23T17:05:00+00:00",
    "window_end": "2026-11-23T17:35:00+00:00",
}
LATER = MONDAY_10 + timedelta(minutes=5)


# --- a tiny SMTP server: enough of RFC 5321 for smtplib, on 127.0.0.1 ----------------------


@dataclass
class FakeSmtp:
    port: int = 0
    messages: list[Any] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


def _handler(fake: FakeSmtp) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 fake-smtp ready")
            sender, recipients = "", []
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                verb = line.decode().strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 fake-smtp")
                elif verb == "MAIL":
                    sender, recipients = line.decode().strip(), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(line.decode().strip())
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    data = bytearray()
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    fake.messages.append(
                        email.message_from_bytes(bytes(data), policy=default_policy)
                    )
                    fake.envelopes.append((sender, recipients))
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                elif verb in ("RSET", "NOOP"):
                    self.reply("250 OK")
                else:
                    self.reply("502 not implemented")

    return Handler


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # the "server down" test starts it on a port used a moment ago
    daemon_threads = True


@contextmanager
def fake_smtp_server(port: int = 0) -> Iterator[FakeSmtp]:
    fake = FakeSmtp()
    server = _Server(("127.0.0.1", port), _handler(fake))
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A port nobody listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- helpers ------------------------------------------------------------------------------


def outbox(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture()
def two_bookings(
    book: Callable[..., Any], offers: dict[str, Any], make_user: Callable[..., Any]
) -> list[Any]:
    alice = make_user("customer", name="Alice Albers")
    bob = make_user("customer", name="Bob Brinkmann", locale="en")
    first = book(alice, offers["service"])
    second = book(bob, offers["product"])
    assert first.status_code == 201, first.json
    assert second.status_code == 201, second.json
    return [first.json, second.json]


# --- templates ----------------------------------------------------------------------------


def test_there_are_nine_templates_and_four_point_variants_in_german_and_english() -> None:
    assert set(TEMPLATES) == {
        "confirmation",
        "confirmation.point",
        "pickup_tomorrow",
        "item_ready",
        "collection_planned",
        "delivery_planned",
        "delivery_planned.point",
        "delivered",
        "delivered.point",
        "failed_attempt",
        "failed_attempt.point",
        "cancelled",
        "tracking_link",
    }
    for variants in TEMPLATES.values():
        assert set(variants) >= {"de", "en"}


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_without_placeholders_left(template: str, locale: str) -> None:
    subject, body = render(template, locale, FULL_CONTEXT)
    assert subject and body
    assert not re.search(r"[{}]", subject + body), (subject, body)
    assert "L2345678" in subject + body


def test_german_is_the_default_for_unknown_locales() -> None:
    assert render("confirmation", "fr", FULL_CONTEXT) == render("confirmation", "de", FULL_CONTEXT)
    assert render("confirmation", "de", FULL_CONTEXT)[0].startswith("Ihre Buchung")
    assert render("confirmation", "en", FULL_CONTEXT)[0].startswith("Your booking")


def test_a_booking_queues_its_confirmation_in_the_customers_language(
    two_bookings: list[Any], db_session: Session
) -> None:
    messages = outbox(db_session)
    assert [(m.template, m.locale) for m in messages] == [
        ("confirmation", "de"),
        ("confirmation", "en"),
    ]
    assert all(m.sent_at is None and m.attempts == 0 for m in messages)


# --- sending by SMTP ----------------------------------------------------------------------


def test_sender_delivers_by_smtp_to_a_real_server(
    two_bookings: list[Any], db_session: Session
) -> None:
    with fake_smtp_server() as server:
        report = send_pending(
            db_session,
            SmtpTransport("127.0.0.1", server.port, timeout=5),
            LATER,
            mail_from="LOUISE Bottrop <noreply@louise.test>",
        )
    assert (report.sent, report.failed, report.skipped) == (2, 0, 0)
    german, english = server.messages
    assert german["Subject"] == f"Ihre Buchung {two_bookings[0]['code']} ist bestätigt"
    assert english["Subject"] == f"Your booking {two_bookings[1]['code']} is confirmed"
    assert german["From"] == "LOUISE Bottrop <noreply@louise.test>"
    assert "Alice Albers" in german["To"]
    assert "Absätze erneuern" in german.get_content()
    assert german["Message-ID"].startswith("<louise-outbox-")
    messages = outbox(db_session)
    assert all(m.sent_at == LATER and m.attempts == 1 and m.last_error is None for m in messages)


def test_smtp_server_down_keeps_the_message_and_the_next_run_delivers_it(
    two_bookings: list[Any], db_session: Session
) -> None:
    port = free_port()
    report = send_pending(db_session, SmtpTransport("127.0.0.1", port, timeout=2), LATER)
    assert (report.sent, report.failed) == (0, 2)
    for message in outbox(db_session):
        assert message.sent_at is None
        assert message.attempts == 1
        assert message.last_error and "Connection" in message.last_error

    with fake_smtp_server(port) as server:
        report = send_pending(db_session, SmtpTransport("127.0.0.1", port, timeout=5), LATER)
    assert (report.sent, report.failed) == (2, 0)
    assert len(server.messages) == 2
    for message in outbox(db_session):
        assert message.sent_at is not None and message.attempts == 2
        assert message.last_error is None


def test_a_message_is_given_up_after_max_attempts(
    two_bookings: list[Any], db_session: Session
) -> None:
    port = free_port()
    for _ in range(3):
        send_pending(db_session, SmtpTransport("127.0.0.1", port, timeout=2), LATER, max_attempts=2)
    assert [m.attempts for m in outbox(db_session)] == [2, 2]


def test_no_double_send(two_bookings: list[Any], db_session: Session) -> None:
    with fake_smtp_server() as server:
        first = send_pending(db_session, SmtpTransport("127.0.0.1", server.port), LATER)
        second = send_pending(db_session, SmtpTransport("127.0.0.1", server.port), LATER)
    assert (first.sent, second.sent) == (2, 0)
    assert len(server.messages) == 2


class Crash(BaseException):
    """The process dies (not an error the sender may catch)."""


class CrashingTransport:
    def __init__(self, crash_at: int) -> None:
        self.crash_at = crash_at
        self.names: list[str] = []

    def send(self, message: EmailMessage, name: str) -> None:
        if len(self.names) + 1 == self.crash_at:
            raise Crash
        self.names.append(name)

    def close(self) -> None:
        pass


def test_a_crash_mid_batch_never_resends_what_was_sent(
    two_bookings: list[Any], db_session: Session
) -> None:
    crashing = CrashingTransport(crash_at=2)
    with pytest.raises(Crash):
        send_pending(db_session, crashing, LATER)
    db_session.rollback()  # what a restart sees: only committed work
    first, second = outbox(db_session)
    assert first.sent_at is not None and second.sent_at is None

    again = CrashingTransport(crash_at=0)
    report = send_pending(db_session, again, LATER)
    assert report.sent == 1
    assert again.names == [f"{second.id}-confirmation"]


# --- the folder transport -------------------------------------------------------------------


def test_directory_transport_writes_one_eml_file_per_message(
    two_bookings: list[Any], db_session: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "mail"
    report = send_pending(db_session, DirectoryTransport(folder), LATER)
    assert report.sent == 2
    files = sorted(p.name for p in folder.iterdir())
    ids = [m.id for m in outbox(db_session)]
    assert files == [f"{i}-confirmation.eml" for i in ids]
    parsed = email.message_from_bytes((folder / files[0]).read_bytes(), policy=default_policy)
    assert parsed["Subject"].startswith("Ihre Buchung")


# --- customers without e-mail ----------------------------------------------------------------


def test_hotline_customer_without_email_is_settled_with_the_number_to_call(
    book: Callable[..., Any],
    offers: dict[str, Any],
    auth_headers: Callable[..., dict[str, str]],
    db_session: Session,
    tmp_path: Path,
) -> None:
    response = book(
        auth_headers("dispatcher"),
        offers["product"],
        customer={"name": "Gertrud Schäfer", "phone": "02041 123456"},
    )
    assert response.status_code == 201, response.json
    transport = CrashingTransport(crash_at=0)
    report = send_pending(db_session, transport, LATER)
    assert (report.sent, report.skipped) == (0, 1)
    assert transport.names == []
    assert report.not_sendable[0].phone == "02041 123456"
    (message,) = outbox(db_session)
    assert message.sent_at == LATER
    assert message.last_error == f"{NO_EMAIL_PREFIX}: call 02041 123456"
    assert send_pending(db_session, transport, LATER).skipped == 0  # settled: never again


# --- the commands ---------------------------------------------------------------------------


def test_send_notifications_command_uses_the_mail_folder(
    app: Any,
    two_bookings: list[Any],
    db_session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path / "mail"))
    result = app.test_cli_runner().invoke(args=["send-notifications"])
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 failed" in result.output
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2


def test_send_notifications_command_without_transport_says_what_to_set(
    app: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DIR", None)
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    result = app.test_cli_runner().invoke(args=["send-notifications"])
    assert result.exit_code != 0
    assert "LOUISE_MAIL_DIR" in result.output and "LOUISE_SMTP_HOST" in result.output


def test_send_notifications_command_exits_non_zero_when_messages_fail(
    app: Any, two_bookings: list[Any], db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DIR", None)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    result = app.test_cli_runner().invoke(args=["send-notifications"])
    assert result.exit_code == 1
    assert "0 sent, 2 failed" in result.output


# --- pickup reminders -----------------------------------------------------------------------


def test_remind_pickups_queues_once_per_booking_and_day(
    book: Callable[..., Any],
    offers: dict[str, Any],
    make_user: Callable[..., Any],
    db_session: Session,
) -> None:
    alice = make_user("customer")
    service = book(alice, offers["service"])  # collected at Alice's door on Monday
    collection = book(alice, offers["collection"])  # collected at her door too
    product = book(alice, offers["product"])  # starts at the shop: no reminder
    assert {r.status_code for r in (service, collection, product)} == {201}
    evening_before = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)

    assert queue_pickup_reminders(db_session, MONDAY, evening_before) == 2
    assert queue_pickup_reminders(db_session, MONDAY, evening_before) == 0
    reminders = [m for m in outbox(db_session) if m.template == "pickup_tomorrow"]
    assert sorted(m.booking_id for m in reminders) == sorted(
        [service.json["id"], collection.json["id"]]
    )
    subject, body = render(
        reminders[0].template, reminders[0].locale, reminders[0].context, evening_before
    )
    assert subject.startswith("Abholung morgen")
    assert "morgen zwischen 17:30 und 20:00 Uhr bei Ihnen ab" in body
    assert queue_pickup_reminders(db_session, MONDAY + timedelta(days=1), evening_before) == 0


def test_remind_pickups_command_is_idempotent(
    app: Any,
    book: Callable[..., Any],
    offers: dict[str, Any],
    make_user: Callable[..., Any],
    db_session: Session,
) -> None:
    assert book(make_user("customer"), offers["service"]).status_code == 201
    runner = app.test_cli_runner()
    first = runner.invoke(args=["remind-pickups", "--date", MONDAY.isoformat()])
    second = runner.invoke(args=["remind-pickups", "--date", MONDAY.isoformat()])
    assert first.exit_code == 0, first.output
    assert "1 queued" in first.output
    assert "0 queued" in second.output
