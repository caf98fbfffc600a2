"""Apps with rate limits on (the suite's default app has them off, see config_for_tests),
sharing the test's database connection so that its rows and rollback apply."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
