"""What the fuzzer found at /slots (issue 11): addresses are private, days lie within the
booking horizon, ids fit in the id columns (32 bits)."""

from __future__ import annotations

from datetime import date

from louise.auth.models import Role
from louise.bookings.models import Booking
from tests.support.bookings import HOME, MONDAY


def _slots(client, headers=None, **query):
    return client.get(
        "/api/v1/slots",
        query_string={"date": MONDAY.isoformat(), **query},
        headers=headers or {},
    )


def _booked_address(book, db_session, who, offer) -> int:
    r = book(who, offer)
    assert r.status_code == 201, r.json
    return db_session.get(Booking, r.json["id"]).address_id


def test_slots_by_address_id_answer_its_owner_and_staff(
    client, offers, book, make_user, auth_headers, db_session
):
    resident = make_user(Role.CUSTOMER)
    address_id = _booked_address(book, db_session, resident, offers["product"])
    for who in (resident, Role.DISPATCHER, Role.ADMIN):
        r = _slots(client, auth_headers(who), address_id=address_id)
        assert r.status_code == 200, (who, r.json)
        assert r.json["district"]


def test_slots_by_someone_elses_address_id_is_404_as_if_it_did_not_exist(
    client, offers, book, make_user, auth_headers, db_session
):
    address_id = _booked_address(book, db_session, make_user(Role.CUSTOMER), offers["product"])
    unknown = _slots(client, auth_headers(Role.CUSTOMER), address_id=10**9)
    assert unknown.status_code == 404
    for headers in ({}, auth_headers(Role.CUSTOMER), auth_headers(Role.COURIER)):
        r = _slots(client, headers, address_id=address_id)
        assert r.status_code == 404, r.json
        assert r.json["error"] == "not_found"
        assert "district" not in r.json
        assert r.json["message"] == unknown.json["message"].replace(str(10**9), str(address_id))


def test_anonymous_callers_get_slots_by_position(client, offers, now):
    r = _slots(client, lat=HOME["lat"], lon=HOME["lon"])
    assert r.status_code == 200, r.json
    assert len(r.json["slots"]) == 5


def test_slots_for_a_day_outside_the_booking_horizon_are_422_naming_date(client, now):
    # Monday 23 November 2026; the horizon is 14 days: 23 November … 7 December.
    for day in ("0389-06-04", "2026-11-22", "2026-12-08", "9999-12-31"):
        r = client.get(
            "/api/v1/slots", query_string={"date": day, "lat": HOME["lat"], "lon": HOME["lon"]}
        )
        assert r.status_code == 422, (day, r.json)
        assert r.json["errors"] == {
            "query": {"date": ["Must be from 2026-11-23 to 2026-12-07 (the booking horizon)."]}
        }
    for day in (date(2026, 11, 23), date(2026, 12, 7)):
        r = client.get(
            "/api/v1/slots",
            query_string={"date": day.isoformat(), "lat": HOME["lat"], "lon": HOME["lon"]},
        )
        assert r.status_code == 200, (day, r.json)


def test_ids_beyond_32_bits_are_404_in_paths_and_422_naming_the_field_in_queries(
    client, auth_headers
):
    for url in (
        "/api/v1/merchants/144830123269042110464",
        "/api/v1/offers/25618620791907155968000",
        "/api/v1/merchants/9223372036854775808",
        "/api/v1/merchants/2147483648",
        "/api/v1/offers/0",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json["error"] == "not_found"
    assert client.get("/api/v1/offers/2147483647").status_code == 404
    r = client.get("/api/v1/bookings/2147483648/history", headers=auth_headers(Role.ADMIN))
    assert r.status_code == 404
    for headers in ({}, auth_headers(Role.DISPATCHER)):
        r = _slots(client, headers, address_id="-154339707831498899456", offer_id=1)
        assert r.status_code == 422, r.json
        assert list(r.json["errors"]["query"]) == ["address_id"]
    r = client.get("/api/v1/offers", query_string={"merchant": 2**31})
    assert r.status_code == 422
    assert list(r.json["errors"]["query"]) == ["merchant"]


def test_booking_with_someone_elses_address_id_is_refused_like_an_unknown_one(
    client, offers, book, make_user, auth_headers, db_session, now
):
    owner = make_user(Role.CUSTOMER)
    address_id = _booked_address(book, db_session, owner, offers["product"])
    body = {
        "offer_id": offers["product"].id,
        "date": MONDAY.isoformat(),
        "window": "evening",
        "address_id": address_id,
    }
    r = client.post("/api/v1/bookings", json=body, headers=auth_headers(Role.CUSTOMER))
    assert r.status_code == 422, r.json
    assert r.json["errors"] == {"json": {"address_id": ["Unknown address."]}}
    again = client.post("/api/v1/bookings", json=body, headers=auth_headers(owner))
    assert again.status_code == 201, again.json
