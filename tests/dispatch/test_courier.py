"""The courier workflow: proofs, failed attempts and the fallback to a Point, ETA updates,
uploads and who may see and change which stop."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from louise.auth.models import User
from louise.bookings.models import (
    Booking,
    CapacityCounter,
    DestinationType,
    Leg,
    LegStatus,
    OutboxMessage,
    StopKind,
)
from louise.dispatch import proofs
from louise.dispatch.models import PlanStop
from louise.errors import BadRequest
from tests.support.courier import TUESDAY, picked_up, stop_action
from tests.support.dispatch import MONDAY, local

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def _messages(db_session, booking_id, template):
    return db_session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.booking_id == booking_id, OutboxMessage.template == template)
        .order_by(OutboxMessage.id)
    ).all()


# --- completing ------------------------------------------------------------------------------


def test_pickup_then_delivery_with_the_booking_code_completes_the_booking(
    client, delivery, db_session, now
):
    now(local(MONDAY, 17, 40))
    headers = delivery["headers"]
    r = stop_action(client, delivery["pickup"]["id"], "arrived", headers)
    assert r.status_code == 200 and r.json["status"] == "arrived"
    picked_up(client, delivery)
    booking = db_session.get(Booking, delivery["booking"]["id"])
    assert booking.legs[0].status == LegStatus.PICKED_UP and booking.status.value == "confirmed"
    r = stop_action(
        client,
        delivery["delivery"]["id"],
        "complete",
        headers,
        json={"booking_code": delivery["booking"]["code"].lower()},
    )
    assert r.status_code == 200, r.json
    assert r.json["proof_kind"] == "booking_code" and r.json["done_at"]
    db_session.refresh(booking)
    assert booking.status.value == "completed" and booking.legs[0].status == LegStatus.DELIVERED
    (message,) = _messages(db_session, booking.id, "delivered")
    assert message.context["pin_line"] == ""


def test_wrong_code_missing_proof_and_misplaced_pin_are_422(client, delivery):
    headers, pickup = delivery["headers"], delivery["pickup"]["id"]
    assert stop_action(client, pickup, "complete", headers, json={"booking_code": "L2222222"}).json[
        "errors"
    ] == {"json": {"booking_code": ["Does not match."]}}
    assert stop_action(client, pickup, "complete", headers, json={}).status_code == 422
    assert stop_action(client, pickup, "complete", headers).status_code == 422
    assert (
        stop_action(client, pickup, "complete", headers, json={"pin": "123456"}).status_code == 422
    )
    assert stop_action(client, pickup, "complete", headers, json={"pin": "12"}).status_code == 422


def test_a_delivery_before_its_pickup_and_a_stop_done_twice_are_409(client, delivery):
    headers, code = delivery["headers"], {"booking_code": delivery["booking"]["code"]}
    assert stop_action(
        client, delivery["delivery"]["id"], "complete", headers, json=code
    ).status_code == (409)
    picked_up(client, delivery)
    again = stop_action(client, delivery["pickup"]["id"], "complete", headers, json=code)
    assert again.status_code == 409
    assert stop_action(client, delivery["pickup"]["id"], "arrived", headers).status_code == 409


def test_completing_a_stop_late_moves_the_later_etas(client, delivery, now):
    late = local(MONDAY, 19, 0)
    now(late)
    route = delivery["route"]
    first = route["stops"][0]
    assert first["type"] == "start"
    r = stop_action(client, first["id"], "complete", delivery["headers"], json={})
    assert r.status_code == 200, r.json
    after = client.get("/api/v1/courier/today", headers=delivery["headers"]).json
    stops = next(x for x in after["routes"] if x["id"] == route["id"])["stops"]
    departure = late
    for stop in stops[1:]:
        eta = datetime.fromisoformat(stop["eta"])
        arrival = departure + timedelta(seconds=stop["travel_s"])
        window = stop["window_start"] and datetime.fromisoformat(stop["window_start"])
        assert eta == (max(arrival, window) if window else arrival), stop
        departure = eta + timedelta(seconds=stop["service_s"])
    assert datetime.fromisoformat(stops[1]["eta"]) >= late


# --- failed attempts ---------------------------------------------------------------------


def test_failed_door_delivery_falls_back_to_the_nearest_point_with_space(
    client, delivery, kiosks, db_session, now
):
    now(local(MONDAY, 18, 0))
    picked_up(client, delivery)
    r = stop_action(
        client,
        delivery["delivery"]["id"],
        "fail",
        delivery["headers"],
        json={"reason": "not_at_home", "note": "Klingel defekt"},
    )
    assert r.status_code == 200, r.json
    assert r.json["stop"]["status"] == "failed"
    assert r.json["stop"]["failure_reason"] == "not_at_home"
    fallback = r.json["fallback"]
    assert fallback["point_id"] == kiosks["free"].id  # the nearer kiosk is full
    assert fallback["same_wave"] is True and fallback["day"] == MONDAY.isoformat()

    booking = db_session.get(Booking, delivery["booking"]["id"])
    db_session.refresh(booking)
    assert booking.point_id == kiosks["free"].id
    assert booking.destination_type == DestinationType.POINT
    pin = booking.pickup_pin
    assert pin is not None and len(pin) == 6 and pin.isdigit()
    failed, fallback_leg = booking.legs
    assert failed.status == LegStatus.FAILED and failed.failure_reason == "not_at_home"
    assert fallback_leg.status == LegStatus.PICKED_UP and fallback_leg.day == MONDAY
    assert fallback_leg.dest_kind == StopKind.POINT and fallback_leg.point_id == kiosks["free"].id
    counter = db_session.get(CapacityCounter, fallback_leg.point_counter_id)
    assert counter.used == 1 and counter.capacity == 2

    (message,) = _messages(db_session, booking.id, "failed_attempt")
    assert message.context["pin"] == pin and kiosks["free"].name in message.context["place"]
    assert message.context["variant"] == "point"

    # The new stop is the last one before the route's end, and shows the courier the PIN.
    today = client.get("/api/v1/courier/today", headers=delivery["headers"]).json
    stops = next(x for x in today["routes"] if x["id"] == delivery["route"]["id"])["stops"]
    assert [s["type"] for s in stops[-2:]] == ["delivery", "end"]
    new_stop = stops[-2]
    assert new_stop["id"] == fallback["stop_id"] and new_stop["pin"] == pin
    assert new_stop["place_kind"] == "point" and new_stop["contact_name"] is None
    assert datetime.fromisoformat(new_stop["eta"]) >= local(MONDAY, 18, 0)
    assert [s["seq"] for s in stops] == sorted(s["seq"] for s in stops)

    wrong = "000000" if pin != "000000" else "111111"
    r = stop_action(client, new_stop["id"], "complete", delivery["headers"], json={"pin": wrong})
    assert r.status_code == 422 and r.json["errors"] == {"json": {"pin": ["Does not match."]}}
    r = stop_action(client, new_stop["id"], "complete", delivery["headers"], json={"pin": pin})
    assert r.status_code == 200, r.json
    db_session.refresh(booking)
    assert booking.status.value == "completed"
    (delivered,) = _messages(db_session, booking.id, "delivered")
    assert delivered.context["pin"] == pin and kiosks["free"].name in delivered.context["place"]


def test_too_late_in_the_wave_the_fallback_goes_out_from_the_hub_next_service_day(
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
    assert fallback["same_wave"] is False and fallback["stop_id"] is None
    assert fallback["day"] == TUESDAY.isoformat()
    leg = db_session.get(Leg, fallback["leg_id"])
    assert leg.status == LegStatus.SCHEDULED and leg.origin_kind == StopKind.HUB
    assert leg.day == TUESDAY and leg.delivery_start == local(TUESDAY, 17, 30)
    assert leg.courier_id is None and not leg.locked
    route_stops = db_session.scalars(
        select(PlanStop).where(PlanStop.route_id == delivery["route"]["id"])
    ).all()
    assert all(s.leg_id != leg.id for s in route_stops)
    (message,) = _messages(db_session, delivery["booking"]["id"], "failed_attempt")
    assert message.context["pin"] == db_session.get(Booking, leg.booking_id).pickup_pin


def test_without_fallback_the_resident_is_told_we_will_call(
    app, client, delivery, kiosks, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "FAILED_DELIVERY_FALLBACK", False)
    picked_up(client, delivery)
    r = stop_action(
        client,
        delivery["delivery"]["id"],
        "fail",
        delivery["headers"],
        json={"reason": "not_at_home"},
    )
    assert r.status_code == 200 and r.json["fallback"] is None
    booking = db_session.get(Booking, delivery["booking"]["id"])
    assert booking.point_id is None and booking.pickup_pin is None and len(booking.legs) == 1
    (message,) = _messages(db_session, booking.id, "failed_attempt")
    assert "rufen Sie an" in message.context["next_step"] and "pin" not in message.context


def test_a_refused_parcel_does_not_go_to_a_point(client, delivery, kiosks, db_session):
    picked_up(client, delivery)
    r = stop_action(
        client, delivery["delivery"]["id"], "fail", delivery["headers"], json={"reason": "refused"}
    )
    assert r.status_code == 200 and r.json["fallback"] is None
    assert len(_messages(db_session, delivery["booking"]["id"], "failed_attempt")) == 1


def test_a_failed_pickup_fails_the_leg_and_skips_its_delivery(client, delivery, db_session):
    r = stop_action(
        client, delivery["pickup"]["id"], "fail", delivery["headers"], json={"reason": "damaged"}
    )
    assert r.status_code == 200, r.json
    booking = db_session.get(Booking, delivery["booking"]["id"])
    assert booking.status.value == "confirmed" and booking.legs[0].status == LegStatus.FAILED
    assert db_session.get(PlanStop, delivery["delivery"]["id"]).status.value == "skipped"
    bad = stop_action(
        client, delivery["delivery"]["id"], "fail", delivery["headers"], json={"reason": "x"}
    )
    assert bad.status_code == 422


def test_start_and_end_stops_cannot_fail(client, delivery):
    start = delivery["route"]["stops"][0]
    r = stop_action(
        client, start["id"], "fail", delivery["headers"], json={"reason": "not_at_home"}
    )
    assert r.status_code == 409


# --- uploads -------------------------------------------------------------------------------


@pytest.fixture()
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    return tmp_path


def _multipart(*files):
    """A multipart body built by hand: the test client would spool big bodies to a temporary
    file it never closes, and would not escape a backslash in a file name."""
    boundary = "louise-test-boundary"
    body = b""
    for field, filename, data in files:
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
        body += (
            (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{field}"; filename="{quoted}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _upload(client, delivery, field, data, filename, *more):
    body, content_type = _multipart((field, filename, data), *more)
    return stop_action(
        client,
        delivery["pickup"]["id"],
        "complete",
        delivery["headers"],
        data=body,
        content_type=content_type,
    )


def test_a_photo_is_stored_under_a_random_name(client, delivery, uploads, db_session):
    big = JPEG + b"\x00" * (2 * 1024 * 1024)  # above the 1 MB JSON body limit
    r = _upload(client, delivery, "photo", big, "mein foto.jpg")
    assert r.status_code == 200, r.json
    assert r.json["proof_kind"] == "photo"
    stop = db_session.get(PlanStop, delivery["pickup"]["id"])
    stored = list((uploads / "proofs").iterdir())
    assert [f"proofs/{p.name}" for p in stored] == [stop.proof_ref]
    assert stored[0].suffix == ".jpg" and "foto" not in stored[0].name
    assert stored[0].read_bytes() == big


def test_a_signature_png_is_accepted(client, delivery, uploads):
    r = _upload(client, delivery, "signature", PNG, "sig.png")
    assert r.status_code == 200 and r.json["proof_kind"] == "signature"


def test_a_file_that_is_not_an_image_is_refused(client, delivery, uploads, db_session):
    r = _upload(client, delivery, "photo", b"%PDF-1.7 not an image", "photo.jpg")
    assert r.status_code == 415, r.json
    assert "photo" in r.json["errors"]["files"]
    assert db_session.get(PlanStop, delivery["pickup"]["id"]).status.value == "pending"
    assert not (uploads / "proofs").exists() or not list((uploads / "proofs").iterdir())


@pytest.mark.parametrize("extra", [1, 512 * 1024])
def test_an_oversized_file_is_refused(app, client, delivery, uploads, extra):
    data = JPEG + b"\x00" * (app.config["MAX_UPLOAD_BYTES"] - len(JPEG) + extra)
    r = _upload(client, delivery, "photo", data, "photo.jpg")
    assert r.status_code == 413, r.json
    assert r.json["error"] == "payload_too_large"


@pytest.mark.parametrize("name", ["../../etc/passwd.jpg", "a/b.jpg", "C:\\x\\b.jpg", "..jpg"])
def test_a_path_in_the_file_name_is_refused(client, delivery, uploads, name):
    r = _upload(client, delivery, "photo", JPEG, name)
    assert r.status_code == 400, r.json
    assert list(r.json["errors"]["files"]) == ["photo"]


def test_a_nul_byte_in_the_file_name_is_refused():
    with pytest.raises(BadRequest) as caught:
        proofs.check_filename("signature", "sig\x00.png")
    assert list(caught.value.fields["files"]) == ["signature"]


def test_an_upload_needs_exactly_one_image(client, delivery, uploads):
    r = _upload(client, delivery, "photo", JPEG, "a.jpg", ("signature", "b.png", PNG))
    assert r.status_code == 422
    assert _upload(client, delivery, "selfie", JPEG, "a.jpg").status_code == 422


# --- ownership -------------------------------------------------------------------------------


def test_a_courier_sees_only_their_own_routes(client, delivery, fleet):
    mine = client.get("/api/v1/courier/today", headers=delivery["headers"]).json
    theirs = client.get("/api/v1/courier/today", headers=delivery["other"]).json
    my_stops = {s["id"] for r in mine["routes"] for s in r["stops"]}
    their_stops = {s["id"] for r in theirs["routes"] for s in r["stops"]}
    assert delivery["pickup"]["id"] in my_stops and not my_stops & their_stops


def test_a_courier_cannot_read_or_change_another_couriers_stops(client, delivery, db_session):
    other, code = delivery["other"], {"booking_code": delivery["booking"]["code"]}
    for stop in (delivery["pickup"], delivery["delivery"]):
        assert stop_action(client, stop["id"], "arrived", other).status_code == 404
        assert stop_action(client, stop["id"], "complete", other, json=code).status_code == 404
        assert stop_action(
            client, stop["id"], "fail", other, json={"reason": "refused"}
        ).status_code == (404)
        assert db_session.get(PlanStop, stop["id"]).status.value == "pending"
    assert stop_action(client, 999_999, "arrived", other).status_code == 404


def test_residents_merchants_and_dispatchers_are_not_couriers(client, auth_headers, delivery):
    stop = delivery["pickup"]["id"]
    for role in ("customer", "merchant", "dispatcher"):
        headers = auth_headers(role)
        assert client.get("/api/v1/courier/today", headers=headers).status_code == 403
        assert stop_action(client, stop, "arrived", headers).status_code == 403
    assert client.get("/api/v1/courier/today").status_code == 401


def test_stops_of_a_draft_plan_are_not_the_couriers_yet(
    client, auth_headers, fleet, book, offers, make_user, db_session
):
    book(make_user("customer"), offers["product"])
    dispatcher = auth_headers("dispatcher")
    plan_id = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    route = client.get(f"/api/v1/plans/{plan_id}", headers=dispatcher).json["routes"][0]
    courier = auth_headers(db_session.get(User, route["courier_id"]))
    assert client.get("/api/v1/courier/today", headers=courier).json["routes"] == []
    assert stop_action(client, route["stops"][0]["id"], "arrived", courier).status_code == 404


def test_the_pin_shows_only_on_point_and_locker_handovers(client, delivery):
    today = client.get("/api/v1/courier/today", headers=delivery["headers"]).json
    stops = [s for r in today["routes"] for s in r["stops"]]
    assert all(s["pin"] is None for s in stops)
    door = next(s for s in stops if s["id"] == delivery["delivery"]["id"])
    shop = next(s for s in stops if s["id"] == delivery["pickup"]["id"])
    assert door["contact_name"] and door["place_kind"] == "resident"
    assert shop["contact_name"] is None and shop["place_kind"] == "shop"
