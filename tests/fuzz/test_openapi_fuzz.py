"""schemathesis against the OpenAPI document, on every operation, anonymously and as each role.

The bar: no 5xx, and every answer conforms to the document (status code documented, content
type, body schema, documented headers). Examples and fuzzing (valid and invalid data), a fixed
number of cases per operation and a fixed seed, so that a run is repeatable. The app is the
real one on a database of its own (SQLite, or a PostgreSQL schema in the PostgreSQL pass),
loaded with the Bottrop demo so that generated ids hit real shops, offers, addresses and
bookings; each test (one operation as one role) runs in a transaction that is rolled back.
``benchmarks/api/fuzz.py`` is the longer run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from flask_jwt_extended import create_access_token
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from louise import clock
from louise.auth.models import Role, User
from louise.extensions import db
from tests.fuzz.harness import fuzz_config, fuzz_database, openapi_document, seed_fuzz_data
from tests.support.bookings import MONDAY_10

pytestmark = pytest.mark.slow

#: cases per operation and role in the fuzzing phase (the examples phase adds the documented
#: examples); ``LOUISE_FUZZ_EXAMPLES`` raises it for a longer local run.
MAX_EXAMPLES = int(os.environ.get("LOUISE_FUZZ_EXAMPLES", "5"))

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with fuzz_database(tmp_path_factory.mktemp("fuzz")) as url:
        app = seed_fuzz_data(url, MONDAY_10)
        yield app
        db.engine_for(app).dispose()


@pytest.fixture(scope="module")
def role_headers(fuzz_app: Flask) -> dict[str, dict[str, str]]:
    """A bearer token for the first demo account of each role (they own demo data), and an
    expired one (public views that look at a token then answer 401)."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    with fuzz_app.app_context():
        session = db.session()
        for role in Role:
            user = session.scalars(select(User).where(User.role == role).order_by(User.id)).first()
            assert user is not None, f"the demo has no {role.value}"
            token = create_access_token(identity=user, additional_claims={"role": role.value})
            headers[role.value] = {"Authorization": f"Bearer {token}"}
        expired = create_access_token(
            identity=user, additional_claims={"role": "admin"}, expires_delta=timedelta(-1)
        )
        headers["expired"] = {"Authorization": f"Bearer {expired}"}
        db.session.remove()
    return headers


@pytest.fixture()
def rolled_back(fuzz_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Everything one test writes is rolled back; the clock stands at Monday 10:00."""
    monkeypatch.setattr(clock, "now", lambda: MONDAY_10)
    connection = db.engine_for(fuzz_app).connect()
    transaction = connection.begin()
    db.bind_app_to(fuzz_app, connection)
    try:
        yield
    finally:
        db.bind_app_to(fuzz_app, None)
        if transaction.is_active:
            transaction.rollback()
        connection.close()


schema = schemathesis.openapi.from_dict(openapi_document(), config=fuzz_config(MAX_EXAMPLES))


@pytest.mark.parametrize("role", ["anonymous", *(role.value for role in Role), "expired"])
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_answer_conforms_to_the_document(
    case: Any,
    role: str,
    fuzz_app: Flask,
    role_headers: dict[str, dict[str, str]],
    rolled_back: None,
) -> None:
    case.call_and_validate(app=fuzz_app, headers=role_headers[role], checks=CHECKS)


def test_the_fuzzer_sees_every_api_route(fuzz_app: Flask) -> None:
    """Every route under /api/v1 is in the document, so the test above fuzzes it."""
    documented = {
        (method.upper(), path)
        for path, operations in openapi_document()["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    routed = set()
    for rule in fuzz_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            for method in rule.methods or ():
                if method not in {"HEAD", "OPTIONS"}:
                    routed.add((method, _braced(rule.rule)))
    assert routed == documented
    assert len(documented) >= 70


def _braced(rule: str) -> str:
    """/api/v1/offers/<int:offer_id> → /api/v1/offers/{offer_id}"""
    out, rest = "", rule
    while "<" in rest:
        head, _, tail = rest.partition("<")
        name, _, rest = tail.partition(">")
        out += head + "{" + name.split(":")[-1] + "}"
    return out + rest
