"""Courier fixtures (a pytest plugin, see tests/conftest.py): a published delivery with its
courier's stops, kiosks as fallback Points, and the courier's stop actions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from louise.auth.models import User
from louise.bookings.models import DeliveryPoint, DestinationType
from tests.support.dispatch import HOMES, MONDAY

TUESDAY = date(2026, 11, 24)


def kiosk(db_session: Any, name: str, lat: float, lon: float, shelves: int) -> DeliveryPoint:
    point = DeliveryPoint(
        kind=DestinationType.POINT,
        name=name,
        address_label=f"{name}, 46236 Bottrop",
        lat=lat,
        lon=lon,
        shelf_capacity=shelves,
        opening_hours={d: [["07:00", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    )
    db_session.add(point)
    db_session.commit()
    return point


@pytest.fixture()
def kiosks(db_session: Any) -> dict[str, DeliveryPoint]:
    """A full kiosk right next to the first home, and one with space a little further."""
    home = HOMES[0]
    return {
        "full": kiosk(db_session, "Kiosk Eck", home[0] + 0.0005, home[1], shelves=0),
        "free": kiosk(db_session, "Trinkhalle Süd", home[0] + 0.003, home[1] + 0.002, shelves=2),
        "far": kiosk(db_session, "Tankstelle Nord", home[0] + 0.02, home[1], shelves=5),
    }


def publish_monday(client: Any, dispatcher: Any) -> dict[str, Any]:
    """Plan Monday and publish the plan; its JSON."""
    plan_id = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    plan = client.post(f"/api/v1/plans/{plan_id}/publish", headers=dispatcher).json
    assert plan["status"] == "published", plan
    return dict(plan)


def route_of(plan: dict[str, Any], leg_id: int) -> dict[str, Any]:
    """The route of a published plan that serves the leg."""
    return next(r for r in plan["routes"] if any(s["leg_id"] == leg_id for s in r["stops"]))


@pytest.fixture()
def delivery(
    client: Any,
    auth_headers: Any,
    fleet: Any,
    book: Any,
    offers: Any,
    make_user: Any,
    db_session: Any,
) -> dict[str, Any]:
    """A product delivery to the first home, planned and published; the courier's stops."""
    home = HOMES[0]
    booked = book(
        make_user("customer"), offers["product"], address={"lat": home[0], "lon": home[1]}
    )
    assert booked.status_code == 201, booked.json
    dispatcher = auth_headers("dispatcher")
    plan = publish_monday(client, dispatcher)
    leg_id = booked.json["legs"][0]["id"]
    route = route_of(plan, leg_id)
    stops = {s["type"]: s for s in route["stops"] if s["leg_id"] == leg_id}
    courier = db_session.get(User, route["courier_id"])
    other = next(db_session.get(User, s.courier_id) for s in fleet if s.courier_id != courier.id)
    return {
        "booking": booked.json,
        "route": route,
        "pickup": stops["pickup"],
        "delivery": stops["delivery"],
        "headers": auth_headers(courier),
        "other": auth_headers(other),
    }


def stop_action(client: Any, stop_id: int, action: str, headers: Any, **kw: Any) -> Any:
    """POST a courier's action (arrived, complete, fail) on a stop."""
    return client.post(f"/api/v1/courier/stops/{stop_id}/{action}", headers=headers, **kw)


def picked_up(client: Any, delivery: dict[str, Any]) -> Any:
    """The courier collects the delivery's parcel with the booking code."""
    r = stop_action(
        client,
        delivery["pickup"]["id"],
        "complete",
        delivery["headers"],
        json={"booking_code": delivery["booking"]["code"]},
    )
    assert r.status_code == 200, r.json
    return r
