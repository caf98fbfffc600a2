"""A planning worker SIGKILLed mid-search takes its solver processes with it (they used to
run on, orphaned, after a Celery worker was killed: benchmarks/api/faults.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = ROOT / "tests" / "routing" / "data" / "vroom_docs_example.json"
SOLVE = (
    "import sys; from louise.routing.cli import main; "
    f"sys.exit(main(['solve', {str(PROBLEM)!r}, '-t', '30', '--threads', '2']))"
)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
    reason="the solver's process pool runs with 2 or more cores; /proc is Linux",
)
def test_killing_the_planner_kills_its_solver_processes() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    planner = subprocess.Popen([sys.executable, "-c", SOLVE], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while len(_children(planner.pid)) < 2:
            assert planner.poll() is None and time.monotonic() < deadline, "no solver pool"
            time.sleep(0.05)
        time.sleep(0.5)  # inside the search
        children = _children(planner.pid)
        os.kill(planner.pid, signal.SIGKILL)
        planner.wait(timeout=10)

        deadline = time.monotonic() + 5
        while any(_running(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [c for c in children if _running(c)]
    finally:
        if planner.poll() is None:
            planner.kill()
    for pid in left:  # the test's own leftovers (only when it fails)
        os.kill(pid, signal.SIGKILL)
    assert len(children) == 2
    assert left == []
