"""Faults survived, measured: PostgreSQL restarted under a booking load, and a Celery worker
SIGKILLed in the middle of a planning run. Prints what it measured; asserts nothing.

    python -m benchmarks.api.faults                       # both scenarios
    python -m benchmarks.api.faults postgres --threads 8 --down 3
    python -m benchmarks.api.faults celery

Both start their own PostgreSQL (initdb into a temporary folder, a free port; never the
shared server) and a real ``gunicorn -w 4``; the Celery scenario needs Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import requests

from tests.bookings.server import ROOT, SECRET, live_server
from tests.faults.outage import bookings_in_database, own_postgres, restart_under_load


def postgres_restart(threads: int, before: float, down: float, after: float) -> None:
    env = {
        "LOUISE_MAX_OPEN_BOOKINGS_PER_DAY": "1000",
        "LOUISE_IDEMPOTENCY_STALE_SECONDS": "3",
        "LOUISE_DATABASE_RETRY_AFTER": "1",
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        own_postgres() as server,
        live_server(Path(tmp), env=env, database_url=server.url) as live,
    ):
        outcome = restart_under_load(
            live, server, threads=threads, before=before, down=down, after=after
        )
        per_customer, stored = bookings_in_database(live)
    statuses = outcome.statuses()
    rows = sum(per_customer.values())
    replayed_twice = sum(1 for n in per_customer.values() if n > 1)
    matches = stored == {k: b for k, (_, b) in outcome.booked.items()}
    print("== PostgreSQL restart under a booking load ==")
    print(f"clients {threads}, load {before:.0f} s + down {down:.0f} s + {after:.0f} s after")
    print(f"requests             {len(outcome.attempts)}")
    print(f"201                  {statuses[201]}")
    print(f"503 (Retry-After)    {statuses[503]}")
    print(f"500                  {statuses[500]}")
    print(f"409 (key in use)     {statuses[409]}")
    print(f"no answer            {statuses[0]}")
    print(f"recovery seconds     {outcome.recovery_seconds():.2f}")
    print(f"keys with a 201      {len(outcome.booked)}")
    print(f"booking rows         {rows}")
    print(f"customers with >1    {replayed_twice}")
    print(f"stored answers match {matches}")


def celery_worker_killed(lease: float) -> None:
    from tests.dispatch.test_planning_runs import (
        _redis_db_url,
        celery_worker,
        post_plan_call,
        seed_planning_day,
        wait_for_plan,
    )

    queue = f"louise-faults-{uuid.uuid4().hex[:10]}"
    env = {
        "LOUISE_BROKER_URL": _redis_db_url(),
        "LOUISE_PLANNING_QUEUE": queue,
        "LOUISE_PLANNING_TIME_LIMIT": "15",  # slow enough to be killed mid-solve
        "LOUISE_PLANNING_LEASE_SECONDS": str(lease),
        "LOUISE_PLANNING_INLINE": "0",
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        own_postgres() as server,
        live_server(Path(tmp), env=env, database_url=server.url) as live,
    ):
        day = seed_planning_day(live, bookings=6)
        worker_env = {
            **os.environ,
            **env,
            "LOUISE_DATABASE_URL": live.database_url,
            "LOUISE_SECRET_KEY": SECRET,
            "LOUISE_ENV": "testing",
            "PYTHONPATH": str(ROOT),
        }
        headers = live.headers(live.dispatcher_id)
        with celery_worker(worker_env, Path(tmp) / "celery-1.log") as worker:
            accepted = post_plan_call(live, day)(requests.Session()).json()
            plan_url = f"{live.url}/api/v1/plans/{accepted['id']}"
            while requests.get(plan_url, headers=headers, timeout=10).json()["status"] != "running":
                time.sleep(0.1)
            time.sleep(1)  # inside the solver
            solver_children = _children(worker.pid)  # the solver's process pool
            os.kill(worker.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            worker.wait(timeout=10)
        blocked = post_plan_call(live, day)(requests.Session())
        while True:
            plan = requests.get(plan_url, headers=headers, timeout=10).json()
            if plan["status"] == "failed":
                break
            time.sleep(0.2)
        failed_after = time.monotonic() - killed_at
        orphans = [pid for pid in solver_children if _alive(pid)]
        for pid in orphans:  # they outlive their worker; ours to clean up
            os.kill(pid, signal.SIGKILL)
        lease_span = (
            datetime.fromisoformat(plan["stats"]["lease_until"])
            - datetime.fromisoformat(plan["started_at"].replace("Z", "+00:00"))
        ).total_seconds()
        with celery_worker(worker_env, Path(tmp) / "celery-2.log"):
            again = post_plan_call(live, day)(requests.Session())
            replanned = wait_for_plan(live, again.json()["id"], timeout=120)
    print("== Celery worker SIGKILLed mid-plan ==")
    print(f"lease                          {lease:.0f} s (time limit 15 s)")
    print(f"POST /plans right after kill   {blocked.status_code} {blocked.json().get('error')}")
    print(f"plan failed after kill         {failed_after:.1f} s, error: {plan['error']!r}")
    print(f"lease_until - started_at       {lease_span:.1f} s")
    print(f"solver processes orphaned      {len(orphans)} of {len(solver_children)} (killed here)")
    print(f"POST /plans after the lease    {again.status_code}")
    print(f"new plan                       v{replanned['version']} {replanned['status']}")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="all", choices=["all", "postgres", "celery"])
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--before", type=float, default=3)
    parser.add_argument("--down", type=float, default=2)
    parser.add_argument("--after", type=float, default=6)
    parser.add_argument("--lease", type=float, default=8)
    args = parser.parse_args(argv)
    if args.scenario in ("all", "postgres"):
        postgres_restart(args.threads, args.before, args.down, args.after)
    if args.scenario in ("all", "celery"):
        celery_worker_killed(args.lease)
    return 0


if __name__ == "__main__":
    sys.exit(main())
