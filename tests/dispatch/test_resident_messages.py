"""What residents are told when a plan is published and when a door delivery fails: once per
window, in the words of the leg (collection or delivery) and the day, and with the same time
the tracking link and the courier's sheet give."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

from louise.bookings.models import Booking, OutboxMessage
from louise.bookings.sender import build_email
from louise.dispatch.models import PlanStop
from louise.fleet.models import Shift
from tests.support.courier import TUESDAY, picked_up, stop_action
from tests.support.dispatch import HOMES, MONDAY, local

FROM = "LOUISE Bottrop <noreply@louise.invalid>"
BERLIN_TIME = "%H:%M"


def _outbox(db_session: Any) -> list[OutboxMessage]:
    db_session.expire_all()
    return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _count(db_session: Any) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(OutboxMessage))


def _plan(client: Any, headers: dict[str, str], day: date) -> dict[str, Any]:
    r = client.post("/api/v1/plans", json={"date": day.isoformat()}, headers=headers)
    assert r.status_code == 202, r.json
    plan = client.get(f"/api/v1/plans/{r.json['id']}", headers=headers).json
    assert plan["status"] == "draft" and plan["unassigned"] == [], plan
    return plan


def _publish(client: Any, headers: dict[str, str], plan: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=headers)
    assert r.status_code == 200, r.json
    return r.json


def _text(message: OutboxMessage, sent_at: datetime) -> tuple[str, str]:
    mail: EmailMessage = build_email(message, FROM, sent_at)
    return str(mail["Subject"]), mail.get_content()


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(local(MONDAY, 0).tzinfo).strftime(BERLIN_TIME)


# --- bug 6: publishing again -------------------------------------------------------------------


def test_publishing_an_unchanged_replan_tells_nobody_again(
    client, auth_headers, fleet, day_bookings, db_session
):
    dispatcher = auth_headers("dispatcher")
    before = _count(db_session)
    _publish(client, dispatcher, _plan(client, dispatcher, MONDAY))
    assert _count(db_session) == before + len(day_bookings)  # one message per resident

    told = _count(db_session)
    _publish(client, dispatcher, _plan(client, dispatcher, MONDAY))
    assert _count(db_session) == told


def test_a_replan_that_moves_one_window_tells_only_that_resident(
    client, auth_headers, fleet, day_bookings, db_session
):
    dispatcher = auth_headers("dispatcher")
    _publish(client, dispatcher, _plan(client, dispatcher, MONDAY))
    told = _count(db_session)

    second = _plan(client, dispatcher, MONDAY)
    product = next(b for b in day_bookings if b["kind"] == "product")
    leg_id = product["legs"][0]["id"]
    delivery = next(
        s
        for route in second["routes"]
        for s in route["stops"]
        if s["leg_id"] == leg_id and s["type"] == "delivery"
    )
    # The solver put this delivery 40 minutes later in the new draft.
    stop = db_session.get(PlanStop, delivery["id"])
    stop.eta = stop.eta + timedelta(minutes=40)
    db_session.commit()
    new_eta = stop.eta

    _publish(client, dispatcher, second)
    messages = _outbox(db_session)
    assert len(messages) == told + 1
    (news,) = messages[told:]
    assert news.booking_id == product["id"]
    _subject, body = _text(news, local(MONDAY, 14, 5))
    window = (
        f"{_hhmm(new_eta - timedelta(minutes=15))} und {_hhmm(new_eta + timedelta(minutes=15))}"
    )
    assert f"heute zwischen {window} Uhr" in body, body


# --- bug 7: the words of the leg and the day ----------------------------------------------------


@pytest.fixture()
def tuesday_fleet(fleet, db_session) -> list[Shift]:
    shifts = []
    for shift in fleet:
        copy = Shift(
            day=TUESDAY,
            courier_id=shift.courier_id,
            vehicle_id=shift.vehicle_id,
            starts_at=local(TUESDAY, 8),
            ends_at=local(TUESDAY, 21),
            breaks=[],
        )
        db_session.add(copy)
        shifts.append(copy)
    db_session.commit()
    return shifts


@pytest.fixture()
def tuesday(client, auth_headers, tuesday_fleet, book, offers, make_user, db_session):
    """Booked on Monday 10:00 for Tuesday evening, and Tuesday's plan published on Monday."""
    residents = {
        "collection_de": make_user("customer", name="Erika Muster"),
        "collection_en": make_user("customer", name="Ann Smith", locale="en"),
        "product_de": make_user("customer", name="Karl Kowalski"),
        "product_en": make_user("customer", name="Bob Brown", locale="en"),
    }
    bookings = {}
    for n, (key, who) in enumerate(residents.items()):
        kind = key.split("_")[0]
        lat, lon = HOMES[n]
        r = book(who, offers[kind], day=TUESDAY, address={"lat": lat, "lon": lon})
        assert r.status_code == 201, r.json
        bookings[key] = r.json
    dispatcher = auth_headers("dispatcher")
    plan = _publish(client, dispatcher, _plan(client, dispatcher, TUESDAY))
    etas = {
        (s["leg_id"], s["type"]): datetime.fromisoformat(s["eta"])
        for route in plan["routes"]
        for s in route["stops"]
        if s["leg_id"]
    }
    told = {}
    for key, booking in bookings.items():
        mine = [
            m
            for m in _outbox(db_session)
            if m.booking_id == booking["id"] and m.template != "confirmation"
        ]
        (message,) = mine
        told[key] = message
    return {"bookings": bookings, "messages": told, "etas": etas}


def _window_of(tuesday: dict[str, Any], key: str, stop_type: str) -> tuple[str, str]:
    booking = tuesday["bookings"][key]
    eta = next(
        tuesday["etas"][(leg["id"], stop_type)]
        for leg in booking["legs"]
        if (leg["id"], stop_type) in tuesday["etas"]
    )
    return _hhmm(eta - timedelta(minutes=15)), _hhmm(eta + timedelta(minutes=15))


MONDAY_EVENING = local(MONDAY, 14, 5)


def test_a_collection_tomorrow_is_a_collection_tomorrow_not_a_parcel_on_its_way(tuesday):
    start, end = _window_of(tuesday, "collection_de", "pickup")
    code = tuesday["bookings"]["collection_de"]["code"]
    subject, body = _text(tuesday["messages"]["collection_de"], MONDAY_EVENING)
    assert subject == f"Abholung morgen: {code}"
    assert f"morgen zwischen {start} und {end} Uhr bei Ihnen ab" in body, body
    assert "unterwegs" not in subject + body and "Sendung" not in body

    subject, body = _text(tuesday["messages"]["collection_en"], MONDAY_EVENING)
    start, end = _window_of(tuesday, "collection_en", "pickup")
    assert subject == f"Collection tomorrow: {tuesday['bookings']['collection_en']['code']}"
    assert "collect your item" in body and f"tomorrow between {start} and {end}" in body, body
    assert "on its way" not in subject + body and "deliver" not in body


def test_a_delivery_tomorrow_says_tomorrow_and_not_on_its_way(tuesday):
    start, end = _window_of(tuesday, "product_de", "delivery")
    code = tuesday["bookings"]["product_de"]["code"]
    subject, body = _text(tuesday["messages"]["product_de"], MONDAY_EVENING)
    assert subject == f"Lieferung morgen: {code}"
    assert f"bringen Ihre Sendung {code}" in body
    assert f"morgen zwischen {start} und {end} Uhr zu Ihnen" in body, body
    assert "unterwegs" not in subject + body

    start, end = _window_of(tuesday, "product_en", "delivery")
    subject, body = _text(tuesday["messages"]["product_en"], MONDAY_EVENING)
    assert subject == f"Delivery tomorrow: {tuesday['bookings']['product_en']['code']}"
    assert f"tomorrow between {start} and {end}" in body and "on its way" not in body


def test_the_day_is_judged_in_berlin_when_the_mail_is_sent(tuesday):
    message = tuesday["messages"]["collection_de"]
    code = tuesday["bookings"]["collection_de"]["code"]
    # 23:30 UTC on Monday is 00:30 on Tuesday in Bottrop: the collection is today.
    assert (
        _text(message, datetime(2026, 11, 23, 23, 30, tzinfo=UTC))[0] == f"Abholung heute: {code}"
    )
    assert _text(message, local(MONDAY, 23, 30))[0] == f"Abholung morgen: {code}"
    sunday = local(MONDAY - timedelta(days=1), 12)
    subject, body = _text(message, sunday)
    assert subject == f"Abholung am Dienstag, 24.11.2026: {code}"
    assert "am Dienstag, 24.11.2026, zwischen" in body
    english = tuesday["messages"]["collection_en"]
    assert "on Tuesday, 24 November 2026, between" in _text(english, sunday)[1]


# --- bug 8: the fallback's time ------------------------------------------------------------


def test_the_fallback_mail_gives_the_window_of_the_tracking_link_and_the_sheet(
    client, day_bookings, delivery, kiosks, db_session, now
):
    # day_bookings first: the failed delivery is followed by other stops on the route.
    failed_at = local(MONDAY, 17, 40)
    now(failed_at)
    picked_up(client, delivery)
    r = stop_action(
        client,
        delivery["delivery"]["id"],
        "fail",
        delivery["headers"],
        json={"reason": "not_at_home"},
    )
    assert r.status_code == 200, r.json
    assert r.json["fallback"]["same_wave"] is True

    booking = db_session.get(Booking, delivery["booking"]["id"])
    track = client.get(f"/api/v1/track/{booking.tracking_token}").json["next"]
    assert track["type"] == "delivery" and track["planned"] is True
    start = _hhmm(datetime.fromisoformat(track["eta_window"]["start"]))
    end = _hhmm(datetime.fromisoformat(track["eta_window"]["end"]))

    sheet = client.get(
        f"/api/v1/courier/routes/{delivery['route']['id']}/sheet.html", headers=delivery["headers"]
    )
    assert sheet.status_code == 200
    assert f"{start}–{end}" in sheet.get_data(as_text=True)

    (message,) = [
        m
        for m in _outbox(db_session)
        if m.booking_id == booking.id and m.template == "failed_attempt"
    ]
    _subject, body = _text(message, failed_at + timedelta(minutes=1))
    assert f"heute zwischen {start} und {end} Uhr" in body, body
    assert booking.pickup_pin in body and "Trinkhalle Süd" in body
    assert not re.search(r"\bab \d\d:\d\d", body), body
