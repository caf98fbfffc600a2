"""Bookings through the API: legs, hub split, capacity, the merchant side, hotline, Points
and lockers, calendar export and the outbox."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from louise.bookings.models import (
    Booking,
    BookingStatus,
    CapacityCounter,
    LegStatus,
    OutboxMessage,
)
from tests.support.bookings import HOME, MONDAY, local

TUESDAY = MONDAY + timedelta(days=1)


def _legs(body):
    return [
        (
            leg["purpose"],
            leg["origin"]["kind"],
            leg["destination"]["kind"],
            leg["day"],
            leg["tentative"],
        )
        for leg in body["legs"]
    ]


def test_product_booking_is_one_leg_from_shop_to_door_in_the_evening(book, offers, make_user):
    r = book(make_user("customer"), offers["product"])
    assert r.status_code == 201, r.json
    assert r.json["status"] == "confirmed"
    assert _legs(r.json) == [("deliver", "shop", "resident", "2026-11-23", False)]
    leg = r.json["legs"][0]
    # Delivered in the evening wave 17:30–20:00 Berlin (UTC+1 in November).
    assert leg["delivery_window"] == {
        "start": "2026-11-23T16:30:00Z",
        "end": "2026-11-23T19:00:00Z",
    }
    # Handed over by the shop while it is open (09:00–19:30), before the window ends.
    assert leg["pickup_window"]["end"] <= "2026-11-23T18:30:00Z"


def test_service_is_a_round_trip_with_a_tentative_return(book, offers, make_user):
    r = book(make_user("customer"), offers["service"])
    assert r.status_code == 201, r.json
    assert _legs(r.json) == [
        ("collect", "resident", "shop", "2026-11-23", False),
        ("return", "shop", "resident", "2026-11-26", True),  # + 3 days turnaround
    ]
    assert r.json["return_due"] == "2026-11-26"


def test_collection_is_one_leg_from_door_to_shop(book, offers, make_user):
    r = book(make_user("customer"), offers["collection"])
    assert _legs(r.json) == [("collect", "resident", "shop", "2026-11-23", False)]


def test_closed_shop_sends_the_leg_through_the_hub(book, make_merchant, make_offer, make_user):
    early = make_merchant(hours={d: [(time(9), time(17))] for d in range(6)})
    offer = make_offer(early, kind="collection")
    r = book(make_user("customer"), offer)
    assert r.status_code == 201, r.json
    assert _legs(r.json) == [
        ("collect", "resident", "hub", "2026-11-23", False),
        ("collect", "hub", "shop", "2026-11-24", False),
    ]
    to_shop = r.json["legs"][1]
    assert to_shop["delivery_window"]["start"] == "2026-11-24T08:00:00Z"  # opens 09:00


def test_hub_transfer_is_never_planned_in_the_past(book, make_merchant, make_offer, make_user, now):
    morning = make_merchant(hours={d: [(time(8), time(12))] for d in range(6)})
    offer = make_offer(morning, kind="product")
    now(local(MONDAY, 11, 0))
    r = book(make_user("customer"), offer)
    assert r.status_code == 201, r.json
    to_hub = r.json["legs"][0]
    assert to_hub["pickup_window"]["start"] >= "2026-11-23T10:00:00Z"  # 11:00 local
    now(local(MONDAY, 12, 30))  # the shop has closed for today
    late = book(make_user("customer"), offer)
    assert late.status_code == 422 and "window" in late.json["errors"]["json"]


def test_product_from_a_shop_closed_in_the_evening_goes_to_the_hub_first(
    book, make_merchant, make_offer, make_user
):
    early = make_merchant(hours={d: [(time(8), time(12))] for d in range(6)})
    offer = make_offer(early, kind="product")
    r = book(make_user("customer"), offer)
    assert r.status_code == 201, r.json
    assert _legs(r.json) == [
        ("deliver", "shop", "hub", "2026-11-23", False),
        ("deliver", "hub", "resident", "2026-11-23", False),
    ]


def test_round_trip_return_over_a_weekend_moves_to_monday(book, offers, make_user, now):
    now(local(date(2026, 12, 3), 9))  # Thursday
    r = book(make_user("customer"), offers["service"], day=date(2026, 12, 4), window="day-09")
    assert r.status_code == 201, r.json
    # Friday + 3 days = Monday 7 December (Sunday skipped along the way is fine: it's Monday)
    assert r.json["return_due"] == "2026-12-07"


def test_round_trip_return_over_christmas(book, make_merchant, make_offer, make_user, now):
    laundry = make_merchant(category="laundry")
    wash = make_offer(laundry, kind="service", turnaround_days=2)
    now(local(date(2026, 12, 22), 9))
    r = book(make_user("customer"), wash, day=date(2026, 12, 23), window="day-09")
    assert r.status_code == 201, r.json
    assert r.json["return_due"] == "2026-12-28"


def test_slots_list_windows_with_remaining_capacity_and_a_live_promise(client, offers, now):
    now(local(MONDAY, 11, 47))
    r = client.get(
        "/api/v1/slots",
        query_string={
            "date": MONDAY.isoformat(),
            "lat": HOME["lat"],
            "lon": HOME["lon"],
            "offer_id": offers["product"].id,
            "lang": "en",
        },
    )
    assert r.status_code == 200, r.json
    slots = {s["window"]: s for s in r.json["slots"]}
    assert slots["evening"]["bookable"] is True
    assert slots["evening"]["promise"] == "order within 2 h 13 min for delivery today from 17:30"
    assert slots["evening"]["remaining"] > 0
    assert slots["day-09"]["bookable"] is False and slots["day-09"]["reason"] == "past_cutoff"


def test_slots_after_cutoff_offer_no_evening(client, now):
    now(local(MONDAY, 14, 0))
    r = client.get("/api/v1/slots", query_string={"date": MONDAY.isoformat(), **HOME})
    evening = next(s for s in r.json["slots"] if s["window"] == "evening")
    assert evening["bookable"] is False and evening["reason"] == "past_cutoff"


def test_full_window_refuses_the_next_booking_and_shows_no_capacity(
    book, offers, make_user, auth_headers, client
):
    r = client.put(
        f"/api/v1/capacity/{MONDAY.isoformat()}/evening",
        json={"capacity": 1},
        headers=auth_headers("dispatcher"),
    )
    assert r.status_code == 200 and r.json["capacity"] == 1
    assert book(make_user("customer"), offers["product"]).status_code == 201
    second = book(make_user("customer"), offers["product"])
    assert second.status_code == 409 and second.json["error"] == "slot_full"
    slots = client.get("/api/v1/slots", query_string={"date": MONDAY.isoformat(), **HOME}).json
    evening = next(s for s in slots["slots"] if s["window"] == "evening")
    assert evening["remaining"] == 0 and evening["bookable"] is False


def test_capacity_cannot_be_set_below_what_is_booked(book, offers, make_user, auth_headers, client):
    assert book(make_user("customer"), offers["product"]).status_code == 201
    r = client.put(
        f"/api/v1/capacity/{MONDAY.isoformat()}/evening",
        json={"capacity": 0},
        headers=auth_headers("dispatcher"),
    )
    assert r.status_code == 409


def test_window_capacity_derives_from_shifts(book, offers, make_user, db_session, client):
    from datetime import datetime

    from louise.fleet.models import Shift, Vehicle, VehicleKind

    bike = Vehicle(
        name="Bike 1", kind=VehicleKind.BIKE, capacity_l=200, capacity_kg=100, speed_kmh=15
    )
    courier = make_user("courier")
    db_session.add(bike)
    db_session.flush()
    db_session.add(
        Shift(
            day=MONDAY,
            courier_id=courier.id,
            vehicle_id=bike.id,
            starts_at=local(MONDAY, 17, 30),
            ends_at=local(MONDAY, 19, 0),
        )
    )
    db_session.commit()
    slots = client.get("/api/v1/slots", query_string={"date": MONDAY.isoformat(), **HOME}).json
    evening = next(s for s in slots["slots"] if s["window"] == "evening")
    assert evening["remaining"] == 6  # 1.5 courier-hours × 4 stops per vehicle-hour
    del datetime


def test_cancel_frees_the_place(book, offers, make_user, auth_headers, client, db_session):
    client.put(
        f"/api/v1/capacity/{MONDAY.isoformat()}/evening",
        json={"capacity": 1},
        headers=auth_headers("dispatcher"),
    )
    alice = make_user("customer")
    first = book(alice, offers["product"]).json
    r = client.post(
        f"/api/v1/bookings/{first['id']}/cancel",
        json={"reason": "changed my mind"},
        headers=auth_headers(alice),
    )
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert {leg["status"] for leg in r.json["legs"]} == {"cancelled"}
    assert book(make_user("customer"), offers["product"]).status_code == 201
    counter = db_session.scalar(select(CapacityCounter).where(CapacityCounter.scope == "window"))
    db_session.refresh(counter)
    assert (counter.used, counter.capacity) == (1, 1)


def test_reschedule_moves_the_place_to_the_new_window(
    book, offers, make_user, auth_headers, client, db_session
):
    alice = make_user("customer")
    created = book(alice, offers["product"]).json
    r = client.post(
        f"/api/v1/bookings/{created['id']}/reschedule",
        json={"date": TUESDAY.isoformat(), "window": "day-11"},
        headers=auth_headers(alice),
    )
    assert r.status_code == 200, r.json
    live = [leg for leg in r.json["legs"] if leg["status"] != "cancelled"]
    assert [(leg["day"], leg["window"]) for leg in live] == [("2026-11-24", "day-11")]
    used = {
        (c.day.isoformat(), c.key): c.used
        for c in db_session.scalars(
            select(CapacityCounter).where(CapacityCounter.scope == "window")
        )
    }
    assert used == {("2026-11-23", "evening"): 0, ("2026-11-24", "day-11"): 1}


def test_a_finished_booking_is_refused_as_finished_even_with_a_locked_failed_leg(
    book, offers, make_user, auth_headers, client, db_session
):
    """A completed booking whose earlier attempt failed on a published route: the resident
    is told it can no longer be cancelled, not that it is on a courier's route."""
    alice = make_user("customer")
    created = book(alice, offers["service"]).json  # to the shop and back: two legs or more
    booking = db_session.get(Booking, created["id"])
    assert len(booking.legs) >= 2
    booking.status = BookingStatus.COMPLETED
    for leg in booking.legs:
        leg.status = LegStatus.FAILED
        leg.locked = True
    booking.legs[-1].status = LegStatus.DELIVERED
    db_session.commit()
    r = client.post(
        f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=auth_headers(alice)
    )
    assert r.status_code == 409 and r.json["error"] == "booking_not_cancellable", r.json


def test_locked_leg_cannot_be_changed_by_the_resident_but_by_a_dispatcher(
    book, offers, make_user, auth_headers, client, db_session
):
    alice = make_user("customer")
    created = book(alice, offers["product"]).json
    booking = db_session.get(Booking, created["id"])
    for leg in booking.legs:
        leg.locked = True
    db_session.commit()
    r = client.post(
        f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=auth_headers(alice)
    )
    assert r.status_code == 403 and r.json["error"] == "leg_locked"
    r = client.post(
        f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=auth_headers("dispatcher")
    )
    assert r.status_code == 200


def test_resident_limit_of_open_bookings_per_day(book, offers, make_user):
    alice = make_user("customer")
    for _ in range(3):
        assert book(alice, offers["product"]).status_code == 201
    fourth = book(alice, offers["product"])
    assert fourth.status_code == 409 and fourth.json["error"] == "too_many_open_bookings"


def test_merchant_daily_processing_capacity(book, shop, make_offer, make_user):
    repair = make_offer(shop, kind="service", daily_capacity=1)
    assert book(make_user("customer"), repair).status_code == 201
    second = book(make_user("customer"), repair)
    assert second.status_code == 409 and second.json["error"] == "merchant_capacity_full"


def test_merchant_receives_marks_ready_and_the_return_is_scheduled(
    book, offers, shop, make_user, auth_headers, client, now, db_session
):
    alice = make_user("customer")
    created = book(alice, offers["service"]).json
    merchant = auth_headers(shop.owner)
    items = client.get(
        "/api/v1/merchant/items", query_string={"date": MONDAY.isoformat()}, headers=merchant
    )
    assert [i["booking_code"] for i in items.json["incoming"]] == [created["code"]]
    r = client.post(f"/api/v1/bookings/{created['id']}/receive", headers=merchant)
    assert r.status_code == 200 and r.json["status"] == "at_shop"
    now(local(date(2026, 11, 25), 10))  # Wednesday: done a day early
    r = client.post(f"/api/v1/bookings/{created['id']}/ready", headers=merchant)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "ready"
    live = [
        leg for leg in r.json["legs"] if leg["purpose"] == "return" and leg["status"] == "scheduled"
    ]
    assert [(leg["day"], leg["window"], leg["tentative"]) for leg in live] == [
        ("2026-11-26", "evening", False)
    ]
    outgoing = client.get(
        "/api/v1/merchant/items", query_string={"date": "2026-11-26"}, headers=merchant
    )
    assert [i["booking_code"] for i in outgoing.json["outgoing"]] == [created["code"]]
    templates = [
        m.template
        for m in db_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.booking_id == created["id"])
            .order_by(OutboxMessage.id)
        )
    ]
    assert templates == ["confirmation", "item_ready"]
    # The resident may still move the return.
    moved = client.post(
        f"/api/v1/bookings/{created['id']}/reschedule",
        json={"legs": "return", "date": "2026-11-27", "window": "day-09"},
        headers=auth_headers(alice),
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["return_due"] == "2026-11-27"


def test_receiving_twice_changes_nothing_and_after_ready_says_why(
    book, offers, shop, make_user, auth_headers, client, now
):
    repair = book(make_user("customer"), offers["service"]).json
    collection = book(make_user("customer"), offers["collection"]).json
    merchant = auth_headers(shop.owner)
    for created, status in ((repair, "at_shop"), (collection, "completed")):
        first = client.post(f"/api/v1/bookings/{created['id']}/receive", headers=merchant)
        assert first.status_code == 200 and first.json["status"] == status
        # a double tap in the shop: the same answer, not a lifecycle error
        again = client.post(f"/api/v1/bookings/{created['id']}/receive", headers=merchant)
        assert again.status_code == 200 and again.json["status"] == status
        history = client.get(f"/api/v1/bookings/{created['id']}/history", headers=merchant)
        assert [h["to_status"] for h in history.json["items"]].count("at_shop") == 1
    now(local(date(2026, 11, 25), 10))
    assert (
        client.post(f"/api/v1/bookings/{repair['id']}/ready", headers=merchant).status_code == 200
    )
    late = client.post(f"/api/v1/bookings/{repair['id']}/receive", headers=merchant)
    assert late.status_code == 409
    assert (
        late.json["message"] == f"Booking {repair['code']} was received already; it is ready now."
    )


def test_merchant_rejects_with_a_reason_and_the_resident_is_told(
    book, offers, shop, make_user, auth_headers, client, db_session
):
    created = book(make_user("customer"), offers["product"]).json
    r = client.post(
        f"/api/v1/bookings/{created['id']}/reject",
        json={"reason": "sold out"},
        headers=auth_headers(shop.owner),
    )
    assert (
        r.status_code == 200
        and r.json["status"] == "cancelled"
        and r.json["cancel_reason"] == "sold out"
    )
    message = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "cancelled")
    ).one()
    assert message.context["reason"] == "sold out"
    missing = client.post(
        f"/api/v1/bookings/{created['id']}/reject", json={}, headers=auth_headers(shop.owner)
    )
    assert missing.status_code == 422 and "reason" in missing.json["errors"]["json"]


def test_hotline_books_for_a_customer_without_login(book, offers, auth_headers, client, db_session):
    dispatcher = auth_headers("dispatcher")
    r = book(
        dispatcher, offers["service"], customer={"name": "Frau Schmidt", "phone": "+49 2041 555"}
    )
    assert r.status_code == 201, r.json
    assert r.json["channel"] == "hotline"
    booking = db_session.get(Booking, r.json["id"])
    assert booking.customer.email is None and booking.customer.password_hash is None
    assert booking.contact_phone == "+49 2041 555"


def test_hotline_needs_the_customer(book, offers, auth_headers):
    r = book(auth_headers("dispatcher"), offers["product"])
    assert r.status_code == 422 and "customer" in r.json["errors"]["json"]


def test_residents_cannot_book_for_others(book, offers, make_user):
    other = make_user("customer")
    r = book(make_user("customer"), offers["product"], customer_id=other.id)
    assert r.status_code == 403


@pytest.fixture()
def locker(make_locker):
    return make_locker(S=1)


@pytest.fixture()
def kiosk(make_kiosk):
    return make_kiosk(1)


def test_locker_delivery_issues_a_six_digit_pin_for_the_resident_only(
    book, offers, make_user, auth_headers, client, locker, shop
):
    alice = make_user("customer")
    r = book(alice, offers["product"], destination="locker", point_id=locker.id)
    assert r.status_code == 201, r.json
    pin = r.json["pickup_pin"]
    assert pin is not None and len(pin) == 6 and pin.isdigit()
    assert r.json["legs"][-1]["destination"]["kind"] == "locker"
    for other in (auth_headers(shop.owner), auth_headers("dispatcher")):
        seen = client.get(f"/api/v1/bookings/{r.json['id']}", headers=other)
        assert seen.status_code == 200 and seen.json["pickup_pin"] is None


def test_full_locker_is_not_offered_and_cannot_be_booked(book, offers, make_user, client, locker):
    assert (
        book(
            make_user("customer"), offers["product"], destination="locker", point_id=locker.id
        ).status_code
        == 201
    )
    listed = client.get("/api/v1/points", query_string={"date": MONDAY.isoformat(), "size": "S"})
    assert locker.id not in [p["id"] for p in listed.json["items"]]
    full = book(make_user("customer"), offers["product"], destination="locker", point_id=locker.id)
    assert full.status_code == 409 and full.json["error"] == "point_full"


def test_full_point_is_refused(book, offers, make_user, kiosk):
    assert (
        book(
            make_user("customer"), offers["product"], destination="point", point_id=kiosk.id
        ).status_code
        == 201
    )
    full = book(make_user("customer"), offers["product"], destination="point", point_id=kiosk.id)
    assert full.status_code == 409 and full.json["error"] == "point_full"


def test_calendar_export(book, offers, make_user, auth_headers, client):
    alice = make_user("customer")
    created = book(alice, offers["service"]).json
    r = client.get(f"/api/v1/bookings/{created['id']}/calendar.ics", headers=auth_headers(alice))
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    text = r.get_data(as_text=True)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 2
    assert "DTSTART:20261123T163000Z" in text and "STATUS:TENTATIVE" in text


def test_every_status_change_is_in_the_history_with_actor(
    book, offers, make_user, auth_headers, client
):
    alice = make_user("customer")
    created = book(alice, offers["product"]).json
    client.post(f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=auth_headers(alice))
    history = client.get(
        f"/api/v1/bookings/{created['id']}/history", headers=auth_headers(alice)
    ).json["items"]
    booking_changes = [
        (h["from_status"], h["to_status"], h["actor_role"]) for h in history if h["leg_id"] is None
    ]
    assert booking_changes == [
        (None, "requested", "customer"),
        ("requested", "confirmed", "customer"),
        ("confirmed", "cancelled", "customer"),
    ]
    assert any(h["leg_id"] and h["to_status"] == "cancelled" for h in history)


def test_confirmation_is_written_to_the_outbox_in_the_same_transaction(
    book, offers, make_user, db_session
):
    created = book(make_user("customer"), offers["product"]).json
    messages = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.booking_id == created["id"])
    ).all()
    assert [m.template for m in messages] == ["confirmation"]
    assert messages[0].context["code"] == created["code"]
