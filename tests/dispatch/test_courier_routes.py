"""A courier's routes of a chosen day (``GET /courier/routes?date=``): the demo plans the next
service day, and its couriers must be able to see it before that day comes."""

from __future__ import annotations

from datetime import date

import pytest

from louise.auth.models import User
from tests.support.courier import publish_monday, route_of
from tests.support.dispatch import HOMES, MONDAY, local

SATURDAY = date(2026, 11, 21)


@pytest.fixture()
def monday_route(client, auth_headers, fleet, book, offers, make_user, db_session):
    """A product delivery on Monday, planned and published (the clock: Monday 10:00)."""
    booked = book(
        make_user("customer"),
        offers["product"],
        address={"lat": HOMES[0][0], "lon": HOMES[0][1]},
    )
    assert booked.status_code == 201, booked.json
    dispatcher = auth_headers("dispatcher")
    plan = publish_monday(client, dispatcher)
    leg_id = booked.json["legs"][0]["id"]
    route = route_of(plan, leg_id)
    courier = db_session.get(User, route["courier_id"])
    other = next(db_session.get(User, s.courier_id) for s in fleet if s.courier_id != courier.id)
    return {
        "plan_id": plan["id"],
        "route": route,
        "leg_id": leg_id,
        "mine": auth_headers(courier),
        "other": auth_headers(other),
    }


def _routes(client, headers, query=""):
    return client.get(f"/api/v1/courier/routes{query}", headers=headers)


def test_a_courier_reads_a_later_days_route_before_that_day(client, monday_route, now):
    now(local(SATURDAY, 16, 0))  # after the cut-off, two days before the route
    r = _routes(client, monday_route["mine"], "?date=2026-11-23")
    assert r.status_code == 200, r.json
    assert r.json["date"] == "2026-11-23"
    assert r.json["plan_id"] == monday_route["plan_id"]
    assert [route["id"] for route in r.json["routes"]] == [monday_route["route"]["id"]]
    stops = r.json["routes"][0]["stops"]
    assert [s["id"] for s in stops] == [s["id"] for s in monday_route["route"]["stops"]]
    assert {s["type"] for s in stops if s["leg_id"] == monday_route["leg_id"]} >= {
        "pickup",
        "delivery",
    }


def test_without_a_date_the_routes_are_todays(client, monday_route, now):
    now(local(SATURDAY, 16, 0))
    r = _routes(client, monday_route["mine"])
    assert r.status_code == 200
    assert r.json == {"date": "2026-11-21", "plan_id": None, "routes": []}
    now(local(MONDAY, 16, 0))
    r = _routes(client, monday_route["mine"])
    assert r.json["date"] == "2026-11-23"
    assert [route["id"] for route in r.json["routes"]] == [monday_route["route"]["id"]]


def test_another_courier_sees_only_their_own_routes_of_that_day(client, monday_route):
    mine = _routes(client, monday_route["mine"], "?date=2026-11-23").json
    theirs = _routes(client, monday_route["other"], "?date=2026-11-23").json
    my_stops = {s["id"] for route in mine["routes"] for s in route["stops"]}
    their_stops = {s["id"] for route in theirs["routes"] for s in route["stops"]}
    assert monday_route["route"]["id"] not in [route["id"] for route in theirs["routes"]]
    assert my_stops and not my_stops & their_stops


def test_a_day_without_a_published_plan_has_no_routes(
    client, auth_headers, fleet, book, offers, make_user, db_session
):
    book(make_user("customer"), offers["product"])
    dispatcher = auth_headers("dispatcher")
    plan_id = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    draft = client.get(f"/api/v1/plans/{plan_id}", headers=dispatcher).json
    courier = auth_headers(db_session.get(User, draft["routes"][0]["courier_id"]))
    r = _routes(client, courier, "?date=2026-11-23")
    assert r.status_code == 200
    assert r.json == {"date": "2026-11-23", "plan_id": None, "routes": []}


@pytest.mark.parametrize("bad", ["23.11.2026", "2026-02-30", "tomorrow", ""])
def test_a_bad_date_is_422_naming_the_field(client, monday_route, bad):
    r = _routes(client, monday_route["mine"], f"?date={bad}")
    assert r.status_code == 422
    assert r.json["error"] == "validation_error"
    assert list(r.json["errors"]["query"]) == ["date"]


def test_unknown_query_arguments_are_422_not_ignored(client, monday_route):
    r = _routes(client, monday_route["mine"], "?day=2026-11-23")
    assert r.status_code == 422
    assert list(r.json["errors"]["query"]) == ["day"]
    # `today` has no date: asking it for one is refused, not silently answered for today
    r = client.get("/api/v1/courier/today?date=2026-11-23", headers=monday_route["mine"])
    assert r.status_code == 422
    assert list(r.json["errors"]["query"]) == ["date"]
    assert "/courier/routes?date=" in r.json["message"]


def test_only_couriers_read_routes(client, auth_headers, monday_route):
    for role in ("customer", "merchant", "dispatcher"):
        assert _routes(client, auth_headers(role), "?date=2026-11-23").status_code == 403
    assert client.get("/api/v1/courier/routes?date=2026-11-23").status_code == 401
