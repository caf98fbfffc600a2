"""Planning follows the fleet: deactivated vehicles are not planned, drafts do not pin shifts,
the summary counts unassigned legs once, and unassigned legs say why in words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from louise.fleet.models import District, Vehicle, VehicleKind
from tests.support.dispatch import MONDAY, local

TUESDAY = MONDAY + timedelta(days=1)
FELDHAUSEN = {"lat": 51.615, "lon": 6.98}


@pytest.fixture()
def staff(auth_headers):
    return auth_headers("dispatcher")


def _plan(client, staff, day=MONDAY):
    r = client.post("/api/v1/plans", json={"date": day.isoformat()}, headers=staff)
    assert r.status_code == 202, r.json
    plan = client.get(f"/api/v1/plans/{r.json['id']}", headers=staff).json
    assert plan["status"] == "draft", plan
    return plan


# --- bug 4: a deactivated vehicle is not planned ----------------------------------------------


def test_a_deactivated_vehicle_is_not_planned(client, staff, fleet, day_bookings):
    first, second = fleet
    r = client.patch(f"/api/v1/vehicles/{first.vehicle_id}", json={"active": False}, headers=staff)
    assert r.status_code == 200, r.json
    plan = _plan(client, staff)
    assert {route["shift_id"] for route in plan["routes"]} == {second.id}
    assert {route["vehicle_id"] for route in plan["routes"]} == {second.vehicle_id}

    r = client.patch(f"/api/v1/vehicles/{second.vehicle_id}", json={"active": False}, headers=staff)
    assert r.status_code == 200, r.json
    plan = _plan(client, staff)
    assert plan["routes"] == []
    legs = [leg["id"] for b in day_bookings for leg in b["legs"] if not leg["tentative"]]
    assert sorted(u["leg_id"] for u in plan["unassigned"]) == sorted(legs)
    assert {(u["reason"], u["detail"]) for u in plan["unassigned"]} == {
        ("no_shift", "no shift on an active vehicle on 2026-11-23")
    }


def test_a_draft_whose_vehicle_was_deactivated_cannot_be_published(
    client, staff, fleet, day_bookings
):
    plan = _plan(client, staff)
    vehicle_id = plan["routes"][0]["vehicle_id"]
    r = client.patch(f"/api/v1/vehicles/{vehicle_id}", json={"active": False}, headers=staff)
    assert r.status_code == 200
    plan = client.get(f"/api/v1/plans/{plan['id']}", headers=staff).json
    route = plan["routes"][0]
    assert plan["warnings"] == [
        f"route {route['id']}: vehicle Lastenrad {vehicle_id - fleet[0].vehicle_id + 1} "
        "is out of service"
    ]
    r = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=staff)
    assert r.status_code == 409 and r.json["error"] == "plan_stale", r.json


# --- bug 5: drafts do not pin shifts ------------------------------------------------------------


def test_a_shift_only_a_draft_routes_can_be_deleted(client, staff, fleet, day_bookings):
    plan = _plan(client, staff)
    route = plan["routes"][0]
    r = client.delete(f"/api/v1/shifts/{route['shift_id']}", headers=staff)
    assert r.status_code == 204, r.json
    plan = client.get(f"/api/v1/plans/{plan['id']}", headers=staff).json
    kept = next(r for r in plan["routes"] if r["id"] == route["id"])
    assert kept["shift_id"] is None
    assert kept["vehicle_id"] == route["vehicle_id"] and kept["stops"] == route["stops"]
    assert plan["warnings"] == [f"route {route['id']}: its shift was removed"]
    r = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=staff)
    assert r.status_code == 409 and r.json["error"] == "plan_stale"
    assert r.json["message"] == (
        f"Plan {plan['id']} no longer matches the fleet (route {route['id']}: its shift was "
        "removed); re-plan the day."
    )
    # re-planned without it, the day publishes
    again = _plan(client, staff)
    assert route["shift_id"] not in {r["shift_id"] for r in again["routes"]}
    assert client.post(f"/api/v1/plans/{again['id']}/publish", headers=staff).status_code == 200


# --- bug 9: one number for unassigned work, in legs --------------------------------------------


def test_the_summary_counts_each_unassigned_leg_once(
    client, staff, fleet, book, shop, make_offer, make_user
):
    wardrobe = make_offer(shop, kind="product", title="Kleiderschrank", volume_l=400, weight_kg=20)
    small = book(make_user("customer"), make_offer(shop, kind="product"))
    large = book(make_user("customer"), wardrobe)
    assert small.status_code == 201 and large.status_code == 201
    plan = _plan(client, staff)
    assert plan["stats"]["summary"]["unassigned"] == 1
    assert plan["unassigned"] == [
        {
            "leg_id": large.json["legs"][0]["id"],
            "reason": "over_capacity",
            "detail": "the parcel (400 l, 20 kg) is larger than every vehicle that could take it",
        }
    ]


# --- friction: why, in words ----------------------------------------------------------------------


def test_an_unassigned_leg_says_which_vehicle_is_missing_when(
    client, staff, db_session, book, offers, make_user
):
    db_session.add(
        District(
            name="Feldhausen",
            min_lat=51.595,
            max_lat=51.65,
            min_lon=6.927,
            max_lon=7.05,
            vehicle_kinds=["car"],
            priority=10,
        )
    )
    car = Vehicle(
        name="E-Auto", kind=VehicleKind.CAR, capacity_l=600, capacity_kg=300, speed_kmh=25
    )
    db_session.add(car)
    db_session.commit()
    # sold while nobody was rostered on Tuesday (the whole fleet counts as working then)
    booked = book(
        make_user("customer"),
        offers["collection"],
        day=TUESDAY,
        window="day-09",
        address=FELDHAUSEN,
    )
    assert booked.status_code == 201, booked.json
    shift = client.post(
        "/api/v1/shifts",
        json={
            "courier_id": make_user("courier").id,
            "vehicle_id": car.id,
            "starts_at": local(TUESDAY, 15).isoformat(),
            "ends_at": local(TUESDAY, 20, 30).isoformat(),
        },
        headers=staff,
    )
    assert shift.status_code == 201, shift.json
    plan = _plan(client, staff, TUESDAY)
    assert [(u["leg_id"], u["detail"]) for u in plan["unassigned"]] == [
        (booked.json["legs"][0]["id"], "no car works in Feldhausen between 09:00 and 11:00")
    ]
    assert plan["stats"]["summary"]["unassigned"] == 1
