"""The cheap read path: views marked ``read_only`` run without a transaction on PostgreSQL
and refuse to write; pooled connections are pinged only after sitting idle."""

from __future__ import annotations

import os
import time

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from louise.db import ReadOnlyViolation, ping_when_idle, read_only_sessions
from louise.extensions import db
from louise.merchants.models import Offer

postgres_only = pytest.mark.skipif(
    not os.environ.get("LOUISE_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL only (SQLite keeps its own transactions)",
)


def _in_transaction(app: Flask, path: str) -> bool:
    """Whether the session of a request to ``path`` holds a transaction after one query."""
    with app.test_request_context(path):
        session = db.session()
        try:
            session.execute(text("SELECT 1"))
            driver = session.connection().connection.driver_connection
            return bool(driver.info.transaction_status != 0)  # 0: IDLE, outside a transaction
        finally:
            db.session.remove()


@postgres_only
def test_read_only_views_run_without_a_transaction_others_in_one(app: Flask) -> None:
    assert not _in_transaction(app, "/api/v1/merchants/1")
    assert not _in_transaction(app, "/api/v1/offers")
    assert _in_transaction(app, "/api/v1/bookings")  # not marked read_only
    assert _in_transaction(app, "/api/v1/merchants/1/exceptions")  # a POST-only route


@postgres_only
def test_a_read_only_session_refuses_to_write(app: Flask) -> None:
    factory = read_only_sessions(db.engine_for(app))
    with factory() as session:
        offer = session.scalars(text("SELECT 1")).first()  # reading is fine
        assert offer == 1
        session.add(Offer(title="never stored", merchant_id=1, price_cents=1))
        with pytest.raises(ReadOnlyViolation):
            session.flush()


def _terminate(database_url: str, pid: int) -> None:
    """End a server process from another connection, as a PostgreSQL restart would."""
    killer = create_engine(database_url)
    try:
        with killer.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        killer.dispose()


@postgres_only
def test_an_idle_connection_killed_meanwhile_is_replaced_on_checkout(database_url: str) -> None:
    engine = create_engine(database_url)
    ping_when_idle(engine, idle_seconds=0.05)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _terminate(database_url, first)
        time.sleep(0.1)
        with engine.connect() as conn:  # the killed one was idle: pinged, found dead, replaced
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    finally:
        engine.dispose()


@postgres_only
def test_a_connection_just_used_is_not_pinged(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    ping_when_idle(engine, idle_seconds=60)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _terminate(database_url, first)
        time.sleep(0.1)
        # no ping within a second of its last use: the request meets the dead connection
        # (the app answers 503 with Retry-After) and the pool starts afresh
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    finally:
        engine.dispose()
