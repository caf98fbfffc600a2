"""What ``gunicorn wsgi:app`` reads from the repository: gunicorn.conf.py and wsgi.py."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in ("WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_one_worker_per_core_unless_web_concurrency_says_otherwise(monkeypatch):
    assert _settings(monkeypatch)["workers"] == (os.cpu_count() or 1)
    assert _settings(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3


def test_a_dead_workers_gauges_are_dropped_in_multiprocess_mode(monkeypatch, tmp_path):
    gauge_file = tmp_path / "gauge_livesum_4242.db"
    gauge_file.write_bytes(b"")
    settings = _settings(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    settings["child_exit"](None, SimpleNamespace(pid=4242))
    assert not gauge_file.exists()
    other = tmp_path / "gauge_livesum_4343.db"
    other.write_bytes(b"")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    settings["child_exit"](None, SimpleNamespace(pid=4343))
    assert other.exists()  # not in multiprocess mode: nothing to drop


def test_the_worker_app_is_out_of_the_collectors_reach(tmp_path):
    """wsgi.py freezes what the app loaded: a full collection then skips it."""
    code = "import gc, wsgi; print(gc.get_freeze_count())"
    env = {
        **os.environ,
        "LOUISE_DATABASE_URL": f"sqlite:///{tmp_path / 'louise.db'}",
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert int(out) > 50_000  # the modules, schemas and tables of the app
