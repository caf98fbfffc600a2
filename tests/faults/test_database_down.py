"""A database that cannot be reached answers 503 ``database_unavailable`` with Retry-After,
in the one error shape, never 500."""

from __future__ import annotations

import socket

import pytest
from flask import Flask
from flask_jwt_extended import create_access_token

from louise import create_app
from louise.config import config_for_tests


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@pytest.fixture(scope="module")
def app_without_database() -> Flask:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/louise?connect_timeout=2"
    return create_app({**config_for_tests(url), "DATABASE_RETRY_AFTER": 3})


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/merchants/1", None),
        ("get", "/api/v1/offers", None),
        ("post", "/api/v1/bookings", {"offer_id": 1, "date": "2026-12-07", "window": "evening"}),
    ],
)
def test_requests_while_the_database_is_down_get_503_with_retry_after(
    app_without_database: Flask, method: str, path: str, body: dict[str, object] | None
) -> None:
    with app_without_database.app_context():
        token = create_access_token(identity="1", additional_claims={"role": "customer"})
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
    client = app_without_database.test_client()

    response = getattr(client, method)(path, json=body, headers=headers)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
    assert response.json == {
        "code": 503,
        "status": "Service Unavailable",
        "error": "database_unavailable",
        "message": "The database is unavailable for a moment; retry after the time in Retry-After.",
    }


def test_readiness_reports_the_database_down(app_without_database: Flask) -> None:
    response = app_without_database.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["code"] == 503
