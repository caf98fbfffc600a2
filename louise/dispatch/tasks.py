"""Celery worker side of planning: ``celery -A louise.dispatch.tasks worker``.

The broker is ``LOUISE_BROKER_URL`` (Redis, e.g. ``redis://127.0.0.1:6379/0``). The web app
queues ``plan_day_task.delay(plan_id)`` (see ``louise.dispatch.runtime.dispatch_plan``); a
worker builds the Flask app once per worker process, from the same ``LOUISE_*`` environment
as the web app, and runs the plan with :func:`louise.dispatch.runtime.run_in_app`. The plan's
row is the job's status (queued → running → draft/failed), read through the API; Celery keeps
no results. Several workers (one machine or many, one per city) share one queue.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from celery import Celery
from celery.signals import setup_logging

from louise.localtime import TZ_NAME
from louise.logs import configure_logging

BROKER_ENV = "LOUISE_BROKER_URL"
QUEUE_ENV = "LOUISE_PLANNING_QUEUE"  # one queue per city when workers serve several

celery_app = Celery("louise", broker=os.environ.get(BROKER_ENV) or None)
celery_app.conf.update(
    task_ignore_result=True,
    task_default_queue=os.environ.get(QUEUE_ENV) or "louise-planning",
    worker_prefetch_multiplier=1,  # plans are long; do not hoard them
    task_serializer="json",
    accept_content=["json"],
    timezone=TZ_NAME,
    broker_connection_retry_on_startup=True,
)
app = celery_app  # ``celery -A louise.dispatch.tasks`` finds ``app``

_flask_app: Any = None
_flask_lock = threading.Lock()


def flask_app() -> Any:
    """The Flask app of this worker process, built on first use."""
    global _flask_app
    with _flask_lock:
        if _flask_app is None:
            from louise import create_app

            _flask_app = create_app()
        return _flask_app


@setup_logging.connect
def _worker_logging(**_kwargs: Any) -> None:
    """The worker logs like the web app (``LOUISE_LOG_FORMAT``, ``LOUISE_LOG_LEVEL``), each
    line of a planning run with the id of the request that queued it."""
    fmt = os.environ.get("LOUISE_LOG_FORMAT") or (
        "json" if os.environ.get("LOUISE_ENV") == "production" else "text"
    )
    configure_logging(fmt, os.environ.get("LOUISE_LOG_LEVEL") or "INFO")


@celery_app.task(name="louise.plan_day")
def plan_day_task(plan_id: int, request_id: str | None = None) -> None:
    """Run the queued plan ``plan_id``; its status and errors go to the plan's row. Its log
    lines carry ``request_id`` (the id of the request that queued it)."""
    from louise.dispatch.runtime import run_in_app

    run_in_app(flask_app(), plan_id, request_id)
