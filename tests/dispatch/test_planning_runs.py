"""Planning runs: one run per day under real concurrency, a crash while saving leaves the
previous plan alone, stored plans pass the independent validator with the ETAs recomputed
from the matrix, and a real Celery worker on Redis runs a plan."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.auth.models import Role
from louise.bookings.models import Leg
from louise.dispatch import adapters, service
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop
from louise.fleet.models import District, Shift, Vehicle, VehicleKind
from louise.routing import (
    HaversineProvider,
    ProfileSpeed,
    Route,
    Solution,
    Step,
    Unassigned,
    validate,
    with_matrices,
)
from tests.bookings.server import (
    REQUEST_TIMEOUT,
    ROOT,
    SECRET,
    Live,
    bookable_slots,
    booking_body,
    fire_together,
    live_server,
    plain_user,
)
from tests.support.dispatch import HOMES, HUB, MONDAY

BERLIN = ZoneInfo("Europe/Berlin")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


# --- the independent check of a stored plan ----------------------------------------------------


def check_stored_plan(session: Session, plan_id: int, hub: tuple[float, float]) -> None:
    """Rebuild the problem and the solution from the rows of plan ``plan_id``; the validator
    accepts it, and every stored ETA equals an arrival recomputed from the matrix (±1 s)."""
    plan = session.get(Plan, plan_id)
    assert plan is not None and plan.status in (PlanStatus.DRAFT, PlanStatus.PUBLISHED)
    leg_ids = {s.leg_id for r in plan.routes for s in r.stops if s.leg_id is not None}
    leg_ids |= {u.leg_id for u in plan.unassigned}
    legs = [session.get(Leg, leg_id) for leg_id in sorted(leg_ids)]
    shifts = session.scalars(select(Shift).where(Shift.day == plan.day)).all()
    districts = session.scalars(select(District)).all()
    day_problem = adapters.build_problem(plan.day, legs, shifts, districts, hub)
    origin = adapters.day_origin(plan.day)
    assert origin == day_problem.origin

    routes = []
    for route in plan.routes:
        shift = day_problem.shifts[route.shift_id]
        break_ids = iter(range(1, len(shift.breaks or []) + 1))
        steps = [
            Step(
                type=stop.type.value,
                id=next(break_ids) if stop.type.value == "break" else stop.leg_id,
                arrival=adapters.to_seconds(stop.eta, origin),
                waiting_time=stop.waiting_s,
                service=stop.service_s,
                load=(stop.load_l, stop.load_kg),
            )
            for stop in route.stops
        ]
        routes.append(Route(vehicle=route.shift_id, steps=tuple(steps)))
    unassigned = [
        Unassigned(id=u.leg_id, type=kind, reason=u.reason)
        for u in plan.unassigned
        for kind in ("pickup", "delivery")
    ]
    solution = Solution(routes=tuple(routes), unassigned=tuple(unassigned))
    report = validate(day_problem.problem, solution)
    assert report.ok, str(report)

    # arrivals recomputed with the vehicles' own speeds, independently of the solver
    speeds = {adapters.PROFILE[s.vehicle.kind]: ProfileSpeed(s.vehicle.speed_kmh) for s in shifts}
    problem = with_matrices(day_problem.problem, HaversineProvider(speeds=speeds))
    vehicles = {v.id: v for v in problem.vehicles}
    place = {}
    for shipment in problem.shipments:
        place[("pickup", shipment.pickup.id)] = shipment.pickup.location.index
        place[("delivery", shipment.delivery.id)] = shipment.delivery.location.index
    checked = 0
    for route in plan.routes:
        vehicle = vehicles[route.shift_id]
        durations = problem.matrices[vehicle.profile].durations
        stops: list[PlanStop] = list(route.stops)
        assert stops[0].type.value == "start" and stops[-1].type.value == "end"
        here = vehicle.start.index
        free_at = adapters.to_seconds(stops[0].eta, origin) + stops[0].waiting_s
        for stop in stops[1:]:
            stored = adapters.to_seconds(stop.eta, origin)
            if stop.type.value == "break":
                # a break is taken on the way: it starts when the vehicle is free (or later,
                # inside its window) and delays the next arrival by its length
                assert stored >= free_at - 1, (route.id, stop.seq, stored, free_at)
                free_at = stored + stop.waiting_s + stop.service_s
                continue
            target = (
                vehicle.end.index
                if stop.type.value == "end"
                else place[(stop.type.value, stop.leg_id)]
            )
            expected = free_at + float(durations[here, target])
            assert abs(stored - expected) <= 1.0, (route.id, stop.seq, stored, expected)
            checked += 1
            free_at = stored + stop.waiting_s + stop.service_s
            here = target
    assert checked >= len(plan.routes)


# --- in-process: ETAs and the crash while saving ------------------------------------------------


def _clock() -> datetime:
    return datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))


SETTINGS = service.PlanningSettings(hub=HUB, time_limit=1.0)


def test_every_stored_plan_passes_the_validator_and_its_etas_are_recomputable(
    db_session, fleet, day_bookings, make_user
):
    dispatcher = make_user("dispatcher")
    first = service.request_plan(db_session, dispatcher, MONDAY, _clock())
    first = service.run_plan(db_session, first.id, SETTINGS, _clock)
    service.publish_plan(db_session, dispatcher, first.id, _clock())
    second = service.request_plan(db_session, dispatcher, MONDAY, _clock())
    second = service.run_plan(db_session, second.id, SETTINGS, _clock)
    stored = db_session.scalars(
        select(Plan.id).where(Plan.status.in_([PlanStatus.DRAFT, PlanStatus.PUBLISHED]))
    ).all()
    assert sorted(stored) == sorted([first.id, second.id])
    for plan_id in stored:
        check_stored_plan(db_session, plan_id, HUB)


def _snapshot(session: Session, plan_id: int) -> list[tuple[Any, ...]]:
    rows = session.execute(
        select(
            PlanRoute.id,
            PlanRoute.shift_id,
            PlanStop.id,
            PlanStop.seq,
            PlanStop.leg_id,
            PlanStop.eta,
            PlanStop.status,
        )
        .join(PlanStop, PlanStop.route_id == PlanRoute.id)
        .where(PlanRoute.plan_id == plan_id)
        .order_by(PlanRoute.id, PlanStop.seq)
    ).all()
    return [tuple(r) for r in rows]


class WriterCrashed(RuntimeError):
    pass


def test_a_crash_while_saving_leaves_the_previous_plan_and_no_half_plan(
    db_session, fleet, day_bookings, make_user
):
    dispatcher = make_user("dispatcher")
    first = service.request_plan(db_session, dispatcher, MONDAY, _clock())
    service.run_plan(db_session, first.id, SETTINGS, _clock)
    service.publish_plan(db_session, dispatcher, first.id, _clock())
    before = _snapshot(db_session, first.id)
    legs_before = [
        (leg.id, leg.locked, leg.courier_id)
        for leg in db_session.scalars(select(Leg).order_by(Leg.id))
    ]
    assert len(before) > 4

    written = {"stops": 0}

    def crashing_writer(session, route, stops):
        for stop in stops:
            if written["stops"] == 3:  # halfway through the first route
                raise WriterCrashed("disk full")
            route.stops.append(stop)
            session.flush()
            written["stops"] += 1

    second = service.request_plan(db_session, dispatcher, MONDAY, _clock())
    with pytest.raises(WriterCrashed):
        service.run_plan(db_session, second.id, SETTINGS, _clock, stop_writer=crashing_writer)
    assert written["stops"] == 3

    db_session.expire_all()
    failed = db_session.get(Plan, second.id)
    assert failed.status == PlanStatus.FAILED and "disk full" in failed.error
    assert failed.running_day is None  # the day is free to be planned again
    half = db_session.scalar(
        select(func.count()).select_from(PlanRoute).where(PlanRoute.plan_id == second.id)
    )
    assert half == 0 and failed.unassigned == []
    assert _snapshot(db_session, first.id) == before
    assert db_session.get(Plan, first.id).status == PlanStatus.PUBLISHED
    legs_after = [
        (leg.id, leg.locked, leg.courier_id)
        for leg in db_session.scalars(select(Leg).order_by(Leg.id))
    ]
    assert legs_after == legs_before

    third = service.request_plan(db_session, dispatcher, MONDAY, _clock())
    third = service.run_plan(db_session, third.id, SETTINGS, _clock)
    assert third.status == PlanStatus.DRAFT and third.version == 3
    check_stored_plan(db_session, third.id, HUB)


# --- a real server: planning in a thread, and with a Celery worker ------------------------------


def seed_planning_day(live: Live, bookings: int = 6) -> date:
    """A courier and a bike on shift on a bookable day, and ``bookings`` evening bookings
    booked through the server."""
    day, window = bookable_slots(1)[0]
    with Session(live.engine) as session:
        courier = plain_user(Role.COURIER, "Kurier")
        bike = Vehicle(
            name=f"Lastenrad {uuid.uuid4().hex[:6]}",
            kind=VehicleKind.BIKE,
            capacity_l=200,
            capacity_kg=100,
            speed_kmh=15,
        )
        session.add_all([courier, bike])
        session.flush()
        session.add(
            Shift(
                day=day,
                courier_id=courier.id,
                vehicle_id=bike.id,
                starts_at=datetime.combine(day, datetime.min.time(), BERLIN).replace(hour=8),
                ends_at=datetime.combine(day, datetime.min.time(), BERLIN).replace(hour=21),
                breaks=[],
            )
        )
        session.commit()
    customers = live.customers(bookings)
    with requests.Session() as http:
        for n, customer in enumerate(customers):
            lat, lon = HOMES[n % len(HOMES)]
            body = {
                **booking_body(live.offer_id, day, "evening"),
                "address": {"lat": lat, "lon": lon},
            }
            response = http.post(
                f"{live.url}/api/v1/bookings",
                json=body,
                headers=live.headers(customer),
                timeout=REQUEST_TIMEOUT,
            )
            assert response.status_code == 201, response.text
    assert window  # the day is bookable in some window; the evening wave is used
    return day


def wait_for_plan(live: Live, plan_id: int, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    headers = live.headers(live.dispatcher_id)
    with requests.Session() as http:
        while True:
            plan = http.get(
                f"{live.url}/api/v1/plans/{plan_id}", headers=headers, timeout=REQUEST_TIMEOUT
            ).json()
            if plan["status"] not in ("queued", "running"):
                return dict(plan)
            assert time.monotonic() < deadline, f"plan {plan_id} still {plan['status']}"
            time.sleep(0.2)


def post_plan_call(live: Live, day: date):
    headers = live.headers(live.dispatcher_id)

    def call(http: requests.Session) -> requests.Response:
        return http.post(
            f"{live.url}/api/v1/plans",
            json={"date": day.isoformat()},
            headers=headers,
            timeout=REQUEST_TIMEOUT,
        )

    return call


def _hub() -> tuple[float, float]:
    from louise.config import load_config

    cfg = load_config(str(ROOT / "instance"), {"SECRET_KEY": SECRET})
    return (cfg["HUB_LAT"], cfg["HUB_LON"])


@pytest.mark.slow
def test_two_concurrent_planning_requests_for_one_day_give_one_202_and_one_409(tmp_path):
    env = {"LOUISE_PLANNING_TIME_LIMIT": "3", "LOUISE_PLANNING_INLINE": "0"}
    env["LOUISE_BROKER_URL"] = ""
    with live_server(tmp_path, env=env) as live:
        day = seed_planning_day(live)
        call = post_plan_call(live, day)
        answers = fire_together([call, call], threads=2)
        assert sorted(a.status for a in answers) == [202, 409], [a.body for a in answers]
        accepted = next(a for a in answers if a.status == 202)
        refused = next(a for a in answers if a.status == 409)
        assert accepted.body["runner"] == "thread"
        assert refused.body["error"] == "planning_in_progress"
        plan = wait_for_plan(live, accepted.body["id"])
        assert plan["status"] == "draft", plan
        assert plan["stats"]["validator"] == "ok"
        assert plan["routes"] and plan["unassigned"] == []
        with Session(live.engine) as session:
            check_stored_plan(session, plan["id"], _hub())
        again = post_plan_call(live, day)(requests.Session())
        assert again.status_code == 202  # the run is over: the day can be planned again
        assert wait_for_plan(live, again.json()["id"])["version"] == 2


def _redis_db_url() -> str:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            pass
    except OSError as exc:
        reason = f"Redis at {REDIS_HOST}:{REDIS_PORT} is unreachable ({exc})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI always provides it", pytrace=False)
        pytest.skip(f"{reason}: the Celery test needs a broker")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/7"


@contextmanager
def celery_worker(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "louise.dispatch.tasks",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.mark.slow
def test_a_celery_worker_on_redis_runs_the_plan(tmp_path):
    broker = _redis_db_url()
    queue = f"louise-test-{uuid.uuid4().hex[:10]}"  # never shares a queue with anyone
    env = {
        "LOUISE_BROKER_URL": broker,
        "LOUISE_PLANNING_QUEUE": queue,
        "LOUISE_PLANNING_TIME_LIMIT": "2",
        "LOUISE_PLANNING_INLINE": "0",
    }
    with live_server(tmp_path, env=env) as live:
        day = seed_planning_day(live, bookings=4)
        worker_env = {
            **os.environ,
            **env,
            "LOUISE_DATABASE_URL": live.database_url,
            "LOUISE_SECRET_KEY": SECRET,
            "LOUISE_ENV": "testing",
            "PYTHONPATH": str(ROOT),
        }
        log_path = tmp_path / "celery.log"
        with celery_worker(worker_env, log_path) as worker:
            accepted = post_plan_call(live, day)(requests.Session())
            assert accepted.status_code == 202, accepted.text
            assert accepted.json()["runner"] == "celery"
            request_id = accepted.headers["X-Request-Id"]  # handed to the worker's log lines
            try:
                plan = wait_for_plan(live, accepted.json()["id"], timeout=120)
            except AssertionError:
                raise AssertionError(log_path.read_text(errors="replace")[-3000:]) from None
            assert worker.poll() is None, log_path.read_text(errors="replace")[-3000:]
        assert plan["status"] == "draft", plan
        assert plan["stats"]["validator"] == "ok" and plan["routes"]
        assert "louise.plan_day" in log_path.read_text(errors="replace")
        assert f"[{request_id}] louise.dispatch.runtime: planning run" in log_path.read_text()
        with Session(live.engine) as session:
            check_stored_plan(session, plan["id"], _hub())


# --- the cut-off command ------------------------------------------------------------------------


def test_plan_day_command_plans_and_publishes_a_day(
    app, db_session, fleet, day_bookings, make_user
):
    make_user("dispatcher", email="dispo@example.test")
    result = app.test_cli_runner().invoke(
        args=["plan-day", "--date", MONDAY.isoformat(), "--time-limit", "1", "--publish"]
    )
    assert result.exit_code == 0, result.output
    assert "draft" in result.output and "validator ok" in result.output
    assert "published by dispo@example.test" in result.output
    plan = db_session.scalars(select(Plan).where(Plan.day == MONDAY)).one()
    assert plan.status == PlanStatus.PUBLISHED


@pytest.mark.parametrize(
    ("moment", "wave"),
    [
        ("2026-11-23T14:00:00+01:00", "2026-11-23"),  # Monday at the cut-off: tonight
        ("2026-11-23T17:45:00+01:00", "2026-11-24"),  # the evening wave is out: tomorrow
        ("2026-11-28T18:00:00+01:00", "2026-11-30"),  # Saturday evening: Monday
    ],
)
def test_the_next_wave_is_tonight_until_the_evening_window_starts(app, moment, wave):
    from louise.cli import next_wave_day

    assert next_wave_day(app.config, datetime.fromisoformat(moment)).isoformat() == wave
