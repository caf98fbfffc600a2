"""The load benchmark's ``server p99`` reads the app's own JSON access lines: these are
written by the real app, so a change of the access line that the benchmark no longer
understands fails here, not silently as an empty column."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from benchmarks.api.run import percentile, server_durations
from louise import logs

LOCUST_NAMES = [
    "GET /healthz",
    "GET /merchants/1",
    "GET /offers?limit=20",
    "GET /track/{token}",
    "POST /courier/stops/{id}/complete",
]


@pytest.fixture()
def json_lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    logs.configure_logging("json", "INFO", stream=stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def test_each_access_line_counts_for_the_locust_name_of_its_request(client, json_lines):
    client.get("/healthz")
    client.get("/healthz")
    client.get("/api/v1/merchants/1")
    client.get("/api/v1/merchants/12")  # another shop: not "GET /merchants/1"
    client.get("/api/v1/offers?limit=20&offset=40")
    client.get("/api/v1/track/a-secret-token")  # masked in the line: /api/v1/track/***
    client.post("/api/v1/courier/stops/77/complete", json={})  # 401 without a token
    lines = json_lines.getvalue().splitlines()
    lines.append("[2026-12-02 16:45:01 +0000] [12] [INFO] Booting worker with pid: 12")

    found = server_durations(lines, LOCUST_NAMES)

    assert {name: len(ms) for name, ms in found.items()} == {
        "GET /healthz": 2,
        "GET /merchants/1": 1,
        "GET /offers?limit=20": 1,
        "GET /track/{token}": 1,
        "POST /courier/stops/{id}/complete": 1,
    }
    assert all(ms >= 0 for durations in found.values() for ms in durations)


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 99) == 99.0
    assert percentile(values, 50) == 50.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 99) is None
