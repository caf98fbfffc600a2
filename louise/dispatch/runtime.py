"""Flask side of planning: settings from the config, and where a planning run executes.

With ``LOUISE_BROKER_URL`` set, a Celery worker on Redis runs it (``louise.dispatch.tasks``);
without it, a thread in this process does (the embedded default). ``LOUISE_PLANNING_INLINE``
runs it inside the request (tests, scripts).

When the broker cannot be reached (Redis down), the run is not lost and the request does not
hang: queuing gives up after ``LOUISE_BROKER_TIMEOUT`` seconds, the run goes to a thread of
this process instead (``runner: "thread"``) and a warning is logged. A run whose process dies
is failed after its lease (``LOUISE_PLANNING_LEASE_SECONDS``, see ``service.expire_lost_runs``).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from louise import clock, logs
from louise.bookings.runtime import get_context
from louise.dispatch import service
from louise.dispatch.courier.common import CourierSettings
from louise.extensions import db

log = logging.getLogger(__name__)

MULTIPART_OVERHEAD = 64 * 1024  # form boundaries and headers around an uploaded proof


def courier_settings() -> CourierSettings:
    """What stop handling needs besides the database, from the app config (the courier API
    and the courier's page)."""
    cfg = current_app.config
    ctx = get_context()
    upload_dir = cfg.get("UPLOAD_DIR") or str(Path(current_app.instance_path) / "uploads")
    return CourierSettings(
        policy=ctx.policy,
        hub=ctx.hub,
        upload_dir=Path(upload_dir),
        max_upload_bytes=cfg["MAX_UPLOAD_BYTES"],
        fallback=bool(cfg["FAILED_DELIVERY_FALLBACK"]),
    )


def planning_settings(config: Any) -> service.PlanningSettings:
    return service.PlanningSettings(
        hub=(config["HUB_LAT"], config["HUB_LON"]),
        time_limit=config["PLANNING_TIME_LIMIT"],
        seed=config["PLANNING_SEED"],
        threads=config["PLANNING_THREADS"],
        lease=config["PLANNING_LEASE_SECONDS"],
    )


def planning_lease(config: Any) -> timedelta:
    """How long a queued run holds its day, and a running one beyond its time limit."""
    return timedelta(seconds=config["PLANNING_LEASE_SECONDS"])


def run_in_app(app: Flask, plan_id: int, request_id: str | None = None) -> None:
    """Run a queued plan with a fresh session of ``app`` (thread or worker); its log lines
    carry ``request_id``, the id of the request that queued it (a fresh one when None)."""
    with logs.request_id_bound(request_id), app.app_context():
        log.info("planning run %s started", plan_id)
        try:
            plan = service.run_plan(db.session(), plan_id, planning_settings(app.config), clock.now)
            log.info("planning run %s finished: %s", plan_id, plan.status.value)
        except Exception:  # the plan row records the failure; keep the worker alive
            log.exception("planning run %s failed", plan_id)
        finally:
            db.session.remove()


def dispatch_plan(plan_id: int) -> str:
    """Start the run of a queued plan; returns how it runs ("inline", "thread", "celery")."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("PLANNING_INLINE"):
        try:
            service.run_plan(db.session(), plan_id, planning_settings(app.config), clock.now)
        except Exception:
            log.exception("planning run %s failed", plan_id)
        return "inline"
    if app.config.get("BROKER_URL"):
        from kombu.exceptions import OperationalError

        try:
            _queue(
                app.config["BROKER_URL"],
                app.config["BROKER_TIMEOUT"],
                plan_id,
                logs.current_request_id(),
            )
            return "celery"
        except OperationalError as exc:
            log.warning(
                "broker unreachable (%s): planning run %s runs in this process instead",
                exc,
                plan_id,
            )
    # a new thread starts with an empty context: hand the request id over explicitly
    thread = threading.Thread(
        target=run_in_app, args=(app, plan_id, logs.current_request_id()), daemon=True
    )
    thread.start()
    return "thread"


def _queue(broker_url: str, timeout: float, plan_id: int, request_id: str | None) -> None:
    """Queue the run on the broker, or raise kombu's ``OperationalError`` within about
    ``timeout`` seconds (no retries: the caller has a fallback)."""
    from louise.dispatch.tasks import celery_app, plan_day_task

    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    with celery_app.connection_for_write(
        broker_url, connect_timeout=timeout, transport_options=options
    ) as connection:
        plan_day_task.apply_async(
            (plan_id,), {"request_id": request_id}, connection=connection, retry=False
        )
