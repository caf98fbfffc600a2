"""Public tracking: no login, an unguessable link, the state and the ETA window — nothing
personal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from louise.auth.models import User
from louise.bookings.models import Booking
from tests.support.courier import publish_monday, route_of
from tests.support.dispatch import MONDAY, local


def _token(db_session, booking_id):
    return db_session.get(Booking, booking_id).tracking_token


def _private_bits(booking: Booking) -> list[str]:
    return [
        booking.code,
        booking.contact_name,
        booking.address_label,
        booking.customer.email,
        *(x for x in (booking.contact_phone, booking.pickup_pin) if x),
    ]


def test_tracking_follows_a_booking_from_booked_to_delivered(
    client, auth_headers, fleet, book, offers, make_user, db_session, now
):
    resident = make_user("customer", phone="+49 2041 123456")
    booked = book(resident, offers["product"], notes="Hinterhaus")
    assert booked.status_code == 201
    booking = db_session.get(Booking, booked.json["id"])
    token = booking.tracking_token
    assert len(token) == 43

    # Booked, not planned yet: the booked window.
    r = client.get(f"/api/v1/track/{token}")
    assert r.status_code == 200, r.json
    # impact: the CO2e it avoided, once the ledger has its day (tests/impact/test_lines.py)
    assert set(r.json) == {"status", "kind", "next", "updated_at", "impact"}
    assert r.json["impact"] is None
    assert r.json["status"] == "confirmed" and r.json["kind"] == "product"
    assert r.json["next"]["type"] == "delivery" and r.json["next"]["planned"] is False
    assert datetime.fromisoformat(r.json["next"]["eta_window"]["start"]) == local(MONDAY, 17, 30)
    assert datetime.fromisoformat(r.json["next"]["eta_window"]["end"]) == local(MONDAY, 20, 0)
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    body = json.dumps(r.json)
    for secret in _private_bits(booking):
        assert secret not in body

    # Published: the ETA of the delivery stop ± 15 minutes.
    dispatcher = auth_headers("dispatcher")
    plan = publish_monday(client, dispatcher)
    leg_id = booked.json["legs"][0]["id"]
    route = route_of(plan, leg_id)
    stops = {s["type"]: s for s in route["stops"] if s["leg_id"] == leg_id}
    eta = datetime.fromisoformat(stops["delivery"]["eta"])
    r = client.get(f"/api/v1/track/{token}")
    assert r.json["next"]["planned"] is True and r.json["next"]["type"] == "delivery"
    window = r.json["next"]["eta_window"]
    assert datetime.fromisoformat(window["start"]) == eta - timedelta(minutes=15)
    assert datetime.fromisoformat(window["end"]) == eta + timedelta(minutes=15)

    # The courier is late: the window moves with the ETA.
    courier = auth_headers(db_session.get(User, route["courier_id"]))
    now(local(MONDAY, 19, 0))
    done = client.post(
        f"/api/v1/courier/stops/{stops['pickup']['id']}/complete",
        json={"booking_code": booking.code},
        headers=courier,
    )
    assert done.status_code == 200, done.json
    later = client.get(f"/api/v1/track/{token}").json["next"]["eta_window"]
    assert datetime.fromisoformat(later["start"]) > datetime.fromisoformat(window["start"])

    # Delivered: nothing ahead any more.
    done = client.post(
        f"/api/v1/courier/stops/{stops['delivery']['id']}/complete",
        json={"booking_code": booking.code},
        headers=courier,
    )
    assert done.status_code == 200, done.json
    r = client.get(f"/api/v1/track/{token}")
    assert r.json["status"] == "completed" and r.json["next"] is None
    db_session.refresh(booking)
    body = json.dumps(r.json)
    for secret in _private_bits(booking):
        assert secret not in body


def test_a_collection_shows_its_pickup_at_the_door(client, book, offers, make_user, db_session):
    booked = book(make_user("customer"), offers["collection"])
    r = client.get(f"/api/v1/track/{_token(db_session, booked.json['id'])}")
    assert r.status_code == 200
    assert r.json["kind"] == "collection" and r.json["next"]["type"] == "pickup"


def test_unknown_and_malformed_tokens_are_404_alike(client, book, offers, make_user, db_session):
    booked = book(make_user("customer"), offers["product"])
    real = _token(db_session, booked.json["id"])
    guesses = [real[:-1] + ("A" if real[-1] != "A" else "B"), "x", "A" * 200, real.upper()]
    answers = [client.get(f"/api/v1/track/{guess}") for guess in guesses]
    assert {a.status_code for a in answers} == {404}
    assert len({json.dumps(a.json, sort_keys=True) for a in answers}) == 1
    assert answers[0].json["message"] == "Unknown tracking link."
