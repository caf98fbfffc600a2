"""A planning run whose worker died (a ``running`` or ``queued`` plan past its lease, the real
state a SIGKILLed Celery worker leaves in the database) is failed, and its day can be
planned again, with nobody touching the database. The real kill of a worker is in
``benchmarks/api/faults.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from louise.dispatch import service
from louise.dispatch.models import Plan, PlanStatus
from tests.support.bookings import MONDAY_10
from tests.support.dispatch import MONDAY

LEASE = timedelta(seconds=120)  # the default of LOUISE_PLANNING_LEASE_SECONDS


def _left_behind(db_session: Session, status: PlanStatus, age: timedelta, version: int = 1) -> Plan:
    """A plan as a dead worker leaves it: still holding its day."""
    since = MONDAY_10 - age
    plan = Plan(
        day=MONDAY,
        version=version,
        status=status,
        running_day=MONDAY,
        created_at=since,
        started_at=since if status == PlanStatus.RUNNING else None,
    )
    db_session.add(plan)
    db_session.commit()
    return plan


@pytest.mark.parametrize("status", [PlanStatus.RUNNING, PlanStatus.QUEUED])
def test_a_run_past_its_lease_is_failed_and_the_day_is_planned_again(
    client: Any,
    auth_headers: Any,
    now: Any,
    fleet: Any,
    day_bookings: Any,
    db_session: Session,
    status: PlanStatus,
) -> None:
    dispatcher = auth_headers("dispatcher")
    lost = _left_behind(db_session, status, LEASE + timedelta(seconds=1))

    again = client.post("/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher)
    old = client.get(f"/api/v1/plans/{lost.id}", headers=dispatcher)

    assert again.status_code == 202, again.json
    assert again.json["version"] == 2
    assert client.get(f"/api/v1/plans/{again.json['id']}", headers=dispatcher).json["status"] == (
        "draft"
    )
    assert old.json["status"] == "failed"
    assert old.json["error"] == "worker lost (lease expired)"


def test_a_run_within_its_lease_still_holds_the_day(
    client: Any, auth_headers: Any, now: Any, db_session: Session
) -> None:
    dispatcher = auth_headers("dispatcher")
    running = _left_behind(db_session, PlanStatus.RUNNING, LEASE - timedelta(seconds=5))

    again = client.post("/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher)
    still = client.get(f"/api/v1/plans/{running.id}", headers=dispatcher)

    assert again.status_code == 409
    assert again.json["error"] == "planning_in_progress"
    assert still.json["status"] == "running"


def test_reading_the_plans_shows_a_lost_run_failed(
    client: Any, auth_headers: Any, now: Any, db_session: Session
) -> None:
    dispatcher = auth_headers("dispatcher")
    lost = _left_behind(db_session, PlanStatus.RUNNING, timedelta(minutes=10))

    listed = client.get(f"/api/v1/plans?date={MONDAY.isoformat()}", headers=dispatcher)

    assert [(p["id"], p["status"]) for p in listed.json["items"]] == [(lost.id, "failed")]
    db_session.expire_all()
    assert db_session.get(Plan, lost.id).running_day is None


def test_a_worker_back_after_its_lease_cannot_store_its_plan(
    fleet: Any, day_bookings: Any, db_session: Session, make_user: Any
) -> None:
    dispatcher = make_user("dispatcher")
    plan = service.request_plan(db_session, dispatcher, MONDAY, MONDAY_10)
    settings = service.PlanningSettings(hub=(51.5236, 6.9285), time_limit=1.0)

    def writer_that_outlives_its_lease(session: Session, route: Any, stops: Any) -> None:
        service.write_stops(session, route, stops)
        # meanwhile the lease ran out and a sweep failed the run (as another process would)
        session.connection().execute(
            Plan.__table__.update()
            .where(Plan.id == plan.id)
            .values(status="failed", error=service.WORKER_LOST, running_day=None)
        )

    with pytest.raises(service.PlanLost):
        service.run_plan(
            db_session,
            plan.id,
            settings,
            lambda: MONDAY_10,
            stop_writer=writer_that_outlives_its_lease,
        )
    db_session.expire_all()
    stored = db_session.get(Plan, plan.id)
    assert stored.status == PlanStatus.FAILED and stored.routes == []


def test_a_running_plan_holds_its_day_for_its_time_limit_plus_the_lease(
    fleet: Any, day_bookings: Any, db_session: Session, make_user: Any
) -> None:
    dispatcher = make_user("dispatcher")
    plan = service.request_plan(db_session, dispatcher, MONDAY, MONDAY_10)
    settings = service.PlanningSettings(hub=(51.5236, 6.9285), time_limit=1.0, lease=60)
    seen: dict[str, Any] = {}

    def watching_writer(session: Session, route: Any, stops: Any) -> None:
        seen["lease_until"] = service.lease_until(session.get(Plan, plan.id))
        service.write_stops(session, route, stops)

    service.run_plan(db_session, plan.id, settings, lambda: MONDAY_10, stop_writer=watching_writer)

    assert seen["lease_until"] == MONDAY_10 + timedelta(seconds=61)
