"""End to end: bookings → plan → publish → couriers complete every stop → the shop marks the
repairs ready → the return day is planned and completed. Every booking ends where it should,
and the residents' messages are in the outbox."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from louise.auth.models import User
from louise.bookings.models import (
    Booking,
    DeliveryPoint,
    DestinationType,
    Leg,
    LegPurpose,
    LegStatus,
    OutboxMessage,
)
from louise.fleet.models import Shift
from tests.support.dispatch import MONDAY, local

THURSDAY = date(2026, 11, 26)  # Monday + the service's 3 turnaround days


def plan_and_publish(client, headers, day: date) -> dict:
    r = client.post("/api/v1/plans", json={"date": day.isoformat()}, headers=headers)
    assert r.status_code == 202, r.json
    plan = client.get(f"/api/v1/plans/{r.json['id']}", headers=headers).json
    assert plan["status"] == "draft" and plan["unassigned"] == [], plan
    published = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=headers)
    assert published.status_code == 200, published.json
    return published.json


def walk_routes(client, headers, clock_at: datetime, move) -> tuple[datetime, int]:
    """Complete the courier's stops in order, the clock following the ETAs."""
    done = 0
    while True:
        day = client.get("/api/v1/courier/today", headers=headers)
        assert day.status_code == 200, day.json
        pending = [
            s for route in day.json["routes"] for s in route["stops"] if s["status"] == "pending"
        ]
        if not pending:
            return clock_at, done
        stop = pending[0]
        clock_at = max(clock_at, datetime.fromisoformat(stop["eta"]))
        move(clock_at)
        if stop["pin"]:
            proof = {"pin": stop["pin"]}
        elif stop["booking_code"]:
            proof = {"booking_code": stop["booking_code"]}
        else:
            proof = {}
        r = client.post(f"/api/v1/courier/stops/{stop['id']}/complete", json=proof, headers=headers)
        assert r.status_code == 200, r.json
        assert r.json["status"] == "completed"
        done += 1
        clock_at += timedelta(minutes=1)


def test_a_day_and_its_return_day_end_to_end(
    client, auth_headers, fleet, day_bookings, book, offers, shop, now, make_user, db_session
):
    dispatcher = auth_headers("dispatcher")
    locker = DeliveryPoint(
        kind=DestinationType.LOCKER,
        name="Packstation Hauptbahnhof",
        address_label="Bahnhofstraße 1, 46236 Bottrop",
        lat=51.5189,
        lon=6.9300,
        compartments={"S": 4, "M": 2},
    )
    db_session.add(locker)
    db_session.commit()
    to_locker = book(
        make_user("customer"), offers["product"], destination="locker", point_id=locker.id
    )
    assert to_locker.status_code == 201, to_locker.json
    bookings = [*day_bookings, to_locker.json]

    plan_and_publish(client, dispatcher, MONDAY)
    couriers = [db_session.get(User, shift.courier_id) for shift in fleet]
    clock_at = local(MONDAY, 17, 0)
    completed = 0
    for courier in couriers:
        _, done = walk_routes(client, auth_headers(courier), clock_at, now)
        completed += done
    assert completed >= 2 * len(bookings)  # every leg's pickup and delivery, plus depots

    by_id = {b["id"]: db_session.get(Booking, b["id"]) for b in bookings}
    for booking in by_id.values():
        db_session.refresh(booking)
        monday = [leg for leg in booking.legs if leg.day == MONDAY]
        assert all(leg.status == LegStatus.DELIVERED for leg in monday), booking.code
        if booking.kind == "product":
            assert booking.status.value == "completed", booking.code
        elif booking.kind == "service":
            assert booking.status.value == "at_shop", booking.code
            returns = [leg for leg in booking.legs if leg.purpose == LegPurpose.RETURN]
            assert returns and all(
                leg.tentative and leg.status == LegStatus.SCHEDULED for leg in returns
            )
        else:
            assert booking.kind == "collection"
            assert booking.status.value == "at_shop", booking.code

    # The shop finishes the repairs; the returns are planned on Thursday evening.
    merchant = auth_headers(shop.owner)
    services = [b for b in by_id.values() if b.kind == "service"]
    for booking in services:
        r = client.post(f"/api/v1/bookings/{booking.id}/ready", headers=merchant)
        assert r.status_code == 200, r.json
        assert r.json["status"] == "ready"
    for shift in fleet:
        db_session.add(
            Shift(
                day=THURSDAY,
                courier_id=shift.courier_id,
                vehicle_id=shift.vehicle_id,
                starts_at=local(THURSDAY, 8),
                ends_at=local(THURSDAY, 21),
                breaks=[],
            )
        )
    db_session.commit()
    now(local(THURSDAY, 9))
    plan_and_publish(client, dispatcher, THURSDAY)
    for courier in couriers:
        walk_routes(client, auth_headers(courier), local(THURSDAY, 17), now)

    for booking in services:
        db_session.refresh(booking)
        assert booking.status.value == "completed", booking.code
        delivered_returns = [
            leg
            for leg in booking.legs
            if leg.purpose == LegPurpose.RETURN and leg.status == LegStatus.DELIVERED
        ]
        assert [leg.day for leg in delivered_returns] == [THURSDAY]
    assert db_session.scalars(select(Leg).where(Leg.status == LegStatus.PICKED_UP)).all() == []

    messages: dict[int, list[OutboxMessage]] = {}
    for message in db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        messages.setdefault(message.booking_id, []).append(message)
    expected = {
        "product": ["confirmation", "delivery_planned", "delivered"],
        "service": [
            "confirmation",
            "collection_planned",
            "item_ready",
            "delivery_planned",
            "delivered",
        ],
        "collection": ["confirmation", "collection_planned"],
    }
    for booking in by_id.values():
        templates = [m.template for m in messages[booking.id]]
        assert templates == expected[booking.kind], (booking.code, templates)
    locker_delivered = messages[to_locker.json["id"]][-1]
    pin = by_id[to_locker.json["id"]].pickup_pin
    assert locker_delivered.context["pin"] == pin and pin in locker_delivered.context["pin_line"]
    assert locker.name in locker_delivered.context["place"]
