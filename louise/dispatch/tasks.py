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

from louise.localtime import TZ_NAME

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


@celery_app.task(name="louise.plan_day")
def plan_day_task(plan_id: int) -> None:
    """Run the queued plan ``plan_id``; its status and errors go to the plan's row."""
    from louise.dispatch.runtime import run_in_app

    run_in_app(flask_app(), plan_id)
