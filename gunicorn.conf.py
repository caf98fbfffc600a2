"""gunicorn's settings for louise, read from the working directory (``gunicorn wsgi:app``).

Workers: one per core by default (``WEB_CONCURRENCY`` or ``-w`` sets another number). A
sync worker runs one request at a time in Python; more workers than cores only take turns on
the CPU, and an answer waits for the turns (docs/benchmarks-api.md, "fifth round").
"""

import os
from typing import Any

workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)


def child_exit(server: Any, worker: Any) -> None:
    """A worker that died leaves its gauges in ``PROMETHEUS_MULTIPROC_DIR``: drop them."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
