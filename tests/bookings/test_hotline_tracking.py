"""The hotline and tracking: a caller without the app gets their booking code, pickup PIN and
tracking link read back at once, and the link sent by e-mail or SMS on request."""

from __future__ import annotations

import email
from datetime import timedelta
from email.policy import default as default_policy
from typing import Any

import pytest
from sqlalchemy import select

from louise.bookings.models import Booking, DeliveryPoint, OutboxMessage
from louise.bookings.sender import DirectoryTransport, SmsDirectoryTransport, send_pending
from tests.support.bookings import MONDAY_10

PUBLIC = "https://louise.example"
LATER = MONDAY_10 + timedelta(minutes=5)
ERIKA = {"name": "Erika Brandt", "phone": "02041 55 66 77"}


@pytest.fixture()
def public_url(app: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC + "/")
    return PUBLIC


@pytest.fixture()
def locker(make_locker: Any) -> DeliveryPoint:
    return make_locker(S=2, M=2)


@pytest.fixture()
def hotline_booking(book: Any, offers: dict[str, Any], auth_headers: Any, public_url: str) -> Any:
    r = book(auth_headers("dispatcher"), offers["product"], customer=dict(ERIKA))
    assert r.status_code == 201, r.json
    return r.json


def _stored(db_session: Any, booking_id: int) -> Booking:
    db_session.expire_all()
    booking = db_session.get(Booking, booking_id)
    assert booking is not None
    return booking


def _messages(db_session: Any, template: str = "tracking_link") -> list[OutboxMessage]:
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
    )


# --- reading it back ------------------------------------------------------------------------


def test_a_hotline_booking_answers_with_code_pin_token_and_link_to_read_back(
    book, offers, auth_headers, client, db_session, locker, public_url
):
    dispatcher = auth_headers("dispatcher")
    r = book(
        dispatcher,
        offers["product"],
        customer=dict(ERIKA),
        destination="locker",
        point_id=locker.id,
    )

    assert r.status_code == 201, r.json
    stored = _stored(db_session, r.json["id"])
    assert r.json["code"] == stored.code
    assert r.json["pickup_pin"] == stored.pickup_pin
    assert len(r.json["pickup_pin"]) == 6 and r.json["pickup_pin"].isdigit()
    assert r.json["tracking_token"] == stored.tracking_token
    assert r.json["tracking_url"] == f"https://louise.example/track/{stored.tracking_token}"
    for staff in (auth_headers("dispatcher"), auth_headers("admin")):
        seen = client.get(f"/api/v1/bookings/{r.json['id']}", headers=staff)
        assert seen.status_code == 200
        assert seen.json["pickup_pin"] == stored.pickup_pin
        assert seen.json["tracking_url"] == r.json["tracking_url"]
    listed = client.get("/api/v1/bookings", headers=dispatcher).json["items"]
    assert [b["tracking_token"] for b in listed if b["id"] == r.json["id"]] == [
        stored.tracking_token
    ]
    # the link read out works without a login
    assert client.get(f"/api/v1/track/{stored.tracking_token}").status_code == 200


def test_an_admin_acting_on_a_hotline_booking_still_reads_its_pin_and_link(
    book, offers, auth_headers, client, db_session, locker, public_url
):
    dispatcher = auth_headers("dispatcher")
    r = book(
        dispatcher,
        offers["product"],
        customer=dict(ERIKA),
        destination="locker",
        point_id=locker.id,
    )
    assert r.status_code == 201, r.json
    stored = _stored(db_session, r.json["id"])
    rejected = client.post(
        f"/api/v1/bookings/{r.json['id']}/reject",
        json={"reason": "Artikel vergriffen"},
        headers=auth_headers("admin"),
    )
    assert rejected.status_code == 200, rejected.json
    assert rejected.json["status"] == "cancelled"
    assert rejected.json["pickup_pin"] == stored.pickup_pin
    assert rejected.json["tracking_url"] == r.json["tracking_url"]


def test_an_app_booking_stays_private_from_staff(
    book, offers, make_user, auth_headers, client, db_session, locker, public_url
):
    anna = make_user("customer", name="Anna Becker")
    r = book(anna, offers["product"], destination="locker", point_id=locker.id)
    assert r.status_code == 201, r.json
    stored = _stored(db_session, r.json["id"])
    assert r.json["tracking_url"] == f"https://louise.example/track/{stored.tracking_token}"

    for staff in (auth_headers("dispatcher"), auth_headers("admin")):
        seen = client.get(f"/api/v1/bookings/{r.json['id']}", headers=staff)
        assert seen.status_code == 200
        assert seen.json["code"] == stored.code
        assert (seen.json["pickup_pin"], seen.json["tracking_token"]) == (None, None)
        assert seen.json["tracking_url"] is None


# --- sending the link -------------------------------------------------------------------------


def _send_link(client: Any, headers: dict[str, str], booking_id: int, body: Any) -> Any:
    return client.post(f"/api/v1/bookings/{booking_id}/tracking-link", json=body, headers=headers)


def test_the_dispatcher_mails_the_tracking_link_to_an_address_the_caller_gives(
    hotline_booking, auth_headers, client, db_session, tmp_path
):
    dispatcher = auth_headers("dispatcher")
    r = _send_link(client, dispatcher, hotline_booking["id"], {"email": "enkel@example.test"})

    assert r.status_code == 202, r.json
    (message,) = _messages(db_session)
    assert (
        r.headers["Location"] == f"/api/v1/bookings/{hotline_booking['id']}/messages/{message.id}"
    )
    assert r.json == {
        "id": message.id,
        "booking_id": hotline_booking["id"],
        "template": "tracking_link",
        "channel": "email",
        "recipient": "enkel@example.test",
        "status": "queued",
        "attempts": 0,
        "last_error": None,
        "created_at": "2026-11-23T09:00:00Z",
        "sent_at": None,
    }
    assert client.get(r.headers["Location"], headers=dispatcher).json == r.json

    report = send_pending(
        db_session, DirectoryTransport(tmp_path / "mail"), LATER, public_url=PUBLIC
    )

    assert report.sent == 1
    mail = email.message_from_bytes(
        (tmp_path / "mail" / f"{message.id}-tracking_link.eml").read_bytes(),
        policy=default_policy,
    )
    assert mail["To"] == "Erika Brandt <enkel@example.test>"
    assert mail["Subject"] == f"Sendungsverfolgung: {hotline_booking['code']}"
    assert mail.get_content() == (
        "Hallo Erika Brandt,\n\n"
        f"hier ist der Link, mit dem Sie Ihre Buchung {hotline_booking['code']} (Schuhcreme) "
        "verfolgen können.\n\n"
        f"Sendungsverfolgung: {hotline_booking['tracking_url']}\n\n"
        "Ihr LOUISE-Team\n"
    )
    seen = client.get(r.headers["Location"], headers=dispatcher).json
    assert (seen["status"], seen["sent_at"]) == ("sent", "2026-11-23T09:05:00Z")


def test_an_sms_goes_into_the_sms_folder_as_text(
    hotline_booking, auth_headers, client, db_session, tmp_path
):
    r = _send_link(
        client, auth_headers("admin"), hotline_booking["id"], {"phone": "+49 171 2233441"}
    )
    assert r.status_code == 202, r.json
    assert (r.json["channel"], r.json["recipient"]) == ("sms", "+49 171 2233441")

    report = send_pending(
        db_session,
        DirectoryTransport(tmp_path / "mail"),
        LATER,
        public_url=PUBLIC,
        sms=SmsDirectoryTransport(tmp_path / "sms"),
    )

    (message,) = _messages(db_session)
    assert (report.sent, report.skipped) == (1, 1)  # Erika's confirmation: no e-mail address
    assert sorted(p.name for p in (tmp_path / "sms").iterdir()) == [
        f"{message.id}-tracking_link.sms.txt"
    ]
    text = (tmp_path / "sms" / f"{message.id}-tracking_link.sms.txt").read_text("utf-8")
    assert text == (
        "To: +49 171 2233441\n\n"
        "Hallo Erika Brandt,\n\n"
        f"hier ist der Link, mit dem Sie Ihre Buchung {hotline_booking['code']} (Schuhcreme) "
        "verfolgen können.\n\n"
        f"Sendungsverfolgung: {hotline_booking['tracking_url']}\n\n"
        "Ihr LOUISE-Team\n"
    )
    assert (message.sent_at, message.last_error, message.attempts) == (LATER, None, 1)


def test_without_an_sms_gateway_the_sms_is_settled_for_the_hotline_to_read_out(
    hotline_booking, auth_headers, client, db_session, tmp_path
):
    dispatcher = auth_headers("dispatcher")
    r = _send_link(client, dispatcher, hotline_booking["id"], {"phone": "0171 2233441"})
    assert r.status_code == 202, r.json

    report = send_pending(
        db_session, DirectoryTransport(tmp_path / "mail"), LATER, public_url=PUBLIC
    )

    (message,) = _messages(db_session)
    assert [(n.template, n.phone, n.reason) for n in report.not_sendable] == [
        ("confirmation", "02041 55 66 77", "no e-mail address"),
        ("tracking_link", "0171 2233441", "no SMS gateway"),
    ]
    assert message.sent_at == LATER
    assert message.last_error == "not sent: no SMS gateway: read the link out to 0171 2233441"
    seen = client.get(r.headers["Location"], headers=dispatcher).json
    assert (seen["status"], seen["last_error"]) == ("not_sent", message.last_error)
    assert not (tmp_path / "mail").exists() or list((tmp_path / "mail").iterdir()) == []


def test_send_notifications_command_writes_sms_into_the_sms_folder(
    app, hotline_booking, auth_headers, client, db_session, tmp_path, monkeypatch
):
    r = _send_link(
        client, auth_headers("dispatcher"), hotline_booking["id"], {"phone": "0171 2233441"}
    )
    assert r.status_code == 202, r.json
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setitem(app.config, "SMS_DIR", str(tmp_path / "sms"))

    result = app.test_cli_runner().invoke(args=["send-notifications"])

    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed, 1 not sendable" in result.output
    assert "call Erika Brandt at 02041 55 66 77: confirmation" in result.output
    assert [p.name for p in (tmp_path / "sms").iterdir()] == [
        f"{r.json['id']}-tracking_link.sms.txt"
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "a@example.test", "phone": "0171 2233441"}, "phone"),
        ({"email": "keine-adresse"}, "email"),
        ({"phone": "ruf mich an"}, "phone"),
        ({"phone": "0171 22"}, "phone"),
        ({"phone": "+49 171 2233441 9999 99999"}, "phone"),
        ({"phone": "0171 2233441", "fax": "1"}, "fax"),
    ],
)
def test_bad_addresses_are_refused_naming_the_field(
    hotline_booking, auth_headers, client, db_session, body, field
):
    r = _send_link(client, auth_headers("dispatcher"), hotline_booking["id"], body)

    assert r.status_code == 422, r.json
    assert field in r.json["errors"]["json"], r.json
    assert _messages(db_session) == []


def test_none_or_both_name_both_fields(hotline_booking, auth_headers, client):
    dispatcher = auth_headers("dispatcher")
    for body in ({}, {"email": "a@example.test", "phone": "0171 2233441"}):
        r = _send_link(client, dispatcher, hotline_booking["id"], body)
        assert r.status_code == 422
        assert set(r.json["errors"]["json"]) == {"email", "phone"}, r.json


def test_an_app_booking_has_its_link_already(book, offers, make_user, auth_headers, client):
    app_booking = book(make_user("customer"), offers["product"])
    assert app_booking.status_code == 201, app_booking.json

    r = _send_link(
        client, auth_headers("dispatcher"), app_booking.json["id"], {"phone": "0171 2233441"}
    )

    assert r.status_code == 409
    assert r.json["error"] == "not_a_hotline_booking"
    assert r.json["message"] == (
        f"Booking {app_booking.json['id']} was booked in the app: its resident has the tracking "
        "link there and in every mail about it."
    )


def test_only_dispatchers_and_admins_send_links(
    hotline_booking, make_user, auth_headers, client, shop
):
    body = {"phone": "0171 2233441"}
    booking_id = hotline_booking["id"]
    for who in ("customer", "courier", shop.owner):
        assert _send_link(client, auth_headers(who), booking_id, body).status_code == 403
    assert client.post(f"/api/v1/bookings/{booking_id}/tracking-link", json=body).status_code == 401
    assert _send_link(client, auth_headers("dispatcher"), 999999, body).status_code == 404
    assert (
        client.get(f"/api/v1/bookings/{booking_id}/messages/999999", headers=auth_headers("admin"))
    ).status_code == 404
