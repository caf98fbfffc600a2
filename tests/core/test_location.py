"""Every 201 and 202 answer says where the new resource lives (``Location``), and a GET
there finds it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.dispatch import HOMES, MONDAY, local

#: (method, OpenAPI path) of every creating endpoint, and the URL its Location names.
CREATING = {
    ("post", "/api/v1/auth/register"): "/api/v1/users/{id}",
    ("post", "/api/v1/users"): "/api/v1/users/{id}",
    ("post", "/api/v1/merchants"): "/api/v1/merchants/{id}",
    ("post", "/api/v1/merchants/{merchant_id}/exceptions"): (
        "/api/v1/merchants/{merchant_id}/exceptions/{id}"
    ),
    ("post", "/api/v1/merchants/{merchant_id}/offers"): "/api/v1/offers/{id}",
    ("post", "/api/v1/bookings"): "/api/v1/bookings/{id}",
    ("post", "/api/v1/bookings/{booking_id}/tracking-link"): (
        "/api/v1/bookings/{booking_id}/messages/{id}"
    ),
    ("post", "/api/v1/points"): "/api/v1/points/{id}",
    ("post", "/api/v1/districts"): "/api/v1/districts/{id}",
    ("post", "/api/v1/vehicles"): "/api/v1/vehicles/{id}",
    ("post", "/api/v1/shifts"): "/api/v1/shifts/{id}",
    ("post", "/api/v1/plans"): "/api/v1/plans/{id}",
}


def test_the_openapi_document_lists_exactly_these_creating_endpoints(client):
    paths = client.get("/api/openapi.json").json["paths"]
    creating = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if isinstance(op, dict) and {"201", "202"} & set(op.get("responses", {}))
    }
    assert creating == set(CREATING)
    for method, path in creating:
        answer = paths[path][method]["responses"]
        code = "202" if "202" in answer else "201"
        assert "Location" in answer[code].get("headers", {}), (method, path)


def _create(name, client, auth_headers, make_user, shop, offers, fleet) -> tuple[Any, dict]:
    """Make one resource through the API; returns the answer and the path's values."""
    dispatcher, admin = auth_headers("dispatcher"), auth_headers("admin")
    owner = auth_headers(shop.owner)
    if name == "/api/v1/auth/register":
        body = {"email": "neu@example.test", "password": "lang-genug-123", "name": "Neu"}
        return client.post(name, json=body), {}
    if name == "/api/v1/users":
        body = {"name": "Erna Hotline", "phone": "02041 55555", "role": "customer"}
        return client.post(name, json=body, headers=dispatcher), {}
    if name == "/api/v1/merchants":
        body = {
            "name": "Buchhandlung am Markt",
            "category": "bookshop",
            "address": {"lat": 51.5236, "lon": 6.9285},
        }
        return client.post(name, json=body, headers=auth_headers("merchant")), {}
    if name == "/api/v1/merchants/{merchant_id}/exceptions":
        url = f"/api/v1/merchants/{shop.id}/exceptions"
        body = {"date": "2026-12-24", "closed": True}
        return client.post(url, json=body, headers=owner), {"merchant_id": shop.id}
    if name == "/api/v1/merchants/{merchant_id}/offers":
        url = f"/api/v1/merchants/{shop.id}/offers"
        body = {"kind": "product", "title": "Einlegesohlen", "price_cents": 990, "parcel_size": "S"}
        return client.post(url, json=body, headers=owner), {}
    if name == "/api/v1/bookings":
        body = {
            "offer_id": offers["product"].id,
            "date": MONDAY.isoformat(),
            "window": "evening",
            "address": {"lat": HOMES[0][0], "lon": HOMES[0][1]},
        }
        return client.post(name, json=body, headers=auth_headers("customer")), {}
    if name == "/api/v1/bookings/{booking_id}/tracking-link":
        body = {
            "offer_id": offers["product"].id,
            "date": MONDAY.isoformat(),
            "window": "evening",
            "address": {"lat": HOMES[0][0], "lon": HOMES[0][1]},
            "customer": {"name": "Erika Brandt", "phone": "02041 55 66 77"},
        }
        booking = client.post("/api/v1/bookings", json=body, headers=dispatcher)
        assert booking.status_code == 201, booking.json
        url = f"/api/v1/bookings/{booking.json['id']}/tracking-link"
        answer = client.post(url, json={"phone": "0171 2233441"}, headers=dispatcher)
        return answer, {"booking_id": booking.json["id"]}
    if name == "/api/v1/points":
        body = {
            "kind": "locker",
            "name": "Packstation Süd",
            "address_label": "Südring 1, 46242 Bottrop",
            "lat": 51.515,
            "lon": 6.93,
            "compartments": {"S": 4},
        }
        return client.post(name, json=body, headers=dispatcher), {}
    if name == "/api/v1/districts":
        body = {
            "name": "Eigen",
            "min_lat": 51.54,
            "min_lon": 6.93,
            "max_lat": 51.55,
            "max_lon": 6.95,
            "vehicle_kinds": ["bike"],
        }
        return client.post(name, json=body, headers=admin), {}
    if name == "/api/v1/vehicles":
        body = {
            "name": "Lastenrad 9",
            "kind": "bike",
            "capacity_l": 200,
            "capacity_kg": 100,
            "speed_kmh": 15,
        }
        return client.post(name, json=body, headers=dispatcher), {}
    if name == "/api/v1/shifts":
        body = {
            "courier_id": make_user("courier").id,
            "vehicle_id": fleet[0].vehicle_id,
            "starts_at": local(MONDAY + timedelta(days=1), 8).isoformat(),
            "ends_at": local(MONDAY + timedelta(days=1), 12).isoformat(),
        }
        return client.post(name, json=body, headers=dispatcher), {}
    if name == "/api/v1/plans":
        return client.post(name, json={"date": MONDAY.isoformat()}, headers=dispatcher), {}
    raise AssertionError(name)


@pytest.mark.parametrize(("method", "path"), sorted(CREATING))
def test_a_created_resource_is_named_in_location_and_found_there(
    method, path, client, auth_headers, make_user, shop, offers, fleet, now
):
    r, values = _create(path, client, auth_headers, make_user, shop, offers, fleet)

    assert r.status_code in (201, 202), r.json
    expected = CREATING[(method, path)].format(id=r.json["id"], **values)
    assert r.headers["Location"] == expected
    if path.endswith("/exceptions"):
        return  # a date exception is read with its shop and deleted at its URL
    found = client.get(expected, headers=auth_headers("admin"))
    assert found.status_code == 200, (expected, found.json)
    assert found.json["id"] == r.json["id"]


def test_a_replayed_booking_names_its_location_too(client, auth_headers, offers, make_user, now):
    headers = {**auth_headers(make_user("customer")), "Idempotency-Key": "k-1"}
    body = {
        "offer_id": offers["product"].id,
        "date": MONDAY.isoformat(),
        "window": "evening",
        "address": {"lat": HOMES[0][0], "lon": HOMES[0][1]},
    }
    first = client.post("/api/v1/bookings", json=body, headers=headers)
    again = client.post("/api/v1/bookings", json=body, headers=headers)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Location"] == again.headers["Location"]
    assert again.headers["Location"] == f"/api/v1/bookings/{first.json['id']}"
