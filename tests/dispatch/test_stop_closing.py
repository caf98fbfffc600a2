"""A courier can always close a stop: legs that leave the day underneath a published route
(received early at the shop, cancelled, rescheduled, rejected) take their stops off it, an
item on the bike cannot be "received", the end stop waits for the open stops, and a parcel
going back to the hub overnight gets a hub drop-off stop."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from louise.auth.models import User
from louise.bookings.models import Booking, BookingStatus, Leg, LegStatus, StopKind
from louise.dispatch.models import PlanStop
from tests.support.courier import TUESDAY, picked_up, publish_monday, route_of, stop_action
from tests.support.dispatch import HOMES, MONDAY, local


@pytest.fixture()
def repair(client, auth_headers, fleet, book, offers, shop, make_user, db_session):
    """A repair collected from the first home to the shop, on a published route."""
    home = HOMES[0]
    booked = book(
        make_user("customer"), offers["service"], address={"lat": home[0], "lon": home[1]}
    )
    assert booked.status_code == 201, booked.json
    collect = next(leg for leg in booked.json["legs"] if leg["purpose"] == "collect")
    dispatcher = auth_headers("dispatcher")
    route = route_of(publish_monday(client, dispatcher), collect["id"])
    stops = {s["type"]: s for s in route["stops"] if s["leg_id"] == collect["id"]}
    return {
        "booking": booked.json,
        "leg_id": collect["id"],
        "route": route,
        "pickup": stops["pickup"],
        "delivery": stops["delivery"],
        "headers": auth_headers(db_session.get(User, route["courier_id"])),
        "shop": auth_headers(shop.owner),
        "dispatcher": dispatcher,
    }


def _today_stops(client, headers, route_id):
    today = client.get("/api/v1/courier/today", headers=headers).json
    return next(r for r in today["routes"] if r["id"] == route_id)["stops"]


def _code(case):
    return {"booking_code": case["booking"]["code"]}


# --- bug 3: receiving early ------------------------------------------------------------------


def test_receiving_an_item_early_takes_its_stops_off_the_route(client, repair, db_session, now):
    now(local(MONDAY, 16, 0))
    before = {s["id"]: s for s in _today_stops(client, repair["headers"], repair["route"]["id"])}

    r = client.post(f"/api/v1/bookings/{repair['booking']['id']}/receive", headers=repair["shop"])
    assert r.status_code == 200, r.json
    assert r.json["status"] == "at_shop"
    assert db_session.get(Leg, repair["leg_id"]).status == LegStatus.DELIVERED

    stops = {s["id"]: s for s in _today_stops(client, repair["headers"], repair["route"]["id"])}
    code = repair["booking"]["code"]
    for stop_id in (repair["pickup"]["id"], repair["delivery"]["id"]):
        assert stops[stop_id]["status"] == "skipped"
        assert stops[stop_id]["failure_reason"] == "received_at_shop"
        assert stops[stop_id]["note"] == f"Booking {code} was received at the shop already."
    end = next(s for s in stops.values() if s["type"] == "end")
    assert datetime.fromisoformat(end["eta"]) < datetime.fromisoformat(before[end["id"]]["eta"])

    # Recording anything there answers why, and the stop stays closed.
    for action, body in (("complete", _code(repair)), ("fail", {"reason": "not_at_home"})):
        r = stop_action(client, repair["pickup"]["id"], action, repair["headers"], json=body)
        assert r.status_code == 409
        assert r.json["error"] == "stop_withdrawn"
        assert r.json["message"] == (
            f"Stop {repair['pickup']['id']} is off your route: booking {code} was received "
            "at the shop already. Nothing to do here; go on with your next stop."
        )
    assert db_session.get(PlanStop, repair["pickup"]["id"]).status.value == "skipped"


def test_an_item_on_the_bike_cannot_be_received_by_the_shop(client, repair, db_session, now):
    now(local(MONDAY, 17, 40))
    r = stop_action(
        client, repair["pickup"]["id"], "complete", repair["headers"], json=_code(repair)
    )
    assert r.status_code == 200, r.json

    r = client.post(f"/api/v1/bookings/{repair['booking']['id']}/receive", headers=repair["shop"])
    assert r.status_code == 409
    assert r.json["error"] == "item_under_way"
    route_id, stop_id = repair["route"]["id"], repair["delivery"]["id"]
    assert r.json["message"].startswith(
        f"The courier is bringing it: route {route_id}, stop {stop_id}, expected around "
    )
    booking = db_session.get(Booking, repair["booking"]["id"])
    db_session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED

    r = stop_action(client, stop_id, "complete", repair["headers"], json=_code(repair))
    assert r.status_code == 200, r.json
    db_session.refresh(booking)
    assert booking.status == BookingStatus.AT_SHOP


def test_a_stop_whose_leg_was_received_before_the_plan_was_published_closes_when_recorded(
    client, auth_headers, fleet, book, offers, shop, make_user, db_session, now
):
    """A draft made before the receipt still holds the stops; once published, whatever the
    courier records there closes them with the reason instead of a lifecycle error."""
    home = HOMES[0]
    booked = book(
        make_user("customer"), offers["service"], address={"lat": home[0], "lon": home[1]}
    ).json
    collect = next(leg for leg in booked["legs"] if leg["purpose"] == "collect")
    dispatcher = auth_headers("dispatcher")
    plan_id = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    r = client.post(f"/api/v1/bookings/{booked['id']}/receive", headers=auth_headers(shop.owner))
    assert r.status_code == 200, r.json
    plan = client.post(f"/api/v1/plans/{plan_id}/publish", headers=dispatcher).json
    route = route_of(plan, collect["id"])
    pickup, delivery_ = (s for s in route["stops"] if s["leg_id"] == collect["id"])
    headers = auth_headers(db_session.get(User, route["courier_id"]))

    now(local(MONDAY, 17, 40))
    message = (
        f"Stop {pickup['id']} is off your route: booking {booked['code']} was received at the "
        "shop already. Nothing to do here; go on with your next stop."
    )
    r = stop_action(client, pickup["id"], "arrived", headers)
    assert r.status_code == 409
    assert r.json["error"] == "stop_withdrawn" and r.json["message"] == message
    r = stop_action(
        client, pickup["id"], "complete", headers, json={"booking_code": booked["code"]}
    )
    assert r.status_code == 409 and r.json["message"] == message
    stop = db_session.get(PlanStop, pickup["id"])
    db_session.refresh(stop)
    assert stop.status.value == "skipped" and stop.failure_reason == "received_at_shop"

    r = stop_action(client, delivery_["id"], "fail", headers, json={"reason": "no_access"})
    assert r.status_code == 409 and r.json["error"] == "stop_withdrawn"
    stop = db_session.get(PlanStop, delivery_["id"])
    db_session.refresh(stop)
    assert stop.status.value == "skipped"
    end = route["stops"][-1]
    assert stop_action(client, end["id"], "complete", headers, json={}).status_code == 200


@pytest.mark.parametrize(
    ("action", "who", "body", "reason", "note"),
    [
        (
            "cancel",
            "dispatcher",
            {"reason": "Kundin verreist"},
            "booking_cancelled",
            "Booking {code} was cancelled.",
        ),
        (
            "reject",
            "shop",
            {"reason": "Ersatzteil fehlt"},
            "booking_cancelled",
            "Booking {code} was cancelled.",
        ),
        (
            "reschedule",
            "dispatcher",
            {"legs": "outbound", "date": TUESDAY.isoformat(), "window": "evening"},
            "rescheduled",
            "Booking {code} was moved to another time.",
        ),
    ],
)
def test_a_booking_changed_after_publishing_takes_its_stops_off_the_route(
    client, repair, db_session, action, who, body, reason, note
):
    r = client.post(
        f"/api/v1/bookings/{repair['booking']['id']}/{action}", json=body, headers=repair[who]
    )
    assert r.status_code == 200, r.json
    stops = {s["id"]: s for s in _today_stops(client, repair["headers"], repair["route"]["id"])}
    for stop_id in (repair["pickup"]["id"], repair["delivery"]["id"]):
        assert stops[stop_id]["status"] == "skipped"
        assert stops[stop_id]["failure_reason"] == reason
        assert stops[stop_id]["note"] == note.format(code=repair["booking"]["code"])
    r = stop_action(client, repair["pickup"]["id"], "arrived", repair["headers"])
    assert r.status_code == 409 and r.json["error"] == "stop_withdrawn"


# --- bug 10: the end stop and the hub drop-off -----------------------------------------------


def test_a_break_stop_carries_no_leg_and_completes_without_proof(client, delivery):
    (pause,) = (s for s in delivery["route"]["stops"] if s["type"] == "break")
    assert pause["leg_id"] is None
    r = stop_action(client, pause["id"], "complete", delivery["headers"], json={})
    assert r.status_code == 200, r.json


def test_the_end_stop_waits_for_the_open_pickups_and_deliveries(client, delivery, now):
    now(local(MONDAY, 17, 40))
    end = delivery["route"]["stops"][-1]
    assert end["type"] == "end"
    r = stop_action(client, end["id"], "complete", delivery["headers"], json={})
    assert r.status_code == 409
    assert r.json["error"] == "stops_still_open"
    assert r.json["message"] == (
        "2 pickup or delivery stops of this route are still open: complete or fail them "
        "before the end stop."
    )
    picked_up(client, delivery)
    r = stop_action(client, end["id"], "complete", delivery["headers"], json={})
    assert r.status_code == 409
    assert r.json["message"].startswith("1 pickup or delivery stop of this route is still open")
    r = stop_action(
        client,
        delivery["delivery"]["id"],
        "complete",
        delivery["headers"],
        json={"booking_code": delivery["booking"]["code"]},
    )
    assert r.status_code == 200, r.json
    r = stop_action(client, end["id"], "complete", delivery["headers"], json={})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "completed"


def test_a_next_day_fallback_adds_a_hub_drop_off_before_the_end(
    client, delivery, kiosks, db_session, now
):
    now(local(MONDAY, 19, 45))
    picked_up(client, delivery)
    r = stop_action(
        client,
        delivery["delivery"]["id"],
        "fail",
        delivery["headers"],
        json={"reason": "no_access"},
    )
    assert r.status_code == 200, r.json
    fallback = r.json["fallback"]
    assert fallback["same_wave"] is False and fallback["day"] == TUESDAY.isoformat()

    code = delivery["booking"]["code"]
    stops = _today_stops(client, delivery["headers"], delivery["route"]["id"])
    assert [s["type"] for s in stops[-2:]] == ["delivery", "end"]
    hub = stops[-2]
    assert hub["id"] == fallback["hub_stop_id"]
    assert hub["place_kind"] == "hub" and hub["status"] == "pending"
    assert hub["label"].startswith("City-Station")
    assert hub["booking_code"] == code
    assert hub["note"] == (
        f"Hand parcel {code} in at the City-Station: it goes to Trinkhalle Süd "
        f"on {TUESDAY.isoformat()}."
    )
    assert datetime.fromisoformat(hub["eta"]) >= local(MONDAY, 19, 45)
    assert [s["seq"] for s in stops] == sorted(s["seq"] for s in stops)

    end = stops[-1]
    r = stop_action(client, end["id"], "complete", delivery["headers"], json={})
    assert r.status_code == 409 and r.json["error"] == "stops_still_open"
    r = stop_action(client, hub["id"], "complete", delivery["headers"], json={"booking_code": code})
    assert r.status_code == 200, r.json
    assert (
        stop_action(client, end["id"], "complete", delivery["headers"], json={}).status_code == 200
    )

    booking = db_session.get(Booking, delivery["booking"]["id"])
    db_session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED
    to_hub = db_session.get(Leg, hub["leg_id"])
    assert to_hub.dest_kind == StopKind.HUB and to_hub.status == LegStatus.DELIVERED
    tomorrow = db_session.get(Leg, fallback["leg_id"])
    assert tomorrow.status == LegStatus.SCHEDULED and tomorrow.origin_kind == StopKind.HUB
    assert tomorrow.day == TUESDAY and not tomorrow.locked
    assert db_session.scalars(select(PlanStop).where(PlanStop.leg_id == tomorrow.id)).all() == []
