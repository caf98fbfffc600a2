"""Who may see and change what, and bad input that must get a clear 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from louise.bookings.models import Booking, DeliveryPoint, DestinationType
from tests.support.bookings import HOME, MONDAY, local


@pytest.fixture()
def alices_locker_booking(book, offers, make_user, db_session):
    locker = DeliveryPoint(
        kind=DestinationType.LOCKER,
        name="Locker",
        address_label="Bahnhofstraße 1, Bottrop",
        lat=51.5189,
        lon=6.93,
        compartments={"S": 5},
    )
    db_session.add(locker)
    db_session.commit()
    alice = make_user("customer")
    r = book(alice, offers["product"], destination="locker", point_id=locker.id)
    assert r.status_code == 201
    return alice, r.json


def test_resident_b_cannot_read_cancel_or_reschedule_as_bookings(
    alices_locker_booking, make_user, auth_headers, client
):
    _alice, booking = alices_locker_booking
    bob = auth_headers(make_user("customer"))
    bid = booking["id"]
    assert client.get(f"/api/v1/bookings/{bid}", headers=bob).status_code == 404
    assert client.get(f"/api/v1/bookings/{bid}/history", headers=bob).status_code == 404
    assert client.get(f"/api/v1/bookings/{bid}/calendar.ics", headers=bob).status_code == 404
    assert client.post(f"/api/v1/bookings/{bid}/cancel", json={}, headers=bob).status_code == 404
    r = client.post(
        f"/api/v1/bookings/{bid}/reschedule",
        json={"date": (MONDAY + timedelta(days=1)).isoformat(), "window": "day-09"},
        headers=bob,
    )
    assert r.status_code == 404
    listed = client.get("/api/v1/bookings", headers=bob).json
    assert listed["total"] == 0
    assert booking["pickup_pin"] not in client.get("/api/v1/bookings", headers=bob).get_data(
        as_text=True
    )


def test_resident_a_sees_own_booking_with_pin(alices_locker_booking, auth_headers, client):
    alice, booking = alices_locker_booking
    r = client.get(f"/api/v1/bookings/{booking['id']}", headers=auth_headers(alice))
    assert r.status_code == 200 and r.json["pickup_pin"] == booking["pickup_pin"]


def test_merchant_y_cannot_see_merchant_xs_items(
    alices_locker_booking, make_merchant, auth_headers, client
):
    _alice, booking = alices_locker_booking
    other_shop = make_merchant(name="Buchhandlung")
    other = auth_headers(other_shop.owner)
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=other).status_code == 404
    items = client.get(
        "/api/v1/merchant/items", query_string={"date": MONDAY.isoformat()}, headers=other
    )
    assert (
        items.status_code == 200 and items.json["incoming"] == [] and items.json["outgoing"] == []
    )
    assert (
        client.post(
            f"/api/v1/bookings/{booking['id']}/reject", json={"reason": "x"}, headers=other
        ).status_code
        == 404
    )
    assert client.get("/api/v1/bookings", headers=other).json["total"] == 0


def test_courier_cannot_see_bookings_outside_their_routes(
    alices_locker_booking, make_user, auth_headers, client, db_session
):
    _alice, booking = alices_locker_booking
    courier = make_user("courier")
    headers = auth_headers(courier)
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/bookings", headers=headers).json["total"] == 0
    row = db_session.get(Booking, booking["id"])
    for leg in row.legs:
        leg.courier_id = courier.id  # a published plan put the stop on this courier's route
    db_session.commit()
    seen = client.get(f"/api/v1/bookings/{booking['id']}", headers=headers)
    assert seen.status_code == 200 and seen.json["pickup_pin"] == booking["pickup_pin"]
    other = auth_headers(make_user("courier"))
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=other).status_code == 404


def test_anonymous_cannot_book_or_read(client, offers):
    r = client.post(
        "/api/v1/bookings",
        json={
            "offer_id": offers["product"].id,
            "date": MONDAY.isoformat(),
            "window": "evening",
            "address": HOME,
        },
    )
    assert r.status_code == 401
    assert client.get("/api/v1/bookings").status_code == 401


def test_merchants_and_couriers_cannot_book(book, offers, shop, make_user):
    assert book(shop.owner, offers["product"]).status_code == 403
    assert book(make_user("courier"), offers["product"]).status_code == 403


def _error_fields(response):
    return response.json.get("errors", {}).get("json", {})


def test_window_in_the_past_is_refused(book, offers, make_user):
    r = book(make_user("customer"), offers["product"], day=MONDAY - timedelta(days=1))
    assert r.status_code == 422 and "date" in _error_fields(r)


def test_window_past_the_cutoff_is_refused(book, offers, make_user, now):
    now(local(MONDAY, 14, 0, 0))
    r = book(make_user("customer"), offers["product"])
    assert r.status_code == 422 and "cut-off" in r.json["message"]


def test_cutoff_boundary_through_the_api(book, offers, make_user, now):
    now(local(MONDAY, 13, 59, 59))
    assert book(make_user("customer"), offers["product"]).status_code == 201


def test_unknown_window_is_refused(book, offers, make_user):
    r = book(make_user("customer"), offers["product"], window="midnight")
    assert r.status_code == 422 and "window" in _error_fields(r)


def test_address_outside_the_service_area_is_refused(book, offers, make_user):
    r = book(make_user("customer"), offers["product"], address={"lat": 51.45, "lon": 7.01})  # Essen
    assert r.status_code == 422 and "address" in _error_fields(r)


def test_address_outside_every_district_is_refused(book, offers, make_user, auth_headers, client):
    client.post(
        "/api/v1/districts",
        json={
            "name": "Stadtmitte",
            "min_lat": 51.50,
            "min_lon": 6.90,
            "max_lat": 51.55,
            "max_lon": 6.96,
            "vehicle_kinds": ["bike"],
        },
        headers=auth_headers("admin"),
    )
    inside = book(make_user("customer"), offers["product"])
    assert inside.status_code == 201 and inside.json["district"] == "Stadtmitte"
    r = book(make_user("customer"), offers["product"], address={"lat": 51.62, "lon": 6.92})
    assert r.status_code == 422 and "address" in _error_fields(r)


def test_unknown_offer_is_refused(book, make_user):
    r = book(make_user("customer"), 999999)
    assert r.status_code == 422 and "offer_id" in _error_fields(r)


def test_inactive_offer_is_refused(book, offers, make_user, db_session):
    offers["product"].active = False
    db_session.commit()
    r = book(make_user("customer"), offers["product"])
    assert r.status_code == 422 and "offer_id" in _error_fields(r)


def test_unknown_point_is_refused(book, offers, make_user):
    r = book(make_user("customer"), offers["product"], destination="point", point_id=4242)
    assert r.status_code == 422 and "point_id" in _error_fields(r)


def test_collection_cannot_start_at_a_locker(book, offers, make_user):
    r = book(make_user("customer"), offers["collection"], destination="locker", point_id=1)
    assert r.status_code == 422 and "destination" in _error_fields(r)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"offer_id": "abc"}, "offer_id"),
        ({"date": "23.11.2026"}, "date"),
        ({"window": ""}, "window"),
        ({"destination": "roof"}, "destination"),
        ({"address": {"lat": 95, "lon": 6.9}}, "address"),
        ({"price_cents": 1}, "price_cents"),
        ({"status": "completed"}, "status"),
    ],
)
def test_malformed_bodies_name_the_field(book, offers, make_user, body, field):
    r = book(make_user("customer"), offers["product"], **body)
    assert r.status_code == 422
    assert field in _error_fields(r)


def test_malformed_idempotency_key_is_a_400(book, offers, make_user, db_session):
    r = book(
        make_user("customer"), offers["product"], headers={"Idempotency-Key": "has spaces in it"}
    )
    assert r.status_code == 400 and "Idempotency-Key" in r.json["errors"]["headers"]
    assert db_session.scalars(select(Booking)).all() == []
