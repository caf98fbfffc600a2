"""Apps with rate limits on (the suite's default app has them off, see config_for_tests),
sharing the test's database connection so that its rows and rollback apply; a key prefix of
its own in the real Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection

from louise import create_app
from louise.config import config_for_tests
from louise.extensions import db


@pytest.fixture()
def make_app(database_url: str, db_connection: Connection) -> Iterator[Callable[..., Flask]]:
    """``make_app(RATELIMIT_LOGIN_ACCOUNT="3/minute", ...)``: a fresh app, limits on."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        config = config_for_tests(database_url)
        config.update({"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
        config.update(overrides)
        application = create_app(config)
        db.bind_app_to(application, db_connection)
        made.append(application)
        return application

    yield factory
    for application in made:
        db.bind_app_to(application, None)
        db.engine_for(application).dispose()


REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def _redis_listening() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture()
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the real Redis; its keys are deleted afterwards."""
    if not _redis_listening():
        pytest.skip(f"no Redis on {REDIS_HOST}:{REDIS_PORT}")
    import redis

    prefix = f"louise-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    connection = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=0)
    keys = list(connection.scan_iter(match=f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def own_redis(tmp_path: Any) -> Iterator[SimpleNamespace]:
    """A redis-server of this test's own on a free loopback port, without persistence, that
    the test may stop and start again (the shared Redis is never touched)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    port = _free_port()
    running: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(tmp_path)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        running.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on {port}")

    def stop() -> None:
        process = running.pop()
        process.terminate()
        process.wait(timeout=10)

    start()
    yield SimpleNamespace(url=f"redis://127.0.0.1:{port}/0", start=start, stop=stop)
    while running:
        stop()
