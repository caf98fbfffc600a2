"""The Bottrop demo data: loaded through the real services, complete, inside the service area.

A seed takes a few seconds (argon2 hashes, ~40 bookings), so each test seeds once and checks
one area of the demo."""

from __future__ import annotations

import time
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
    District,
    Leg,
    LegPurpose,
    OutboxMessage,
)
from louise.fleet.models import Shift, Vehicle
from louise.geo.geocoders import service_area_from_config
from louise.merchants.models import Merchant, Offer
from louise.seed import DemoDataPresent, format_summary, reset_demo_data, seed_demo

#: Monday 23 November 2026, 10:00 in Bottrop: the demo books Tuesday.
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
#: Saturday 28 November 2026, 16:00: the next service day is Monday (Sunday is closed).
SATURDAY_16 = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)

pytestmark = pytest.mark.slow


def test_demo_shops_offers_places_fleet_and_accounts(app: Flask, db_session: Session) -> None:
    started = time.perf_counter()
    summary = seed_demo(db_session, app.config, MONDAY_10)
    assert time.perf_counter() - started < 30

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
