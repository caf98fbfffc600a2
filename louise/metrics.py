"""Prometheus metrics: the metric objects, shared by the web app, services and workers.

A core module (prometheus_client only, no Flask, no domain package): services import it to
count what they did; ``louise.observability`` times requests and serves ``/metrics``.

Under gunicorn with several workers each process has its own counters. Set
``PROMETHEUS_MULTIPROC_DIR`` to an empty, writable folder before the processes start: every
process then writes its values there and :func:`exposition` sums them (docs/operations.md).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Labelled by the URL rule (``/api/v1/bookings/<int:booking_id>``), never the raw path, so the
# number of series stays bounded whatever URLs callers try.
REQUEST_SECONDS = Histogram(
    "louise_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL rule, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BOOKINGS_CREATED = Counter(
    "louise_bookings_created_total",
    "Bookings created (committed), by channel (app or hotline).",
    ["channel"],
)
PLAN_RUNS = Counter(
    "louise_plan_runs_total",
    "Planning runs finished, by outcome (draft or failed).",
    ["outcome"],
)
PLANNER_SECONDS = Histogram(
    "louise_planner_wall_seconds",
    "Wall time of the planner's search in one planning run.",
    buckets=(0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0),
)
UNASSIGNED_LEGS = Counter(
    "louise_plan_unassigned_legs_total",
    "Legs left unassigned, summed over all planning runs.",
)
LAST_UNASSIGNED_LEGS = Gauge(
    "louise_plan_last_unassigned_legs",
    "Legs left unassigned by the most recent planning run.",
    multiprocess_mode="mostrecent",
)


def record_plan_run(outcome: str, unassigned: int | None = None) -> None:
    """Count one finished planning run and, when it produced a plan, its unassigned legs."""
    PLAN_RUNS.labels(outcome=outcome).inc()
    if unassigned is not None:
        UNASSIGNED_LEGS.inc(unassigned)
        LAST_UNASSIGNED_LEGS.set(unassigned)


def status_class(code: int) -> str:
    """``201`` → ``2xx``."""
    return f"{code // 100}xx"


def exposition() -> bytes:
    """The metrics in Prometheus' text format: this process's, or in multiprocess mode the sum
    over every process that wrote to ``PROMETHEUS_MULTIPROC_DIR``."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
