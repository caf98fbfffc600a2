"""Planning through the API: 202 with the plan's id, the plan readable, publish locks legs."""

from __future__ import annotations

from sqlalchemy import select

from louise.bookings.models import Leg, OutboxMessage
from tests.support.dispatch import MONDAY


def test_dispatcher_plans_and_publishes_a_day(
    client, auth_headers, fleet, day_bookings, db_session
):
    dispatcher = auth_headers("dispatcher")
    r = client.post("/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher)
    assert r.status_code == 202, r.json
    plan_id = r.json["id"]
    plan = client.get(f"/api/v1/plans/{plan_id}", headers=dispatcher)
    assert plan.status_code == 200 and plan.json["status"] == "draft", plan.json
    assert plan.json["unassigned"] == []
    stops = [s for route in plan.json["routes"] for s in route["stops"]]
    assert stops[0]["type"] == "start" and stops[-1]["type"] == "end"
    published = client.post(f"/api/v1/plans/{plan_id}/publish", headers=dispatcher)
    assert published.status_code == 200 and published.json["status"] == "published"
    legs = db_session.scalars(select(Leg).where(Leg.day == MONDAY)).all()
    assert legs and all(leg.locked and leg.courier_id for leg in legs)
    told = db_session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.template.in_(("collection_planned", "delivery_planned"))
        )
    ).all()
    assert len(told) == len(day_bookings)


def test_only_dispatchers_plan(client, auth_headers):
    for role in ("customer", "merchant", "courier"):
        r = client.post(
            "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=auth_headers(role)
        )
        assert r.status_code == 403


def test_publishing_twice_is_a_conflict(client, auth_headers, fleet, day_bookings):
    dispatcher = auth_headers("dispatcher")
    plan_id = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/publish", headers=dispatcher).status_code == 200
    assert client.post(f"/api/v1/plans/{plan_id}/publish", headers=dispatcher).status_code == 409


def test_replanning_a_published_day_keeps_locked_legs_on_their_shift(
    client, auth_headers, fleet, day_bookings, book, offers, make_user
):
    dispatcher = auth_headers("dispatcher")
    first = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    client.post(f"/api/v1/plans/{first}/publish", headers=dispatcher)
    before = {
        s["leg_id"]: route["shift_id"]
        for route in client.get(f"/api/v1/plans/{first}", headers=dispatcher).json["routes"]
        for s in route["stops"]
        if s["leg_id"]
    }
    extra = book(make_user("customer"), offers["product"], address={"lat": 51.527, "lon": 6.93})
    assert extra.status_code == 201
    second = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    plan = client.get(f"/api/v1/plans/{second}", headers=dispatcher).json
    assert plan["version"] == 2 and plan["status"] == "draft"
    after = {
        s["leg_id"]: route["shift_id"]
        for route in plan["routes"]
        for s in route["stops"]
        if s["leg_id"]
    }
    assert {leg: after[leg] for leg in before} == before
    changes = plan["stats"]["changes"]
    assert changes["moved"] == [] and [a["leg_id"] for a in changes["added"]] == [
        extra.json["legs"][0]["id"]
    ]
