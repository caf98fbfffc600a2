"""Booking fixtures (a pytest plugin, see tests/conftest.py): a frozen clock, a shop with
offers, residents and a booking helper."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from louise import clock
from louise.bookings.models import DeliveryPoint, DestinationType

#: Monday 23 November 2026, 10:00 in Bottrop (09:00 UTC): before the 14:00 cut-off.
MONDAY = date(2026, 11, 23)
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOME = {"lat": 51.5290, "lon": 6.9400}


@pytest.fixture()
def now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """``now(moment)`` moves the app's clock; it starts at Monday 10:00 local."""
    current = {"t": MONDAY_10}
    monkeypatch.setattr(clock, "now", lambda: current["t"])

    def move(moment: datetime) -> None:
        current["t"] = moment

    return move


@pytest.fixture()
def shop(make_merchant: Callable[..., Any]) -> Any:
    # Open into the evening wave, so collected items reach it the same evening.
    return make_merchant(
        name="Schuhmacherei Kowalski", hours={d: [(time(9), time(19, 30))] for d in range(6)}
    )


@pytest.fixture()
def offers(shop: Any, make_offer: Callable[..., Any]) -> dict[str, Any]:
    return {
        "service": make_offer(shop, kind="service", title="Absätze erneuern", turnaround_days=3),
        "product": make_offer(shop, kind="product", title="Schuhcreme"),
        "collection": make_offer(shop, kind="collection", title="Altschuhe abgeben"),
    }


@pytest.fixture()
def book(client: Any, auth_headers: Callable[..., dict[str, str]], now: Any) -> Callable[..., Any]:
    """``book(who, offer, day=MONDAY, window="evening", **body)`` → the response."""

    def factory(
        who: Any, offer: Any, day: date = MONDAY, window: str = "evening", **body: Any
    ) -> Any:
        headers = dict(auth_headers(who) if not isinstance(who, dict) else who)
        headers.update(body.pop("headers", {}))
        payload = {
            "offer_id": offer.id if hasattr(offer, "id") else offer,
            "date": day.isoformat(),
            "window": window,
            "address": body.pop("address", dict(HOME)),
            **body,
        }
        return client.post("/api/v1/bookings", json=payload, headers=headers)

    return factory


def local(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hh, mm, ss), tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture()
def make_locker(db_session: Any) -> Callable[..., DeliveryPoint]:
    """``make_locker(S=2, M=0)``: the parcel locker at the station, 24/7, with compartments."""

    def make(**compartments: int) -> DeliveryPoint:
        point = DeliveryPoint(
            kind=DestinationType.LOCKER,
            name="Packstation Hauptbahnhof",
            address_label="Bahnhofstraße 1, 46236 Bottrop",
            lat=51.5189,
            lon=6.9300,
            compartments={size: compartments.get(size, 0) for size in ("S", "M", "L", "XL")},
        )
        db_session.add(point)
        db_session.commit()
        return point

    return make


@pytest.fixture()
def make_kiosk(db_session: Any) -> Callable[[int], DeliveryPoint]:
    """``make_kiosk(shelf)``: a LOUISE Point open 07:00–21:00 Monday to Saturday."""

    def make(shelf_capacity: int) -> DeliveryPoint:
        point = DeliveryPoint(
            kind=DestinationType.POINT,
            name="Kiosk am Pferdemarkt",
            address_label="Pferdemarkt 3, 46236 Bottrop",
            lat=51.5228,
            lon=6.9260,
            shelf_capacity=shelf_capacity,
            opening_hours={
                d: [["07:00", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")
            },
        )
        db_session.add(point)
        db_session.commit()
        return point

    return make
