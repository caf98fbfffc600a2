"""A dispatcher moves a leg of a draft: checked by the validator, refused with the reason,
kept on re-planning (``POST /api/v1/plans/{id}/moves``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from louise.dispatch.adjust import changed_legs
from louise.dispatch.models import Plan
from tests.support.dispatch import MONDAY, local


def _plan(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    r = client.post("/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=headers)
    assert r.status_code == 202, r.json
    plan = client.get(f"/api/v1/plans/{r.json['id']}", headers=headers).json
    assert plan["status"] == "draft", plan
    return plan


def _where(plan: dict[str, Any]) -> dict[int, tuple[int, int]]:
    """leg → (route id, position of its pickup among the route's task stops)."""
    out = {}
    for route in plan["routes"]:
        tasks = [s for s in route["stops"] if s["leg_id"]]
        for position, stop in enumerate(tasks, start=1):
            if stop["type"] == "pickup":
                out[stop["leg_id"]] = (route["id"], position)
    return out


def _move(client: Any, headers: dict[str, str], plan_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/plans/{plan_id}/moves", json=body, headers=headers)


def test_moving_a_leg_to_the_front_of_its_route_retimes_it_and_locks_it(
    client, auth_headers, fleet, day_bookings
):
    dispatcher = auth_headers("dispatcher")
    plan = _plan(client, dispatcher)
    where = _where(plan)
    # the last pickup of the longest route goes first, where its window allows it
    route = max(plan["routes"], key=lambda r: len(r["stops"]))
    last = max((leg for leg, (rid, _) in where.items() if rid == route["id"]), key=where.get)
    r = _move(client, dispatcher, plan["id"], leg_id=last, route_id=route["id"], position=1)
    if r.status_code == 409:  # its window does not allow it: then it says so, and why
        assert r.json["error"] == "move_refused"
        return
    assert r.status_code == 200, r.json
    moved = next(x for x in r.json["routes"] if x["id"] == route["id"])
    assert [s["type"] for s in moved["stops"][:2]] == ["start", "pickup"]
    assert moved["stops"][1]["leg_id"] == last
    assert moved["stops"][2]["leg_id"] == last and moved["stops"][2]["type"] == "delivery"
    assert r.json["stats"]["locks"] == {str(last): route["shift_id"]}
    seqs = [s["seq"] for s in moved["stops"]]
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_move_that_breaks_a_time_window_is_refused_with_the_reason_and_changes_nothing(
    client, auth_headers, fleet, day_bookings, book, offers, make_user, now
):
    dispatcher = auth_headers("dispatcher")
    # a collection late in the morning (booked the evening before), besides the evening's
    now(local(MONDAY - timedelta(days=1), 20))
    midday = book(
        make_user("customer"),
        offers["collection"],
        window="day-11",
        address={"lat": 51.527, "lon": 6.93},
    )
    assert midday.status_code == 201, midday.json
    now(local(MONDAY, 10))
    plan = _plan(client, dispatcher)
    stops = [(r, s) for r in plan["routes"] for s in r["stops"] if s["leg_id"]]
    # the evening's last pickup put before the stop whose window closes first
    late = max(stops, key=lambda rs: rs[1]["window_start"] if rs[1]["type"] == "pickup" else "")
    early = min(stops, key=lambda rs: rs[1]["window_end"])
    assert late[1]["window_start"] > early[1]["window_end"], "the demo needs two windows"
    route = early[0]
    tasks = [s for s in route["stops"] if s["leg_id"]]
    position = next(i for i, s in enumerate(tasks, start=1) if s["id"] == early[1]["id"])
    r = _move(
        client,
        dispatcher,
        plan["id"],
        leg_id=late[1]["leg_id"],
        route_id=route["id"],
        position=position,
    )
    assert r.status_code == 409, r.json
    assert r.json["error"] == "move_refused"
    assert "outside its window" in r.json["message"]
    assert r.json["errors"]["json"]["position"]
    after = client.get(f"/api/v1/plans/{plan['id']}", headers=dispatcher).json
    assert after == plan


def test_a_move_to_an_unknown_route_is_not_found(client, auth_headers, fleet, day_bookings):
    dispatcher = auth_headers("dispatcher")
    plan = _plan(client, dispatcher)
    leg = next(iter(_where(plan)))
    assert _move(client, dispatcher, plan["id"], leg_id=leg, route_id=999_999).status_code == 404


def test_a_published_plan_does_not_change_by_hand(client, auth_headers, fleet, day_bookings):
    dispatcher = auth_headers("dispatcher")
    plan = _plan(client, dispatcher)
    assert client.post(f"/api/v1/plans/{plan['id']}/publish", headers=dispatcher).status_code == 200
    leg, (route_id, _) = next(iter(_where(plan).items()))
    r = _move(client, dispatcher, plan["id"], leg_id=leg, route_id=route_id)
    assert r.status_code == 409 and r.json["error"] == "invalid_state"


def test_only_dispatchers_move_legs(client, auth_headers):
    r = _move(client, auth_headers("courier"), 1, leg_id=1, route_id=1)
    assert r.status_code == 403


def test_a_locked_leg_stays_on_its_shift_when_the_day_is_replanned(
    client, auth_headers, fleet, day_bookings, db_session
):
    dispatcher = auth_headers("dispatcher")
    plan = _plan(client, dispatcher)
    where = _where(plan)
    leg, (route_id, _) = next(iter(where.items()))
    shift = next(r["shift_id"] for r in plan["routes"] if r["id"] == route_id)
    # lock where it is: the same route, no position
    r = _move(client, dispatcher, plan["id"], leg_id=leg, route_id=route_id)
    assert r.status_code == 200, r.json
    assert _where(r.json)[leg] == where[leg]
    again = _plan(client, dispatcher)
    assert again["stats"]["locks"] == {str(leg): shift}
    route_of = {r["id"]: r["shift_id"] for r in again["routes"]}
    assert route_of[_where(again)[leg][0]] == shift
    before = db_session.get(Plan, plan["id"])
    after = db_session.get(Plan, again["id"])
    db_session.expire_all()
    assert set(changed_legs(before, after).values()) <= {"route", "position", "new"}


def test_changed_legs_names_legs_on_another_route_or_place(
    client, auth_headers, fleet, day_bookings, db_session
):
    dispatcher = auth_headers("dispatcher")
    plan = db_session.get(Plan, _plan(client, dispatcher)["id"])
    assert changed_legs(None, plan) == {}
    assert changed_legs(plan, plan) == {}
