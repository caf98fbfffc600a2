"""One API style on the booking side: German by default, Points and lockers named clearly,
their opening hours in the shops' shape."""

from __future__ import annotations

import pytest

from tests.support.bookings import HOME, MONDAY, local


@pytest.fixture()
def locker(make_locker):
    return make_locker(S=2)


@pytest.fixture()
def kiosk(make_kiosk):
    return make_kiosk(2)


def test_slot_promises_are_german_unless_english_is_asked_for(client, offers, now):
    now(local(MONDAY, 11, 47))
    query = {"date": MONDAY.isoformat(), **HOME}

    german = client.get("/api/v1/slots", query_string=query).json["slots"]
    english = client.get("/api/v1/slots", query_string={**query, "lang": "en"}).json["slots"]

    evening = {s["window"]: s for s in german}["evening"]
    assert evening["promise"] == (
        "Bestellen Sie innerhalb von 2 h 13 min für die Lieferung heute ab 17:30"
    )
    assert {s["window"]: s for s in english}["evening"]["promise"] == (
        "order within 2 h 13 min for delivery today from 17:30"
    )


def test_openapi_documents_german_as_the_default_language(client):
    spec = client.get("/api/openapi.json").json
    params = spec["paths"]["/api/v1/slots"]["get"]["parameters"]
    lang = next(p for p in params if p["name"] == "lang")
    assert lang["schema"]["default"] == "de"


def test_a_locker_named_as_a_point_is_found(book, offers, make_user, locker):
    r = book(make_user("customer"), offers["product"], destination="point", point_id=locker.id)

    assert r.status_code == 201, r.json
    assert r.json["destination"] == "locker"
    assert r.json["point_id"] == locker.id
    assert r.json["legs"][-1]["destination"]["kind"] == "locker"
    assert len(r.json["pickup_pin"]) == 6


def test_a_point_named_as_a_locker_is_refused_saying_how_to_name_it(book, offers, make_user, kiosk):
    r = book(make_user("customer"), offers["product"], destination="locker", point_id=kiosk.id)

    assert r.status_code == 422
    assert r.json["errors"]["json"]["destination"] == [
        f"Point {kiosk.id} is a LOUISE Point, not a locker: send destination 'point'."
    ]


def test_an_unknown_point_id_names_the_field(book, offers, make_user):
    r = book(make_user("customer"), offers["product"], destination="point", point_id=999999)

    assert r.status_code == 422
    assert r.json["errors"]["json"]["point_id"] == [
        "No active Point or locker with this id; see GET /api/v1/points."
    ]


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_points_give_and_take_opening_hours_in_the_shops_shape(client, auth_headers, kiosk):
    staff = auth_headers("dispatcher")
    body = {
        "kind": "point",
        "name": "Trinkhalle Süd",
        "address_label": "Südring 4, 46242 Bottrop",
        "lat": 51.515,
        "lon": 6.93,
        "shelf_capacity": 4,
        "opening_hours": {
            "mon": [{"opens": "07:00", "closes": "13:00"}, {"opens": "15:00", "closes": "21:00"}],
            "sat": [{"opens": "08:00", "closes": "14:00"}],
        },
    }

    created = client.post("/api/v1/points", json=body, headers=staff)

    assert created.status_code == 201, created.json
    assert created.json["opening_hours"] == {
        "mon": [{"opens": "07:00", "closes": "13:00"}, {"opens": "15:00", "closes": "21:00"}],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [{"opens": "08:00", "closes": "14:00"}],
        "sun": [],
    }
    listed = client.get("/api/v1/points").json["items"]
    shown = {p["id"]: p["opening_hours"] for p in listed}
    assert shown[kiosk.id] == {
        d: ([] if d == "sun" else [{"opens": "07:00", "closes": "21:00"}]) for d in WEEK
    }
    shop_hours = client.get("/api/v1/merchants").json["items"]
    assert all(set(s["opening_hours"]) == set(WEEK) for s in shop_hours)


def test_point_hours_in_the_old_pair_shape_are_refused_naming_the_day(client, auth_headers):
    r = client.post(
        "/api/v1/points",
        json={
            "kind": "point",
            "name": "Kiosk",
            "address_label": "Hauptstraße 1",
            "lat": 51.52,
            "lon": 6.93,
            "shelf_capacity": 1,
            "opening_hours": {"mon": [["07:00", "21:00"]]},
        },
        headers=auth_headers("dispatcher"),
    )
    assert r.status_code == 422
    assert "mon" in r.json["errors"]["json"]["opening_hours"]


def test_a_locker_is_open_around_the_clock_with_null_hours(client, auth_headers, locker):
    listed = client.get("/api/v1/points", query_string={"kind": "locker"}).json["items"]
    assert [(p["id"], p["opening_hours"]) for p in listed] == [(locker.id, None)]
