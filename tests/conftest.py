"""The fixture trio (app, client, auth_headers) plus the database per run, rollback per test.

The suite runs on SQLite by default and on PostgreSQL when ``LOUISE_TEST_DATABASE_URL`` is set.
Every run gets its own database (SQLite: a temp file; PostgreSQL: a fresh schema), migrated with
Alembic, so that runs never share state.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from louise import create_app
from louise.auth import passwords
from louise.auth.models import AccountStatus, Role, User
from louise.config import config_for_tests
from louise.extensions import db
from tests.support.database import PG_URL_ENV, fresh_database, postgres_base_url

TEST_PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = passwords.hash_password(TEST_PASSWORD)  # hashing once keeps the suite fast

# the domain fixtures live in one place, tests/support, and every test package may use them
pytest_plugins = [
    "tests.support.merchants",
    "tests.support.bookings",
    "tests.support.dispatch",
    "tests.support.courier",
    "tests.support.browser",
]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database for this test run."""
    with fresh_database(tmp_path_factory.mktemp("db"), "louise_test") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    application = create_app(config_for_tests(database_url))
    yield application
    db.engine_for(application).dispose()


@pytest.fixture()
def db_connection(app: Flask) -> Iterator[Connection]:
    """One outer transaction per test, rolled back afterwards."""
    engine = db.engine_for(app)
    connection = engine.connect()
    transaction = connection.begin()
    db.bind_app_to(app, connection)
    try:
        yield connection
    finally:
        db.bind_app_to(app, None)
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@pytest.fixture()
def db_session(app: Flask, db_connection: Connection) -> Iterator[Session]:
    """The same session the app's views use during this test."""
    with app.app_context():
        yield db.session()
        db.session.remove()


@pytest.fixture()
def client(app: Flask, db_connection: Connection) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def make_user(db_session: Session) -> Callable[..., User]:
    counter = {"n": 0}

    def factory(role: Role | str = Role.CUSTOMER, **kw: Any) -> User:
        counter["n"] += 1
        role = Role(role)
        n = counter["n"]
        user = User(
            email=kw.pop("email", f"{role.value}{n}-{uuid.uuid4().hex[:6]}@example.test"),
            password_hash=kw.pop("password_hash", _PASSWORD_HASH),
            role=role,
            status=kw.pop("status", AccountStatus.ACTIVE),
            name=kw.pop("name", f"{role.value.title()} {n}"),
            phone=kw.pop("phone", None),
            **kw,
        )
        db_session.add(user)
        db_session.commit()
        return user

    return factory


@pytest.fixture()
def auth_headers(app: Flask, make_user: Callable[..., User]) -> Callable[..., dict[str, str]]:
    """``auth_headers("merchant")`` or ``auth_headers(user)`` → an Authorization header."""
    from flask_jwt_extended import create_access_token

    def factory(who: User | Role | str) -> dict[str, str]:
        user = who if isinstance(who, User) else make_user(Role(who))
        with app.app_context():
            token = create_access_token(identity=user, additional_claims={"role": user.role.value})
        return {"Authorization": f"Bearer {token}"}

    return factory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests run in the PostgreSQL pass of ``make test``; the SQLite pass skips
    them with a reason. In CI the PostgreSQL pass always runs, and an unreachable server fails."""
    if postgres_base_url() is not None:
        return
    reason = f"PostgreSQL-only: runs in the PostgreSQL pass ({PG_URL_ENV})"
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))
