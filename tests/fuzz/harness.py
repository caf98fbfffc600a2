"""The fuzzing database, app and schemathesis configuration, shared by the fuzz test and the
longer run (``benchmarks/api/fuzz.py``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import schemathesis
from flask import Flask
from sqlalchemy import create_engine, text

from louise import create_app
from louise.config import config_for_tests
from louise.extensions import db

SEED = 20261123


@contextmanager
def fuzz_database(tmp: Path) -> Iterator[str]:
    """A fresh, migrated database of its own: SQLite in ``tmp``, or a new schema in the
    PostgreSQL at ``LOUISE_TEST_DATABASE_URL`` (dropped afterwards)."""
    from louise.cli import migrate_database

    pg = os.environ.get("LOUISE_TEST_DATABASE_URL", "")
    if not pg.startswith("postgresql"):
        url = f"sqlite:///{tmp / 'louise-fuzz.sqlite3'}"
        migrate_database(url)
        yield url
        return
    schema = f"louise_fuzz_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg else "?"
    url = f"{pg}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        migrate_database(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


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
