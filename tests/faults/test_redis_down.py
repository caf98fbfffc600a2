"""Redis (the Celery broker) is down: ``POST /plans`` neither hangs nor fails; the run goes
to a thread of the web process within the broker timeout, says so (``runner: "thread"``)
and the day is planned."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.bookings.server import _free_port as free_port
from tests.bookings.server import live_server
from tests.dispatch.test_planning_runs import post_plan_call, seed_planning_day, wait_for_plan


@pytest.mark.slow
def test_planning_with_the_broker_down_runs_in_the_web_process(tmp_path: Path) -> None:
    env = {
        "LOUISE_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        "LOUISE_BROKER_TIMEOUT": "1",
        "LOUISE_PLANNING_TIME_LIMIT": "1",
        "LOUISE_PLANNING_INLINE": "0",
    }
    with live_server(tmp_path, env=env) as live:
        day = seed_planning_day(live, bookings=3)

        started = time.monotonic()
        accepted = post_plan_call(live, day)(requests.Session())
        took = time.monotonic() - started
        plan = wait_for_plan(live, accepted.json()["id"], timeout=60)

        log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["runner"] == "thread"
    assert took < 8, f"POST /plans took {took:.1f} s with the broker down"
    assert plan["status"] == "draft", plan
    assert "broker unreachable" in log
