"""What a resident reads before any plan: the promise next to a window and the confirmation
speak of a collection when we collect, and every mail about a booking carries its tracking
link."""

from __future__ import annotations

import email
from collections.abc import Callable
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.bookings.models import Booking, OutboxMessage
from louise.bookings.sender import DirectoryTransport, build_email, send_pending
from tests.support.bookings import HOME, MONDAY, MONDAY_10
from tests.support.courier import kiosk

FROM = "LOUISE Bottrop <noreply@louise.invalid>"


def _evening(client: Any, offer: Any, lang: str) -> str:
    r = client.get(
        "/api/v1/slots",
        query_string={"date": MONDAY.isoformat(), **HOME, "offer_id": offer.id, "lang": lang},
    )
    assert r.status_code == 200, r.json
    (evening,) = [s for s in r.json["slots"] if s["window"] == "evening"]
    return str(evening["promise"])


@pytest.mark.parametrize(
    ("kind", "lang", "promise"),
    [
        ("service", "en", "order within 4 h 0 min for collection today from 17:30"),
        ("collection", "en", "order within 4 h 0 min for collection today from 17:30"),
        ("product", "en", "order within 4 h 0 min for delivery today from 17:30"),
        (
            "service",
            "de",
            "Bestellen Sie innerhalb von 4 h 0 min für die Abholung heute ab 17:30",
        ),
        (
            "product",
            "de",
            "Bestellen Sie innerhalb von 4 h 0 min für die Lieferung heute ab 17:30",
        ),
    ],
)
def test_the_promise_of_a_repair_or_collection_speaks_of_a_collection(
    client: Any, offers: dict[str, Any], now: Any, kind: str, lang: str, promise: str
) -> None:
    assert _evening(client, offers[kind], lang) == promise


def _confirmation(db_session: Session, booking_id: int) -> OutboxMessage:
    return db_session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.booking_id == booking_id, OutboxMessage.template == "confirmation"
        )
    ).one()


def test_the_confirmation_of_a_repair_names_the_collection_and_of_a_product_the_delivery(
    book: Callable[..., Any],
    offers: dict[str, Any],
    make_user: Callable[..., Any],
    db_session: Session,
) -> None:
    erika = make_user("customer", name="Erika Muster")
    ann = make_user("customer", name="Ann Smith", locale="en")
    repair = book(erika, offers["service"]).json
    product = book(erika, offers["product"]).json
    english = book(ann, offers["collection"]).json

    mail = build_email(_confirmation(db_session, repair["id"]), FROM, MONDAY_10)
    body = mail.get_content()
    assert "Abholung bei Ihnen: heute zwischen 17:30 und 20:00 Uhr." in body, body
    assert "Lieferung" not in body

    mail = build_email(_confirmation(db_session, product["id"]), FROM, MONDAY_10)
    assert "Lieferung: heute zwischen 17:30 und 20:00 Uhr." in mail.get_content()

    mail = build_email(_confirmation(db_session, english["id"]), FROM, MONDAY_10)
    body = mail.get_content()
    assert "Collection from your door: today between 17:30 and 20:00." in body, body
    assert "deliver" not in body.lower()


def test_the_confirmation_of_a_delivery_to_a_point_says_where_and_that_the_pin_follows(
    book: Callable[..., Any],
    offers: dict[str, Any],
    make_user: Callable[..., Any],
    db_session: Session,
) -> None:
    point = kiosk(db_session, "Kiosk Eck", HOME["lat"] + 0.002, HOME["lon"], shelves=3)
    erika = make_user("customer", name="Erika Muster")
    ann = make_user("customer", name="Ann Smith", locale="en")
    german = book(erika, offers["product"], destination="point", point_id=point.id)
    english = book(ann, offers["product"], destination="point", point_id=point.id)
    assert german.status_code == 201 and english.status_code == 201, (german.json, english.json)

    body = build_email(_confirmation(db_session, german.json["id"]), FROM, MONDAY_10).get_content()
    assert (
        "Lieferung: heute zwischen 17:30 und 20:00 Uhr, an Kiosk Eck, 46236 Bottrop.\n"
        "Sobald Ihre Sendung dort liegt, schicken wir Ihnen die Abhol-PIN." in body
    ), body
    body = build_email(_confirmation(db_session, english.json["id"]), FROM, MONDAY_10).get_content()
    assert (
        "Delivery: today between 17:30 and 20:00, to Kiosk Eck, 46236 Bottrop.\n"
        "We will send you the pickup PIN as soon as your parcel is there." in body
    ), body


def test_every_mail_about_a_booking_carries_its_tracking_link(
    book: Callable[..., Any],
    offers: dict[str, Any],
    make_user: Callable[..., Any],
    client: Any,
    auth_headers: Callable[..., dict[str, str]],
    db_session: Session,
    tmp_path: Path,
) -> None:
    erika = make_user("customer", name="Erika Muster")
    kept = book(erika, offers["product"]).json
    dropped = book(erika, offers["service"]).json
    r = client.post(
        f"/api/v1/bookings/{dropped['id']}/cancel", json={}, headers=auth_headers(erika)
    )
    assert r.status_code == 200, r.json

    folder = tmp_path / "mail"
    report = send_pending(
        db_session, DirectoryTransport(folder), MONDAY_10, public_url="https://louise.example/"
    )
    assert report.sent == 3
    tokens = {b["id"]: db_session.get(Booking, b["id"]).tracking_token for b in (kept, dropped)}
    for path in sorted(folder.glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        booking_id = int(mail["X-Louise-Booking"])
        link = f"https://louise.example/track/{tokens[booking_id]}"
        body = mail.get_body().get_content()
        assert f"Sendungsverfolgung: {link}\n" in body, (path.name, body)


def test_the_send_command_takes_the_public_url_from_the_configuration(
    app: Any,
    book: Callable[..., Any],
    offers: dict[str, Any],
    make_user: Callable[..., Any],
    db_session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    booked = book(make_user("customer", locale="en"), offers["product"]).json
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://louise.bottrop.example")
    result = app.test_cli_runner().invoke(args=["send-notifications"])
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.eml")
    body = email.message_from_bytes(path.read_bytes(), policy=default_policy).get_content()
    token = db_session.get(Booking, booked["id"]).tracking_token
    assert f"Track your booking: https://louise.bottrop.example/track/{token}\n" in body
