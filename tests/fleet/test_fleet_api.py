"""Fleet API: vehicles and shifts, for dispatchers and admins only, with their rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from louise.auth.models import AccountStatus
from louise.fleet.models import District
from tests.support.dispatch import MONDAY, local

TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture()
def districts(db_session):
    rows = [
        District(
            name="Stadtmitte",
            min_lat=51.51,
            min_lon=6.90,
            max_lat=51.54,
            max_lon=6.96,
            vehicle_kinds=["bike", "car"],
        ),
        District(
            name="Kirchhellen",
            min_lat=51.58,
            min_lon=6.90,
            max_lat=51.64,
            max_lon=7.02,
            vehicle_kinds=["car"],
        ),
    ]
    db_session.add_all(rows)
    db_session.commit()
    return rows


@pytest.fixture()
def staff(auth_headers):
    return auth_headers("dispatcher")


def bike_body(**kw):
    return {
        "name": kw.pop("name", "Lastenrad 9"),
        "kind": "bike",
        "capacity_l": 200,
        "capacity_kg": 100,
        "speed_kmh": 15,
        "districts": ["Stadtmitte"],
        **kw,
    }


@pytest.fixture()
def vehicle(client, staff, districts):
    r = client.post("/api/v1/vehicles", json=bike_body(), headers=staff)
    assert r.status_code == 201, r.json
    return r.json


@pytest.fixture()
def courier(make_user):
    return make_user("courier", name="Kurierin Aylin")


def shift_body(courier_id, vehicle_id, start=(17, 0), end=(20, 30), day=MONDAY, **kw):
    return {
        "courier_id": courier_id,
        "vehicle_id": vehicle_id,
        "starts_at": local(day, *start).isoformat(),
        "ends_at": local(day, *end).isoformat(),
        **kw,
    }


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/vehicles"),
        ("post", "/api/v1/vehicles"),
        ("patch", "/api/v1/vehicles/1"),
        ("get", "/api/v1/shifts"),
        ("post", "/api/v1/shifts"),
        ("patch", "/api/v1/shifts/1"),
        ("delete", "/api/v1/shifts/1"),
    ],
)
def test_fleet_endpoints_are_for_dispatchers_and_admins_only(client, auth_headers, method, path):
    body = {} if method in ("post", "patch") else None
    anonymous = getattr(client, method)(path, json=body)
    assert anonymous.status_code == 401, anonymous.json
    for role in ("customer", "merchant", "courier"):
        r = getattr(client, method)(path, json=body, headers=auth_headers(role))
        assert r.status_code == 403, (role, r.json)


def test_admin_manages_the_fleet_too(client, auth_headers, districts):
    r = client.post("/api/v1/vehicles", json=bike_body(), headers=auth_headers("admin"))
    assert r.status_code == 201, r.json
    assert client.get("/api/v1/vehicles", headers=auth_headers("admin")).status_code == 200


# --- vehicles -------------------------------------------------------------------------------


def test_dispatcher_adds_lists_and_changes_a_vehicle(client, staff, vehicle):
    assert vehicle["kind"] == "bike" and vehicle["active"] is True
    assert vehicle["districts"] == ["Stadtmitte"]
    listed = client.get("/api/v1/vehicles", headers=staff).json["items"]
    assert [v["id"] for v in listed] == [vehicle["id"]]
    r = client.patch(
        f"/api/v1/vehicles/{vehicle['id']}",
        json={"active": False, "speed_kmh": 12.5},
        headers=staff,
    )
    assert r.status_code == 200, r.json
    assert r.json["active"] is False and r.json["speed_kmh"] == 12.5


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"capacity_l": 0}, "capacity_l"),
        ({"capacity_kg": -5}, "capacity_kg"),
        ({"speed_kmh": 0}, "speed_kmh"),
        ({"kind": "van"}, "kind"),
        ({"districts": ["Atlantis"]}, "districts"),
        ({"id": 7}, "id"),
    ],
)
def test_bad_vehicles_are_refused(client, staff, districts, change, field):
    r = client.post("/api/v1/vehicles", json=bike_body(**change), headers=staff)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]["json"]


def test_vehicle_names_are_unique(client, staff, vehicle):
    r = client.post("/api/v1/vehicles", json=bike_body(), headers=staff)
    assert r.status_code == 409 and r.json["error"] == "vehicle_name_taken"


def test_patching_a_vehicle_checks_the_same_rules(client, staff, vehicle):
    path = f"/api/v1/vehicles/{vehicle['id']}"
    assert client.patch(path, json={"districts": ["Nowhere"]}, headers=staff).status_code == 422
    assert client.patch(path, json={"capacity_l": 0}, headers=staff).status_code == 422
    assert client.patch("/api/v1/vehicles/999999", json={}, headers=staff).status_code == 404


# --- shifts ---------------------------------------------------------------------------------


def test_dispatcher_plans_a_shift_with_a_break(client, staff, vehicle, courier):
    body = shift_body(
        courier.id,
        vehicle["id"],
        start=(13, 0),
        breaks=[
            {
                "start": local(MONDAY, 16, 0).isoformat(),
                "end": local(MONDAY, 17, 30).isoformat(),
                "duration_s": 1800,
            }
        ],
    )
    r = client.post("/api/v1/shifts", json=body, headers=staff)
    assert r.status_code == 201, r.json
    assert r.json["day"] == MONDAY.isoformat()
    assert r.json["starts_at"] == "2026-11-23T12:00:00Z"  # 13:00 in Bottrop, UTC out
    assert r.json["breaks"][0]["duration_s"] == 1800
    listed = client.get(f"/api/v1/shifts?date={MONDAY.isoformat()}", headers=staff).json["items"]
    assert [s["id"] for s in listed] == [r.json["id"]]
    assert (
        client.get(f"/api/v1/shifts?date={TUESDAY.isoformat()}", headers=staff).json["items"] == []
    )


def test_shift_times_need_a_time_zone(client, staff, vehicle, courier):
    body = shift_body(courier.id, vehicle["id"], starts_at="2026-11-23T17:00:00")
    r = client.post("/api/v1/shifts", json=body, headers=staff)
    assert r.status_code == 422 and "starts_at" in r.json["errors"]["json"]


def test_a_shift_must_end_after_it_starts(client, staff, vehicle, courier):
    body = shift_body(courier.id, vehicle["id"], start=(18, 0), end=(17, 0))
    r = client.post("/api/v1/shifts", json=body, headers=staff)
    assert r.status_code == 422 and "ends_at" in r.json["errors"]["json"]


@pytest.mark.parametrize(
    "pause",
    [
        ((16, 0), (21, 0), 1800),  # ends after the shift
        ((12, 0), (17, 30), 1800),  # starts before it
        ((18, 0), (18, 15), 1800),  # longer than its span
        ((19, 0), (18, 0), 600),  # ends before it starts
    ],
)
def test_breaks_lie_inside_the_shift(client, staff, vehicle, courier, pause):
    (sh, sm), (eh, em), seconds = pause
    body = shift_body(
        courier.id,
        vehicle["id"],
        breaks=[
            {
                "start": local(MONDAY, sh, sm).isoformat(),
                "end": local(MONDAY, eh, em).isoformat(),
                "duration_s": seconds,
            }
        ],
    )
    r = client.post("/api/v1/shifts", json=body, headers=staff)
    assert r.status_code == 422 and "breaks" in r.json["errors"]["json"], r.json


def test_only_active_couriers_work_shifts(client, staff, vehicle, make_user):
    customer = make_user("customer")
    disabled = make_user("courier", status=AccountStatus.DISABLED)
    for who in (customer.id, disabled.id, 999999):
        r = client.post("/api/v1/shifts", json=shift_body(who, vehicle["id"]), headers=staff)
        assert r.status_code == 422 and "courier_id" in r.json["errors"]["json"], r.json


def test_unknown_or_inactive_vehicles_get_no_shift(client, staff, vehicle, courier):
    r = client.post("/api/v1/shifts", json=shift_body(courier.id, 999999), headers=staff)
    assert r.status_code == 422 and "vehicle_id" in r.json["errors"]["json"]
    client.patch(f"/api/v1/vehicles/{vehicle['id']}", json={"active": False}, headers=staff)
    r = client.post("/api/v1/shifts", json=shift_body(courier.id, vehicle["id"]), headers=staff)
    assert r.status_code == 422 and "vehicle_id" in r.json["errors"]["json"]


def test_a_vehicle_has_no_two_overlapping_shifts(client, staff, vehicle, make_user):
    first, second = make_user("courier"), make_user("courier")
    body = shift_body(first.id, vehicle["id"], start=(9, 0), end=(13, 0))
    assert client.post("/api/v1/shifts", json=body, headers=staff).status_code == 201
    clash = shift_body(second.id, vehicle["id"], start=(12, 0), end=(15, 0))
    r = client.post("/api/v1/shifts", json=clash, headers=staff)
    assert r.status_code == 409 and r.json["error"] == "shift_overlaps"
    back_to_back = shift_body(second.id, vehicle["id"], start=(13, 0), end=(15, 0))
    assert client.post("/api/v1/shifts", json=back_to_back, headers=staff).status_code == 201


def test_a_courier_has_no_two_overlapping_shifts(client, staff, vehicle, courier):
    other = client.post("/api/v1/vehicles", json=bike_body(name="Lastenrad 10"), headers=staff)
    body = shift_body(courier.id, vehicle["id"], start=(9, 0), end=(13, 0))
    assert client.post("/api/v1/shifts", json=body, headers=staff).status_code == 201
    clash = shift_body(courier.id, other.json["id"], start=(10, 0), end=(11, 0))
    r = client.post("/api/v1/shifts", json=clash, headers=staff)
    assert r.status_code == 409 and r.json["error"] == "shift_overlaps"
    next_day = shift_body(courier.id, other.json["id"], start=(10, 0), end=(11, 0), day=TUESDAY)
    assert client.post("/api/v1/shifts", json=next_day, headers=staff).status_code == 201


def test_patching_a_shift_rechecks_overlaps_and_times(client, staff, vehicle, make_user):
    a, b = make_user("courier"), make_user("courier")
    morning = client.post(
        "/api/v1/shifts", json=shift_body(a.id, vehicle["id"], (9, 0), (12, 0)), headers=staff
    ).json
    evening = client.post(
        "/api/v1/shifts", json=shift_body(b.id, vehicle["id"], (17, 0), (20, 0)), headers=staff
    ).json
    path = f"/api/v1/shifts/{evening['id']}"
    r = client.patch(path, json={"starts_at": local(MONDAY, 11, 0).isoformat()}, headers=staff)
    assert r.status_code == 409 and r.json["error"] == "shift_overlaps"
    r = client.patch(path, json={"ends_at": local(MONDAY, 16, 0).isoformat()}, headers=staff)
    assert r.status_code == 422
    r = client.patch(path, json={"starts_at": local(MONDAY, 15, 0).isoformat()}, headers=staff)
    assert r.status_code == 200 and r.json["starts_at"] == "2026-11-23T14:00:00Z"
    listed = client.get(f"/api/v1/shifts?date={MONDAY.isoformat()}", headers=staff).json["items"]
    assert [(s["id"], s["starts_at"]) for s in listed] == [
        (morning["id"], "2026-11-23T08:00:00Z"),
        (evening["id"], "2026-11-23T14:00:00Z"),
    ]


def test_deleting_a_shift(client, staff, vehicle, courier):
    shift = client.post(
        "/api/v1/shifts", json=shift_body(courier.id, vehicle["id"]), headers=staff
    ).json
    assert client.delete(f"/api/v1/shifts/{shift['id']}", headers=staff).status_code == 204
    assert client.delete(f"/api/v1/shifts/{shift['id']}", headers=staff).status_code == 404
    assert client.get("/api/v1/shifts", headers=staff).json["items"] == []


def test_a_shift_of_the_published_plan_cannot_be_deleted(client, staff, fleet, day_bookings):
    # (a draft does not pin its shifts: tests/dispatch/test_fleet_changes.py)
    plan = client.post("/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=staff)
    assert plan.status_code == 202
    publish = client.post(f"/api/v1/plans/{plan.json['id']}/publish", headers=staff)
    assert publish.status_code == 200
    routed = client.get(f"/api/v1/plans/{plan.json['id']}", headers=staff).json["routes"]
    r = client.delete(f"/api/v1/shifts/{routed[0]['shift_id']}", headers=staff)
    assert r.status_code == 409 and r.json["error"] == "shift_planned"
