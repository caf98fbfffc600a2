"""The dispatcher's board without a browser: who may see it, planning from the form, the
progress fragment, a refused move and the route sheets (fast: the Flask test client)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from louise.auth.models import User
from louise.dispatch.models import Plan
from louise.pages import login
from tests.support.dispatch import MONDAY

DAY = f"/dispatch/day?date={MONDAY.isoformat()}"


def _sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["uid"] = user.id
        session["pwf"] = login._fingerprint(user)


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _plan(client: FlaskClient) -> int:
    token = _csrf(client, DAY)
    answer = client.post("/dispatch/plan", data={"date": MONDAY.isoformat(), "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    found = re.search(r"plan=(\d+)", answer.headers["Location"])
    assert found is not None
    return int(found.group(1))


def test_the_board_needs_a_login(client: FlaskClient) -> None:
    answer = client.get("/dispatch")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/account/login?next=/dispatch")


def test_residents_shops_and_couriers_may_not_see_the_board(
    client: FlaskClient, make_user: Any
) -> None:
    for role in ("customer", "merchant", "courier", "city"):
        _sign_in(client, make_user(role))
        assert client.get("/dispatch").status_code == 403, role


def test_the_board_shows_windows_shifts_and_an_unplanned_day(
    client: FlaskClient, make_user: Any, fleet: Any, day_bookings: Any
) -> None:
    _sign_in(client, make_user("dispatcher"))
    page = client.get(DAY).get_data(as_text=True)
    assert "17:30–20:00" in page  # the evening window
    assert "Kurier 1" in page and "Lastenrad 1" in page
    assert "Dieser Tag ist noch nicht geplant." in page
    assert "Tag planen" in page


def test_planning_from_the_board_shows_the_map_routes_and_sheets_after_publishing(
    client: FlaskClient, make_user: Any, fleet: Any, day_bookings: Any, db_session: Any
) -> None:
    _sign_in(client, make_user("dispatcher"))
    plan_id = _plan(client)
    page = client.get(f"{DAY}&plan={plan_id}").get_data(as_text=True)
    plan = db_session.get(Plan, plan_id)
    assert plan.routes
    assert page.count('class="route-line"') == len(plan.routes)
    assert 'class="hub"' in page
    fragment = client.get(f"/dispatch/plans/{plan_id}/progress").get_data(as_text=True)
    assert 'id="plan"' in fragment and "every 1s" not in fragment  # done: no more polling
    token = _csrf(client, DAY)
    answer = client.post(f"/dispatch/plans/{plan_id}/publish", data={"csrf_token": token})
    assert answer.status_code == 302
    page = client.get(f"{DAY}&plan={plan_id}").get_data(as_text=True)
    route = plan.routes[0]
    assert f"/dispatch/plans/{plan_id}/sheets/{route.id}.html" in page
    sheet = client.get(f"/dispatch/plans/{plan_id}/sheets/{route.id}.html")
    assert sheet.status_code == 200 and "<svg" in sheet.get_data(as_text=True)
    assert "'unsafe-inline'" not in sheet.headers["Content-Security-Policy"]
    assert "style-src 'sha256-" in sheet.headers["Content-Security-Policy"]
    pdf = client.get(f"/dispatch/plans/{plan_id}/sheets/{route.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_running_plan_is_polled_every_second(
    client: FlaskClient, make_user: Any, fleet: Any, day_bookings: Any, db_session: Any
) -> None:
    from louise import clock
    from louise.dispatch import service

    dispatcher = make_user("dispatcher")
    plan = service.request_plan(db_session, dispatcher, MONDAY, clock.now())
    _sign_in(client, dispatcher)
    fragment = client.get(f"/dispatch/plans/{plan.id}/progress").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment
    assert "Planung läuft" in fragment


def test_a_move_with_a_bad_stop_number_is_refused_beside_the_field(
    client: FlaskClient, make_user: Any, fleet: Any, day_bookings: Any, db_session: Any
) -> None:
    _sign_in(client, make_user("dispatcher"))
    plan_id = _plan(client)
    plan = db_session.get(Plan, plan_id)
    route = plan.routes[0]
    leg_id = next(s.leg_id for s in route.stops if s.leg_id)
    token = _csrf(client, DAY)
    answer = client.post(
        f"/dispatch/plans/{plan_id}/move",
        data={"leg_id": leg_id, "route_id": route.id, "position": "x", "csrf_token": token},
    )
    assert answer.status_code == 422
    assert "Geben Sie eine Stoppnummer ab 1 ein" in answer.get_data(as_text=True)


def test_another_plans_route_sheet_is_not_found(
    client: FlaskClient, make_user: Any, fleet: Any, day_bookings: Any, db_session: Any
) -> None:
    _sign_in(client, make_user("dispatcher"))
    plan_id = _plan(client)
    route = db_session.get(Plan, plan_id).routes[0]
    assert client.get(f"/dispatch/plans/{plan_id + 1}/sheets/{route.id}.html").status_code == 404
