"""GDPR: a person's data export and erasure. A unique marker is planted in every personal
field through the API, as people use it; after the erasure no column of any table and no
file in the proof folder holds it, while the anonymised bookings are still counted."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Text, cast, select

from louise.auth.models import User
from louise.privacy.models import Erasure
from tests.support.courier import picked_up, publish_monday, route_of, stop_action
from tests.support.dispatch import HOMES, MONDAY

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PASSWORD = "a long resident password"


@pytest.fixture()
def uploads(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture()
def marker() -> str:
    return f"ZQX-{uuid.uuid4().hex[:12]}"


def marked_columns(connection: Any, marker: str) -> set[tuple[str, str]]:
    """Every (table, column) of the database whose text holds the marker (any case)."""
    meta = MetaData()
    meta.reflect(bind=connection)
    needle = marker.lower()
    found = set()
    for table in meta.sorted_tables:
        for column in table.columns:
            for value in connection.execute(select(cast(column, Text))).scalars():
                if value is not None and needle in value.lower():
                    found.add((table.name, column.name))
    return found


def marked_files(folder: Path, marker: str) -> list[str]:
    needle = marker.lower().encode()
    return [
        str(path)
        for path in folder.rglob("*")
        if needle in path.name.lower().encode()
        or (path.is_file() and needle in path.read_bytes().lower())
    ]


def _multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "louise-gdpr-boundary"
    body = (
        (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{field}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _complete_with_photo(client: Any, stop_id: int, headers: Any, marker: str) -> None:
    body, content_type = _multipart(
        "photo", f"{marker}.jpg", JPEG + f"Haustür von {marker}".encode()
    )
    r = stop_action(client, stop_id, "complete", headers, data=body, content_type=content_type)
    assert r.status_code == 200, r.json


def _bookings_on_monday(client: Any, dispatcher: Any) -> int:
    r = client.get(f"/api/v1/bookings?date={MONDAY.isoformat()}&limit=1", headers=dispatcher)
    assert r.status_code == 200, r.json
    return int(r.json["total"])


def _login(client: Any, email: str, password: str) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _resident(client: Any, marker: str) -> tuple[str, dict[str, Any]]:
    email = f"{marker.lower()}@example.test"
    r = client.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "name": f"Anna {marker}",
            "phone": f"0171 {marker}",
        },
    )
    assert r.status_code == 201, r.json
    login = _login(client, email, PASSWORD)
    assert login.status_code == 200, login.json
    return email, dict(login.json)


@pytest.fixture()
def delivered(
    client: Any,
    auth_headers: Any,
    now: Any,
    fleet: Any,
    offers: Any,
    db_session: Any,
    uploads: Path,
    marker: str,
) -> dict[str, Any]:
    """A resident with a marker in every personal field: a delivered booking with proof
    photos at both ends, a cancelled booking with a reason, and the messages about both."""
    email, tokens = _resident(client, marker)
    resident = {"Authorization": f"Bearer {tokens['access_token']}"}
    home = HOMES[0]

    def book_monday(offer_id: int, headers: dict[str, str], **extra: Any) -> Any:
        address = {"street": f"{marker}weg", "house_number": "7", "lat": home[0], "lon": home[1]}
        body = {"offer_id": offer_id, "date": MONDAY.isoformat(), "window": "evening"}
        return client.post(
            "/api/v1/bookings", json={**body, "address": address, **extra}, headers=headers
        )

    booked = book_monday(
        offers["product"].id,
        {**resident, "Idempotency-Key": f"key-{marker}"},
        notes=f"Klingel {marker}",
        contact_phone=f"0171 {marker}",
    )
    assert booked.status_code == 201, booked.json
    other = book_monday(offers["collection"].id, resident)
    assert other.status_code == 201, other.json
    dispatcher = auth_headers("dispatcher")
    plan = publish_monday(client, dispatcher)
    leg_id = booked.json["legs"][0]["id"]
    route = route_of(plan, leg_id)
    stops = {s["type"]: s for s in route["stops"] if s["leg_id"] == leg_id}
    courier = auth_headers(db_session.get(User, route["courier_id"]))
    _complete_with_photo(client, stops["pickup"]["id"], courier, marker)
    _complete_with_photo(client, stops["delivery"]["id"], courier, marker)
    # nobody at the door for the collection: the courier notes why, the hotline cancels it
    collect_leg = other.json["legs"][0]["id"]
    collect_route = route_of(plan, collect_leg)
    door = next(
        s for s in collect_route["stops"] if s["leg_id"] == collect_leg and s["type"] == "pickup"
    )
    failed = stop_action(
        client,
        door["id"],
        "fail",
        auth_headers(db_session.get(User, collect_route["courier_id"])),
        json={"reason": "not_at_home", "note": f"Nachbar {marker}: verreist"},
    )
    assert failed.status_code == 200, failed.json
    cancelled = client.post(
        f"/api/v1/bookings/{other.json['id']}/cancel",
        json={"reason": f"Urlaub bei {marker}"},
        headers=dispatcher,
    )
    assert cancelled.status_code == 200, cancelled.json
    status = client.get(f"/api/v1/bookings/{booked.json['id']}", headers=resident)
    assert status.json["status"] == "completed", status.json
    return {
        "email": email,
        "tokens": tokens,
        "headers": resident,
        "booking": booked.json,
        "dispatcher": dispatcher,
    }


def test_the_export_holds_every_personal_field_and_the_proof_photos(client, delivered, marker):
    r = client.get("/api/v1/me/export", headers=delivered["headers"])
    assert r.status_code == 200, r.json
    assert r.headers["Content-Disposition"].startswith("attachment;")
    data = r.json
    assert data["account"]["name"] == f"Anna {marker}"
    assert data["account"]["email"] == delivered["email"]
    assert data["addresses"][0]["street"] == f"{marker}weg"
    booking = next(b for b in data["bookings"] if b["id"] == delivered["booking"]["id"])
    assert booking["notes"] == f"Klingel {marker}"
    assert booking["contact_phone"] == f"0171 {marker}"
    assert [p["stop_type"] for p in booking["proofs"]] == ["pickup", "delivery"]
    photo = base64.b64decode(booking["proofs"][1]["content_base64"])
    assert photo.endswith(f"Haustür von {marker}".encode())
    assert booking["proofs"][1]["content_type"] == "image/jpeg"
    cancelled = next(b for b in data["bookings"] if b["status"] == "cancelled")
    assert any(marker in (c["note"] or "") for c in cancelled["history"])
    assert data["messages"], "the confirmations were sent to the resident"
    assert all(m["recipient"] == delivered["email"] for m in data["messages"])
    assert any(marker in m["text"] for m in data["messages"])


def test_erasure_leaves_no_marker_and_keeps_the_bookings_counted(
    client, delivered, marker, db_session, uploads
):
    connection = db_session.connection()
    # the scan finds the marker where the resident put it, so it can find leftovers
    before = marked_columns(connection, marker)
    assert {
        ("users", "name"),
        ("users", "email"),
        ("users", "phone"),
        ("addresses", "street"),
        ("addresses", "label"),
        ("bookings", "contact_name"),
        ("bookings", "contact_phone"),
        ("bookings", "notes"),
        ("bookings", "address_label"),
        ("bookings", "cancel_reason"),
        ("legs", "dest_label"),
        ("status_changes", "note"),
        ("outbox_messages", "recipient"),
        ("outbox_messages", "context"),
        ("idempotency_keys", "key"),
        ("idempotency_keys", "response_body"),
        ("plan_stops", "label"),
        ("plan_stops", "note"),
    } <= before, before
    assert len(marked_files(uploads, marker)) == 2
    counted = _bookings_on_monday(client, delivered["dispatcher"])

    wrong = client.post(
        "/api/v1/me/erase", json={"password": "not it at all"}, headers=delivered["headers"]
    )
    assert wrong.status_code == 422 and "password" in wrong.json["errors"]["json"]
    r = client.post("/api/v1/me/erase", json={"password": PASSWORD}, headers=delivered["headers"])
    assert r.status_code == 200, r.json
    assert r.json["bookings_kept"] == 2 and r.json["proofs_deleted"] == 2
    assert r.json["actor_role"] == "customer" and marker not in json.dumps(r.json)

    assert marked_columns(connection, marker) == set()
    assert marked_files(uploads, marker) == []
    assert list((uploads / "proofs").iterdir()) == []
    assert _bookings_on_monday(client, delivered["dispatcher"]) == counted
    kept = client.get(
        f"/api/v1/bookings/{delivered['booking']['id']}", headers=delivered["dispatcher"]
    )
    assert kept.status_code == 200 and kept.json["status"] == "completed"
    assert kept.json["price_cents"] == delivered["booking"]["price_cents"]
    assert kept.json["district"] == delivered["booking"]["district"]
    assert client.get("/api/v1/me", headers=delivered["headers"]).status_code == 401
    refresh = {"Authorization": f"Bearer {delivered['tokens']['refresh_token']}"}
    assert client.post("/api/v1/auth/refresh", headers=refresh).status_code == 401
    assert _login(client, delivered["email"], PASSWORD).status_code == 401
    user_id = r.json["user_id"]
    log = db_session.scalars(select(Erasure).where(Erasure.user_id == user_id)).one()
    assert (log.actor_id, log.actor_role) == (user_id, "customer")


# --- the hotline ---------------------------------------------------------------------------


def _hotline_booking(client: Any, dispatcher: Any, offers: Any, marker: str) -> dict[str, Any]:
    home = HOMES[1]
    r = client.post(
        "/api/v1/bookings",
        json={
            "offer_id": offers["product"].id,
            "date": MONDAY.isoformat(),
            "window": "evening",
            "address": {"street": f"{marker}gasse", "lat": home[0], "lon": home[1]},
            "notes": f"Hund {marker}",
            "customer": {
                "name": f"Erika {marker}",
                "phone": f"02041 {marker}",
                "email": f"{marker.lower()}@example.test",
            },
        },
        headers={**dispatcher, "Idempotency-Key": f"hotline-{marker}"},
    )
    assert r.status_code == 201, r.json
    return dict(r.json)


def test_the_hotline_exports_and_erases_its_customer_once_nothing_is_open(
    client, auth_headers, offers, now, db_session, marker
):
    dispatcher = auth_headers("dispatcher")
    booking = _hotline_booking(client, dispatcher, offers, marker)
    link = client.post(
        f"/api/v1/bookings/{booking['id']}/tracking-link",
        json={"email": f"{marker.lower()}.daughter@example.test"},
        headers=dispatcher,
    )
    assert link.status_code == 202, link.json
    customer_id = booking["customer_id"]

    exported = client.get(f"/api/v1/customers/{customer_id}/export", headers=dispatcher)
    assert exported.status_code == 200, exported.json
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    assert exported.json["account"]["name"] == f"Erika {marker}"
    assert exported.json["account"]["has_login"] is False
    assert {m["recipient"] for m in exported.json["messages"]} >= {
        f"{marker.lower()}.daughter@example.test"
    }

    blocked = client.post(f"/api/v1/customers/{customer_id}/erase", headers=dispatcher)
    assert blocked.status_code == 409 and blocked.json["error"] == "erasure_blocked"
    assert (
        booking["code"] in blocked.json["message"] and "cancel it first" in blocked.json["message"]
    )
    cancel = client.post(
        f"/api/v1/bookings/{booking['id']}/cancel",
        json={"reason": f"Anruf von {marker}"},
        headers=dispatcher,
    )
    assert cancel.status_code == 200, cancel.json
    counted = _bookings_on_monday(client, dispatcher)

    r = client.post(f"/api/v1/customers/{customer_id}/erase", headers=dispatcher)
    assert r.status_code == 200, r.json
    assert r.json["user_id"] == customer_id and r.json["actor_role"] == "dispatcher"
    assert r.json["bookings_kept"] == 1 and r.json["messages_deleted"] >= 2
    assert marked_columns(db_session.connection(), marker) == set()
    assert _bookings_on_monday(client, dispatcher) == counted
    again = client.post(f"/api/v1/customers/{customer_id}/erase", headers=dispatcher)
    assert again.status_code == 409 and again.json["error"] == "already_erased"
    tracking = client.get(f"/api/v1/track/{booking['tracking_token']}")
    assert tracking.status_code == 404


def test_a_parcel_under_way_blocks_the_erasure_and_the_answer_says_why(
    client, auth_headers, delivery, db_session
):
    picked_up(client, delivery)
    admin = auth_headers("admin")
    customer_id = delivery["booking"]["customer_id"]
    r = client.post(f"/api/v1/customers/{customer_id}/erase", headers=admin)
    assert r.status_code == 409 and r.json["error"] == "erasure_blocked"
    assert delivery["booking"]["code"] in r.json["message"]
    assert "under way" in r.json["message"]
    assert db_session.get(User, customer_id).name != "(erased)"


# --- who may ---------------------------------------------------------------------------------


def test_who_may_export_and_erase_whom(client, auth_headers, make_user):
    resident = make_user("customer")
    hotline = make_user("customer", email=None, password_hash=None)
    dispatcher = auth_headers("dispatcher")
    # a dispatcher handles hotline customers only; a resident's account is theirs (or an admin's)
    assert (
        client.get(f"/api/v1/customers/{resident.id}/export", headers=dispatcher).status_code == 404
    )
    assert (
        client.post(f"/api/v1/customers/{resident.id}/erase", headers=dispatcher).status_code == 404
    )
    admin = auth_headers("admin")
    assert client.get(f"/api/v1/customers/{resident.id}/export", headers=admin).status_code == 200
    for nobody in (999999, 2**40):
        assert client.get(f"/api/v1/customers/{nobody}/export", headers=admin).status_code == 404
    courier = make_user("courier")
    assert client.get(f"/api/v1/customers/{courier.id}/export", headers=admin).status_code == 404
    for role in ("customer", "courier", "merchant"):
        r = client.post(f"/api/v1/customers/{hotline.id}/erase", headers=auth_headers(role))
        assert r.status_code == 403, role
    assert client.get("/api/v1/me/export").status_code == 401
    assert client.post("/api/v1/me/erase", json={"password": "x"}).status_code == 401
    staff = client.post("/api/v1/me/erase", json={"password": "x"}, headers=auth_headers("courier"))
    assert staff.status_code == 403
    missing = client.post("/api/v1/me/erase", json={}, headers=auth_headers(resident))
    assert missing.status_code == 422 and "password" in missing.json["errors"]["json"]
    # everybody downloads their own data, staff included
    mine = client.get("/api/v1/me/export", headers=auth_headers(courier))
    assert mine.status_code == 200 and mine.json["account"]["id"] == courier.id


def test_the_openapi_document_lists_the_privacy_operations_and_their_errors(client):
    paths = client.get("/api/openapi.json").json["paths"]
    expected = {
        ("/api/v1/me/export", "get"): {"200", "401", "default"},
        ("/api/v1/me/erase", "post"): {"200", "401", "403", "409", "422", "default"},
        ("/api/v1/customers/{user_id}/export", "get"): {"200", "401", "403", "404", "default"},
        ("/api/v1/customers/{user_id}/erase", "post"): {
            "200",
            "401",
            "403",
            "404",
            "409",
            "default",
        },
    }
    for (path, method), codes in expected.items():
        operation = paths[path][method]
        assert set(operation["responses"]) == codes, (path, operation["responses"])
    download = paths["/api/v1/me/export"]["get"]["responses"]["200"]
    assert "Content-Disposition" in download["headers"]
    assert download["content"]["application/json"]["schema"]["$ref"].endswith("/PersonalData")
    body = paths["/api/v1/me/erase"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/EraseMyself")
