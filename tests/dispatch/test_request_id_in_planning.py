"""A planning run logs under the id of the request that queued it: inline, thread or Celery.

The real worker on Redis is in test_planning_runs.py (its log lines carry the id); here the
task runs in this process, so the hand-over itself is checked quickly.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
from celery.signals import task_prerun

from louise.dispatch import tasks
from tests.support.bookings import MONDAY


def run_lines(caplog: pytest.LogCaptureFixture, plan_id: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if f"planning run {plan_id}" in r.getMessage()]


@pytest.fixture()
def worker_app(app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The task builds its Flask app once per worker; here it is the test app."""
    monkeypatch.setattr(tasks, "_flask_app", app)
    return app


def test_the_task_logs_under_the_request_id_it_is_given(worker_app, caplog):
    caplog.set_level(logging.INFO)
    tasks.plan_day_task.apply(args=(424242,), kwargs={"request_id": "rid-from-web"})
    lines = run_lines(caplog, 424242)
    assert [r.getMessage() for r in lines] == [
        "planning run 424242 started",
        "planning run 424242 failed",  # no such plan: the failure is logged, the worker lives
    ]
    assert {r.request_id for r in lines} == {"rid-from-web"}


def test_a_task_without_a_request_id_logs_under_a_fresh_one(worker_app, caplog):
    caplog.set_level(logging.INFO)
    tasks.plan_day_task.apply(args=(424243,))
    ids = {r.request_id for r in run_lines(caplog, 424243)}
    assert len(ids) == 1 and re.fullmatch(r"[0-9a-f]{32}", ids.pop())


def test_a_malformed_request_id_is_not_carried_into_the_worker(worker_app, caplog):
    caplog.set_level(logging.INFO)
    tasks.plan_day_task.apply(args=(424244,), kwargs={"request_id": "bad id\n{json}"})
    [rid] = {r.request_id for r in run_lines(caplog, 424244)}
    assert re.fullmatch(r"[0-9a-f]{32}", rid)


def test_queuing_a_plan_sends_the_request_id_to_celery(
    worker_app, client, auth_headers, fleet, caplog, monkeypatch
):
    monkeypatch.setitem(worker_app.config, "PLANNING_INLINE", False)
    monkeypatch.setitem(worker_app.config, "BROKER_URL", "memory://")
    sent: list[dict[str, Any]] = []

    def remember(sender: Any = None, kwargs: Any = None, **_: Any) -> None:
        sent.append(dict(kwargs or {}))

    task_prerun.connect(remember, weak=False)
    eager = tasks.celery_app.conf.task_always_eager
    tasks.celery_app.conf.task_always_eager = True  # the task runs here, at .delay()
    caplog.set_level(logging.INFO)
    try:
        r = client.post(
            "/api/v1/plans",
            json={"date": MONDAY.isoformat()},
            headers={**auth_headers("dispatcher"), "X-Request-Id": "rid-plan-42"},
        )
    finally:
        tasks.celery_app.conf.task_always_eager = eager
        task_prerun.disconnect(remember)
    assert r.status_code == 202, r.json
    assert r.json["runner"] == "celery"
    assert sent == [{"request_id": "rid-plan-42"}]
    lines = run_lines(caplog, r.json["id"])
    assert [x.getMessage() for x in lines] == [
        f"planning run {r.json['id']} started",
        f"planning run {r.json['id']} finished: draft",
    ]
    assert {x.request_id for x in lines} == {"rid-plan-42"}


def test_the_planning_thread_logs_under_the_request_id(app, client, caplog, monkeypatch):
    from louise import logs
    from louise.dispatch.runtime import dispatch_plan

    monkeypatch.setitem(app.config, "PLANNING_INLINE", False)
    monkeypatch.setitem(app.config, "BROKER_URL", None)
    caplog.set_level(logging.INFO)
    with app.test_request_context(), logs.request_id_bound("rid-thread"):
        assert dispatch_plan(525252) == "thread"
    deadline = time.monotonic() + 20
    while len(run_lines(caplog, 525252)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = run_lines(caplog, 525252)
    assert [r.getMessage() for r in lines] == [
        "planning run 525252 started",
        "planning run 525252 failed",
    ]
    assert {r.request_id for r in lines} == {"rid-thread"}
