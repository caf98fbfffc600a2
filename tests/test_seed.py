"""The Bottrop demo data: loaded through the real services, complete, inside the service area.

A seed takes a few seconds (argon2 hashes, ~40 bookings), so each test seeds once and checks
one area of the demo."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.bookings.models import (
    Booking,
    Channel,
    DeliveryPoint,
    DestinationType,
    Leg,
    LegPurpose,
    OutboxMessage,
)
from louise.bookings.policy import ServicePolicy
from louise.demo.command import format_summary
from louise.demo.data import DemoDataPresent, DemoDayNotBookable
from louise.demo.seed import demo_day, reset_demo_data, seed_demo
from louise.fleet.models import District, Shift, Vehicle
from louise.geo.geocoders import service_area_from_config
from louise.merchants.models import Merchant, Offer

#: Monday 23 November 2026, 10:00 in Bottrop: the demo books Tuesday.
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
#: Saturday 28 November 2026, 16:00: the next service day is Monday (Sunday is closed).
SATURDAY_16 = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)

pytestmark = pytest.mark.slow


def test_demo_shops_offers_places_fleet_and_accounts(app: Flask, db_session: Session) -> None:
    summary = seed_demo(db_session, app.config, MONDAY_10)

    merchants = db_session.scalars(select(Merchant)).all()
    assert len(merchants) >= 8
    categories = {m.category.value for m in merchants}
    assert categories >= {"cobbler", "laundry", "tailor", "bookshop", "bike_shop", "grocery"}
    assert all(m.is_public and m.opening_intervals for m in merchants)

    offers = db_session.scalars(select(Offer)).all()
    assert len(offers) >= 25
    assert {o.kind.value for o in offers} == {"service", "product", "collection"}

    area = service_area_from_config(app.config)
    for merchant in merchants:
        assert area.contains(merchant.lat, merchant.lon), merchant.name
        assert merchant.address.city == "Bottrop" and merchant.address.source == "gazetteer"
    points = db_session.scalars(select(DeliveryPoint)).all()
    assert all(area.contains(p.lat, p.lon) for p in points)
    assert Counter(p.kind for p in points) == {DestinationType.POINT: 3, DestinationType.LOCKER: 2}

    districts = {d.name: d for d in db_session.scalars(select(District))}
    assert {"Kirchhellen", "Feldhausen", "Grafenwald"} <= set(districts)
    for name in ("Kirchhellen", "Feldhausen", "Grafenwald"):
        assert districts[name].vehicle_kinds == ["car"] and districts[name].min_lat >= 51.56
    vehicles = db_session.scalars(select(Vehicle)).all()
    assert Counter(v.kind.value for v in vehicles) == {"bike": 4, "car": 1}
    shifts = db_session.scalars(select(Shift)).all()
    assert {s.day for s in shifts} == {date(2026, 11, 24)}
    assert any(s.ends_at.hour >= 19 for s in shifts)  # the evening wave (UTC)
    assert any(s.starts_at.hour <= 8 for s in shifts)  # daytime (09:00 local = 08:00 UTC)

    roles = Counter(u.role for u in db_session.scalars(select(User)))
    assert roles[Role.ADMIN] == roles[Role.DISPATCHER] == 1
    assert roles[Role.COURIER] >= 2 and roles[Role.MERCHANT] >= 8 and roles[Role.CUSTOMER] >= 15
    assert roles[Role.CITY] == 1
    # a login for every role, the city's read-only one included
    assert {login.role for login in summary.logins} == {r.value for r in Role}
    text = format_summary(summary)
    assert "admin@louise.test" in text and "louise-demo" in text


def test_demo_books_about_forty_for_the_next_service_day(app: Flask, db_session: Session) -> None:
    summary = seed_demo(db_session, app.config, MONDAY_10)
    assert summary.skipped == []
    assert summary.service_day == date(2026, 11, 24)
    bookings = db_session.scalars(select(Booking)).all()
    assert len(bookings) == summary.bookings >= 40
    assert set(Counter(b.kind for b in bookings)) == {"service", "product", "collection"}
    hotline = [b for b in bookings if b.channel == Channel.HOTLINE]
    assert len(hotline) >= 1
    assert hotline[0].customer.email is None and hotline[0].contact_phone
    destinations = Counter(b.destination_type for b in bookings)
    assert all(destinations[d] >= 2 for d in DestinationType), destinations
    legs = db_session.scalars(select(Leg)).all()
    assert min(leg.day for leg in legs) == summary.service_day
    returns = {leg.booking_id for leg in legs if leg.purpose == LegPurpose.RETURN}
    round_trips = {b.id for b in bookings if b.kind == "service"}
    assert round_trips and returns == round_trips

    templates = Counter(m.template for m in db_session.scalars(select(OutboxMessage)))
    assert templates["confirmation"] == summary.bookings
    assert templates["pickup_tomorrow"] == summary.reminders > 0

    with pytest.raises(DemoDataPresent):
        seed_demo(db_session, app.config, MONDAY_10)


def test_seed_on_a_saturday_books_the_monday_and_is_deterministic(
    app: Flask, db_session: Session
) -> None:
    def fingerprint() -> list[tuple[Any, ...]]:
        rows = db_session.scalars(select(Booking).order_by(Booking.id)).all()
        return [
            (
                b.customer.email,
                db_session.get(Offer, b.offer_id).title,  # type: ignore[union-attr]
                b.destination_type.value,
                b.legs[0].window_code,
            )
            for b in rows
        ]

    summary = seed_demo(db_session, app.config, SATURDAY_16)
    assert summary.service_day == date(2026, 11, 30)
    assert summary.skipped == []
    first = fingerprint()
    assert len(first) >= 40

    reset_demo_data(db_session)
    assert db_session.scalars(select(Booking)).first() is None
    seed_demo(db_session, app.config, SATURDAY_16)
    assert fingerprint() == first


# --- the walk: the first printed resident books; a chosen day; the clock --------------------


def _first_printed(summary_text: str, role: str) -> str:
    """The e-mail of the first login of ``role`` in the printed summary."""
    for line in summary_text.splitlines():
        fields = line.split()
        if fields[:1] == [role]:
            return fields[1]
    raise AssertionError(f"no {role} login printed")


def test_the_first_printed_resident_can_book_on_the_demo_day(
    app: Flask, db_session: Session, client: Any, now: Any
) -> None:
    summary = seed_demo(db_session, app.config, MONDAY_10)
    email = _first_printed(format_summary(summary), "customer")
    login = client.post("/api/v1/auth/login", json={"email": email, "password": "louise-demo"})
    assert login.status_code == 200, login.json
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    day = summary.service_day.isoformat()

    offer = client.get("/api/v1/offers?q=Ruhrpott").json["items"][0]
    slots = client.get(
        "/api/v1/slots",
        query_string={"date": day, "offer_id": offer["id"], "lat": 51.5237, "lon": 6.9352},
    ).json["slots"]
    window = next(s["window"] for s in slots if s["bookable"])
    booked = client.post(
        "/api/v1/bookings",
        headers=headers,
        json={
            "offer_id": offer["id"],
            "date": day,
            "window": window,
            "address": {
                "street": "Hansastraße",
                "house_number": "20",
                "postcode": "46236",
                "city": "Bottrop",
            },
        },
    )
    assert booked.status_code == 201, booked.json
    mine = client.get(f"/api/v1/bookings?date={day}", headers=headers).json
    assert mine["total"] <= 2  # room for one more after this one (3 open a day at most)


def test_points_and_lockers_are_opened_with_the_pin_not_the_booking_code(
    app: Flask, db_session: Session
) -> None:
    """Residents collect at a Point or locker with the 6-digit pickup PIN (docs/bookings.md);
    the courier hands over there with the PIN too (docs/dispatch.md)."""
    seed_demo(db_session, app.config, MONDAY_10)
    notes = {p.name: p.access_notes for p in db_session.scalars(select(DeliveryPoint))}
    assert len(notes) == 5
    for name, text in notes.items():
        assert "PIN" in text, name
        assert "Buchungscode" not in text and "booking code" not in text.lower(), name


def _seed_cli(app: Flask, *args: str) -> Any:
    # the history (28 days by default) has tests of its own: tests/demo/test_history.py
    return app.test_cli_runner().invoke(args=["seed", "--history-days", "0", *args])


def test_seed_date_books_and_staffs_the_chosen_day(
    app: Flask, db_session: Session, now: Any, tmp_path: Any
) -> None:
    day_file = tmp_path / "demo-day"
    result = _seed_cli(app, "--date", "2026-11-26", "--day-file", str(day_file))
    assert result.exit_code == 0, result.output
    assert "Thursday 26.11.2026" in result.output
    assert day_file.read_text() == "2026-11-26\n"
    assert {s.day for s in db_session.scalars(select(Shift))} == {date(2026, 11, 26)}
    legs = db_session.scalars(select(Leg)).all()
    assert min(leg.day for leg in legs) == date(2026, 11, 26)
    assert len(db_session.scalars(select(Booking)).all()) >= 40
    assert "NOT booked" not in result.output


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2026-11-29", "Sunday 29.11.2026 is no service day"),
        ("2026-11-23", "--date must be from 2026-11-24 to 2026-12-07"),  # today
        ("2026-11-20", "--date must be from 2026-11-24 to 2026-12-07"),
        ("2026-12-08", "--date must be from 2026-11-24 to 2026-12-07"),
    ],
)
def test_seed_refuses_a_day_it_cannot_book(
    app: Flask, db_session: Session, now: Any, day: str, why: str
) -> None:
    result = _seed_cli(app, "--date", day)
    assert result.exit_code == 1
    assert why in result.output
    assert db_session.scalars(select(User)).first() is None


def test_a_public_holiday_is_no_demo_day() -> None:
    policy = ServicePolicy()
    december_20 = datetime(2026, 12, 20, 11, 0, tzinfo=UTC)
    with pytest.raises(DemoDayNotBookable, match=r"Friday 25\.12\.2026 is no service day"):
        demo_day(policy, december_20, date(2026, 12, 25))
    assert demo_day(policy, december_20, date(2026, 12, 28)) == date(2026, 12, 28)
    # the day before Christmas Eve, after the cut-off: the 24th (a Thursday) is open
    assert demo_day(policy, datetime(2026, 12, 23, 17, 0, tzinfo=UTC)) == date(2026, 12, 24)
    assert demo_day(policy, datetime(2026, 12, 24, 17, 0, tzinfo=UTC)) == date(2026, 12, 28)


def test_seed_date_must_be_a_date(app: Flask, db_session: Session, now: Any) -> None:
    result = _seed_cli(app, "--date", "26.11.2026")
    assert result.exit_code == 2
    assert "--date" in result.output


def test_seed_follows_the_fixed_clock(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """LOUISE_CLOCK on a Saturday after the cut-off: the demo books and staffs Monday."""
    monkeypatch.setenv("LOUISE_CLOCK", "2026-11-28T16:00:00+01:00")
    day_file = tmp_path / "demo-day"
    result = _seed_cli(app, "--day-file", str(day_file))
    assert result.exit_code == 0, result.output
    assert day_file.read_text() == "2026-11-30\n"
    assert {s.day for s in db_session.scalars(select(Shift))} == {date(2026, 11, 30)}
