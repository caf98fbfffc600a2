"""Availability follows the fleet: a window is sold for an address only if a shift on an
active vehicle whose kind serves that district covers it (both ends of every leg), and the
dispatcher sees the bookings that no longer fit after the fleet changed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from louise.fleet.models import District, Shift, Vehicle, VehicleKind
from tests.support.bookings import HOME, MONDAY, local

TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
#: A farm road in Feldhausen: the e-car's district.
FELDHAUSEN = {"lat": 51.615, "lon": 6.98}


@pytest.fixture()
def fleet_tuesday(db_session, make_user, now):
    """The demo's shape: Feldhausen only by e-car, the town by bike; on Tuesday a morning
    bike (09:00–13:00) and the e-car from 15:00 to 20:30."""
    db_session.add_all(
        [
            District(
                name="Feldhausen",
                min_lat=51.595,
                max_lat=51.65,
                min_lon=6.927,
                max_lon=7.05,
                vehicle_kinds=["car"],
                priority=10,
            ),
            District(
                name="Bottrop Stadt",
                min_lat=51.48,
                max_lat=51.565,
                min_lon=6.83,
                max_lon=7.05,
                vehicle_kinds=["bike"],
                priority=20,
            ),
        ]
    )
    bike = Vehicle(
        name="Lastenrad 1", kind=VehicleKind.BIKE, capacity_l=200, capacity_kg=100, speed_kmh=15
    )
    car = Vehicle(
        name="E-Auto",
        kind=VehicleKind.CAR,
        capacity_l=600,
        capacity_kg=300,
        speed_kmh=25,
        districts=["Feldhausen"],
    )
    db_session.add_all([bike, car])
    db_session.flush()
    morning = Shift(
        day=TUESDAY,
        courier_id=make_user("courier", name="Jonas").id,
        vehicle_id=bike.id,
        starts_at=local(TUESDAY, 9),
        ends_at=local(TUESDAY, 13),
    )
    afternoon = Shift(
        day=TUESDAY,
        courier_id=make_user("courier", name="Markus").id,
        vehicle_id=car.id,
        starts_at=local(TUESDAY, 15),
        ends_at=local(TUESDAY, 20, 30),
    )
    db_session.add_all([morning, afternoon])
    db_session.commit()
    return {"bike": bike, "car": car, "morning": morning, "afternoon": afternoon}


def _slots(client, day, place, **extra):
    r = client.get("/api/v1/slots", query_string={"date": day.isoformat(), **place, **extra})
    assert r.status_code == 200, r.json
    return {s["window"]: (s["bookable"], s["reason"]) for s in r.json["slots"]}


NOT_SERVED = (False, "not_served")
OK = (True, None)


def test_feldhausen_sells_only_the_windows_of_the_car_shift(client, fleet_tuesday, offers):
    expected = {
        "day-09": NOT_SERVED,
        "day-11": NOT_SERVED,
        "day-13": NOT_SERVED,  # ends when the car starts: no time to serve anyone
        "day-15": OK,
        "evening": OK,
    }
    assert _slots(client, TUESDAY, FELDHAUSEN) == expected
    assert _slots(client, TUESDAY, FELDHAUSEN, offer_id=offers["collection"].id) == expected


def test_the_town_sells_only_the_windows_of_the_bike_shift(client, fleet_tuesday):
    # the e-car lists only Feldhausen, so it does not serve the town
    assert _slots(client, TUESDAY, HOME) == {
        "day-09": OK,
        "day-11": OK,
        "day-13": NOT_SERVED,
        "day-15": NOT_SERVED,
        "evening": NOT_SERVED,
    }


def test_booking_a_window_no_shift_serves_is_refused_with_the_reason(
    book, offers, make_user, fleet_tuesday
):
    resident = make_user("customer")
    r = book(resident, offers["collection"], day=TUESDAY, window="day-09", address=FELDHAUSEN)
    assert r.status_code == 409, r.json
    assert r.json["error"] == "window_not_served"
    assert r.json["message"] == (
        "No car works in Feldhausen between 09:00 and 11:00 on 2026-11-24; choose another window."
    )
    assert r.json["errors"] == {"json": {"window": ["No vehicle serves this window here."]}}
    ok = book(resident, offers["collection"], day=TUESDAY, window="day-15", address=FELDHAUSEN)
    assert ok.status_code == 201, ok.json


def test_a_product_from_town_to_feldhausen_needs_the_car_at_both_ends(
    book, offers, make_user, fleet_tuesday
):
    # the shop hands the parcel over up to 3 h before the window: in the bike's morning,
    # but the car must carry it, and the car starts at 15:00 — day-13 cannot be served
    r = book(
        make_user("customer"), offers["product"], day=TUESDAY, window="day-13", address=FELDHAUSEN
    )
    assert r.status_code == 409 and r.json["error"] == "window_not_served"
    r = book(
        make_user("customer"), offers["product"], day=TUESDAY, window="day-15", address=FELDHAUSEN
    )
    assert r.status_code == 201, r.json


def test_rescheduling_into_a_window_no_shift_serves_is_refused(
    book, offers, make_user, fleet_tuesday, auth_headers, client
):
    resident = make_user("customer")
    booked = book(resident, offers["collection"], day=TUESDAY, window="evening", address=FELDHAUSEN)
    assert booked.status_code == 201, booked.json
    r = client.post(
        f"/api/v1/bookings/{booked.json['id']}/reschedule",
        json={"legs": "outbound", "date": TUESDAY.isoformat(), "window": "day-11"},
        headers=auth_headers(resident),
    )
    assert r.status_code == 409 and r.json["error"] == "window_not_served"


def test_availability_follows_a_shortened_shift_and_a_deactivated_vehicle(
    book, offers, make_user, fleet_tuesday, auth_headers, client
):
    staff = auth_headers("dispatcher")
    booked = book(
        make_user("customer"),
        offers["collection"],
        day=TUESDAY,
        window="evening",
        address=FELDHAUSEN,
    )
    assert booked.status_code == 201, booked.json
    unserved = client.get(
        "/api/v1/legs/unserved", query_string={"date": TUESDAY.isoformat()}, headers=staff
    )
    assert unserved.status_code == 200 and unserved.json["items"] == []

    shift = fleet_tuesday["afternoon"]
    r = client.patch(
        f"/api/v1/shifts/{shift.id}",
        json={"ends_at": local(TUESDAY, 17).isoformat()},
        headers=staff,
    )
    assert r.status_code == 200, r.json
    assert _slots(client, TUESDAY, FELDHAUSEN)["day-15"] == OK
    assert _slots(client, TUESDAY, FELDHAUSEN)["evening"] == NOT_SERVED
    unserved = client.get(
        "/api/v1/legs/unserved", query_string={"date": TUESDAY.isoformat()}, headers=staff
    )
    assert unserved.status_code == 200
    leg = booked.json["legs"][0]
    assert unserved.json["total"] == 1
    assert unserved.json["items"] == [
        {
            "leg_id": leg["id"],
            "booking_id": booked.json["id"],
            "booking_code": booked.json["code"],
            "day": "2026-11-24",
            "window": "evening",
            "purpose": "collect",
            "district": "Feldhausen",
            "detail": "no car works in Feldhausen between 17:30 and 20:00",
        }
    ]

    car = fleet_tuesday["car"]
    r = client.patch(f"/api/v1/vehicles/{car.id}", json={"active": False}, headers=staff)
    assert r.status_code == 200, r.json
    assert _slots(client, TUESDAY, FELDHAUSEN)["day-15"] == NOT_SERVED


def test_a_removed_shift_stops_the_sale_and_flags_what_was_sold(
    book, offers, make_user, fleet_tuesday, auth_headers, client
):
    staff = auth_headers("dispatcher")
    booked = book(
        make_user("customer"), offers["product"], day=TUESDAY, window="day-15", address=FELDHAUSEN
    )
    assert booked.status_code == 201, booked.json
    shift = fleet_tuesday["afternoon"]
    assert client.delete(f"/api/v1/shifts/{shift.id}", headers=staff).status_code == 204
    assert _slots(client, TUESDAY, FELDHAUSEN)["day-15"] == NOT_SERVED
    assert _slots(client, TUESDAY, FELDHAUSEN)["evening"] == NOT_SERVED
    # without a date: every day from today to the booking horizon
    unserved = client.get("/api/v1/legs/unserved", headers=staff)
    assert unserved.status_code == 200
    assert [(u["booking_code"], u["detail"]) for u in unserved.json["items"]] == [
        (booked.json["code"], "no car works in Feldhausen between 15:00 and 17:00")
    ]


def test_a_day_without_shifts_assumes_the_active_fleet(client, fleet_tuesday, auth_headers):
    # nobody is rostered on Wednesday yet: every active vehicle counts as working all day
    assert _slots(client, WEDNESDAY, FELDHAUSEN)["day-09"] == OK
    car = fleet_tuesday["car"]
    staff = auth_headers("dispatcher")
    assert (
        client.patch(
            f"/api/v1/vehicles/{car.id}", json={"active": False}, headers=staff
        ).status_code
        == 200
    )
    assert _slots(client, WEDNESDAY, FELDHAUSEN)["day-09"] == NOT_SERVED
    assert _slots(client, WEDNESDAY, HOME)["day-09"] == OK


def test_unserved_legs_are_for_dispatchers_only(client, auth_headers, now):
    assert client.get("/api/v1/legs/unserved").status_code == 401
    for role in ("customer", "merchant", "courier"):
        r = client.get("/api/v1/legs/unserved", headers=auth_headers(role))
        assert r.status_code == 403, role
    r = client.get(
        "/api/v1/legs/unserved",
        query_string={"date": "24.11."},
        headers=auth_headers("dispatcher"),
    )
    assert r.status_code == 422 and "date" in r.json["errors"]["query"]
