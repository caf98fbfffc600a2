"""The fuzzing database, app and schemathesis configuration, shared by the fuzz test and the
longer run (``benchmarks/api/fuzz.py``)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import schemathesis
from flask import Flask

from louise import create_app
from louise.config import config_for_tests
from louise.extensions import db
from tests.support.database import fresh_database

SEED = 20261123


def fuzz_database(tmp: Path) -> AbstractContextManager[str]:
    """A fresh, migrated database of its own (see ``tests.support.database``)."""
    return fresh_database(tmp, "louise_fuzz")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as the app serves it (building it touches no database)."""
    app = create_app(config_for_tests("sqlite://"))
    document: dict[str, Any] = app.test_client().get("/api/openapi.json").get_json()
    db.engine_for(app).dispose()
    return document


def seed_fuzz_data(url: str, now: datetime) -> Flask:
    """The app on ``url``, loaded with the Bottrop demo (shops, offers, addresses, bookings)."""
    from louise.demo.seed import seed_demo

    app = create_app(
        {
            **config_for_tests(url),
            "PLANNING_TIME_LIMIT": 0.2,
            "RATELIMIT_ENABLED": False,  # rate limits would answer 429 to a fuzzer
        }
    )
    with app.app_context():
        session = db.session()
        seed_demo(session, app.config, now)
        _add_city_account(session)
        session.commit()
        db.session.remove()
    return app


def fuzz_config(max_examples: int) -> schemathesis.Config:
    """Examples and fuzzing (valid and invalid data), deterministic."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "fuzzing": {"enabled": True},
                "coverage": {"enabled": False},
                "stateful": {"enabled": False},
            },
        }
    )


def _add_city_account(session: Any) -> None:
    """The city's read-only account, so that the fuzzer calls every operation as the city
    too (the demo may not have one)."""
    from sqlalchemy import select

    from louise.auth.models import Role, User

    if session.scalar(select(User.id).where(User.role == Role.CITY).limit(1)) is None:
        session.add(User(email="stadt@bottrop.example", role=Role.CITY, name="Stadt Bottrop"))
