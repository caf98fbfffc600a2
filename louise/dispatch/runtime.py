"""Flask side of planning: settings from the config, and where a planning run executes.

With ``LOUISE_BROKER_URL`` set, a Celery worker on Redis runs it (``louise.dispatch.tasks``);
without it, a thread in this process does (the embedded default). ``LOUISE_PLANNING_INLINE``
runs it inside the request (tests, scripts).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app

from louise import clock, logs
from louise.dispatch import service
from louise.extensions import db

log = logging.getLogger(__name__)


def planning_settings(config: Any) -> service.PlanningSettings:
    return service.PlanningSettings(
        hub=(config["HUB_LAT"], config["HUB_LON"]),
        time_limit=config["PLANNING_TIME_LIMIT"],
        seed=config["PLANNING_SEED"],
        threads=config["PLANNING_THREADS"],
    )


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
        from louise.dispatch.tasks import plan_day_task

        plan_day_task.delay(plan_id, request_id=logs.current_request_id())
        return "celery"
    # a new thread starts with an empty context: hand the request id over explicitly
    thread = threading.Thread(
        target=run_in_app, args=(app, plan_id, logs.current_request_id()), daemon=True
    )
    thread.start()
    return "thread"
