"""One API style: every time on the wire is RFC 3339 in UTC with ``Z`` and no microseconds."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from louise.auth.models import User
from louise.bookings.models import Booking
from tests.support.dispatch import MONDAY

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d\d-\d\dT")


def _times(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every string in a JSON answer that is a date with a time, with where it was."""
    if isinstance(node, dict):
        return [t for key, value in node.items() for t in _times(value, f"{path}.{key}")]
    if isinstance(node, list):
        return [t for i, value in enumerate(node) for t in _times(value, f"{path}[{i}]")]
    if isinstance(node, str) and LOOKS_LIKE_A_TIME.match(node):
        return [(path, node)]
    return []


def test_every_time_in_the_main_answers_is_utc_with_z_and_whole_seconds(
    client, auth_headers, fleet, day_bookings, db_session, shop
):
    dispatcher = auth_headers("dispatcher")
    plan_id = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    published = client.post(f"/api/v1/plans/{plan_id}/publish", headers=dispatcher)
    assert published.status_code == 200, published.json
    route = published.json["routes"][0]
    courier = auth_headers(db_session.get(User, route["courier_id"]))
    arrived = client.post(
        f"/api/v1/courier/stops/{route['stops'][1]['id']}/arrived", headers=courier
    )
    assert arrived.status_code == 200, arrived.json
    booking = day_bookings[0]
    token = db_session.scalar(select(Booking.tracking_token).where(Booking.id == booking["id"]))
    resident = auth_headers(db_session.get(User, booking["customer_id"]))
    day = MONDAY.isoformat()

    answers = {
        "booking": client.post(
            "/api/v1/bookings",
            json={
                **{k: booking[k] for k in ("offer_id",)},
                "date": day,
                "window": "evening",
                "address": {"lat": 51.529, "lon": 6.94},
            },
            headers=resident,
        ),
        "bookings": client.get("/api/v1/bookings", headers=dispatcher),
        "booking by id": client.get(f"/api/v1/bookings/{booking['id']}", headers=resident),
        "history": client.get(f"/api/v1/bookings/{booking['id']}/history", headers=resident),
        "slots": client.get("/api/v1/slots?date=" + day + "&lat=51.529&lon=6.94"),
        "plans": client.get("/api/v1/plans", headers=dispatcher),
        "plan": client.get(f"/api/v1/plans/{plan_id}", headers=dispatcher),
        "courier": client.get("/api/v1/courier/today", headers=courier),
        "tracking": client.get(f"/api/v1/track/{token}"),
        "shifts": client.get("/api/v1/shifts", headers=dispatcher),
        "merchant": client.get(f"/api/v1/merchants/{shop.id}"),
        "merchants": client.get("/api/v1/merchants"),
        "offers": client.get("/api/v1/offers"),
        "me": client.get("/api/v1/me", headers=resident),
        "users": client.get("/api/v1/users", headers=auth_headers("admin")),
    }
    seen: dict[str, list[tuple[str, str]]] = {}
    for name, response in answers.items():
        assert response.status_code in (200, 201), (name, response.json)
        seen[name] = _times(response.json)

    bad = [
        (name, where, value)
        for name, found in seen.items()
        for where, value in found
        if not RFC3339_UTC.match(value)
    ]
    assert bad == []
    # The walk really saw the times of each kind of answer.
    for name in (
        "booking",
        "bookings",
        "history",
        "slots",
        "plans",
        "plan",
        "courier",
        "tracking",
        "shifts",
        "merchant",
        "offers",
        "me",
        "users",
    ):
        assert seen[name], name


LISTS = {
    "/api/v1/bookings",
    "/api/v1/bookings/{booking_id}/history",
    "/api/v1/customers",
    "/api/v1/districts",
    "/api/v1/legs/unserved",
    "/api/v1/merchants",
    "/api/v1/merchants/mine",
    "/api/v1/merchants/{merchant_id}/offers",
    "/api/v1/offers",
    "/api/v1/plans",
    "/api/v1/points",
    "/api/v1/shifts",
    "/api/v1/users",
    "/api/v1/vehicles",
}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_list_answers_in_the_one_page_envelope(client):
    spec = client.get("/api/openapi.json").json
    pages, arrays = set(), set()
    for path, ops in spec["paths"].items():
        answer = ops.get("get", {}).get("responses", {}).get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            continue
        schema = _resolve(spec, schema)
        if schema.get("type") == "array":
            arrays.add(path)
        elif schema.get("properties", {}).get("items", {}).get("type") == "array":
            pages.add(path)
            assert set(schema["properties"]) == {"items", "total", "limit", "offset"}, path
            params = {p["name"] for p in ops["get"].get("parameters", [])}
            assert {"limit", "offset"} <= params, path

    assert arrays == set()
    assert pages == LISTS


def test_a_short_list_is_paged_like_the_long_ones(client, auth_headers, db_session):
    from louise.fleet.models import Vehicle, VehicleKind

    for n in range(3):
        db_session.add(
            Vehicle(
                name=f"Rad {n}",
                kind=VehicleKind.BIKE,
                capacity_l=200,
                capacity_kg=100,
                speed_kmh=15,
            )
        )
    db_session.commit()

    r = client.get("/api/v1/vehicles?limit=2&offset=1", headers=auth_headers("dispatcher"))

    assert r.status_code == 200
    assert [v["name"] for v in r.json["items"]] == ["Rad 1", "Rad 2"]
    assert (r.json["total"], r.json["limit"], r.json["offset"]) == (3, 2, 1)
