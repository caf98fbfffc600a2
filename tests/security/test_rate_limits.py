"""Rate limits: login per account and per IP, register per IP, booking create per user; the 429
answer; limits off; Redis down (fail open) and the real Redis shared by two apps."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from louise import create_app
from louise.config import ConfigError, config_for_tests
from tests.security.conftest import REDIS_HOST, REDIS_PORT

NOBODY_LISTENS = "redis://127.0.0.1:6390/0"
WRONG = "not the password at all"


def client_from(app: Flask, ip: str = "192.0.2.1") -> FlaskClient:
    """A test client whose requests come from ``ip`` (a documentation address, never contacted)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def login(client: FlaskClient, email: str, **kw: Any) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": WRONG}, **kw)


def assert_rate_limited(response: Any, window_seconds: int) -> None:
    assert response.status_code == 429, response.json
    assert response.json["code"] == 429
    assert response.json["status"] == "Too Many Requests"
    assert response.json["error"] == "rate_limited"
    assert "Try again in" in response.json["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= window_seconds


def test_fourth_login_for_one_account_is_refused_from_any_ip(make_app, make_user):
    app = make_app(RATELIMIT_LOGIN_ACCOUNT="3/minute", RATELIMIT_LOGIN_IP="100/minute")
    user = make_user("customer")
    # three addresses, and the address written in capitals: still one account
    for n, email in enumerate([user.email, user.email.upper(), f"  {user.email} "]):
        assert login(client_from(app, f"192.0.2.{n + 10}"), email).status_code == 401
    assert_rate_limited(login(client_from(app, "198.51.100.7"), user.email), 60)
    # another account from the same addresses is not affected
    assert login(client_from(app, "198.51.100.7"), "someone-else@example.test").status_code == 401


def test_login_from_one_ip_is_limited_across_accounts(make_app):
    app = make_app(RATELIMIT_LOGIN_ACCOUNT="100/minute", RATELIMIT_LOGIN_IP="3/minute")
    client = client_from(app, "192.0.2.20")
    for n in range(3):
        assert login(client, f"guess{n}@example.test").status_code == 401
    assert_rate_limited(login(client, "guess9@example.test"), 60)
    assert login(client_from(app, "192.0.2.21"), "guess9@example.test").status_code == 401


def test_right_password_is_refused_too_once_the_account_is_limited(make_app, make_user):
    from tests.conftest import TEST_PASSWORD

    app = make_app(RATELIMIT_LOGIN_ACCOUNT="2/minute")
    user = make_user("customer")
    client = client_from(app)
    assert login(client, user.email).status_code == 401
    assert login(client, user.email).status_code == 401
    right = client.post("/api/v1/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert_rate_limited(right, 60)


def test_register_is_limited_per_ip(make_app):
    app = make_app(RATELIMIT_REGISTER_IP="2/hour")
    client = client_from(app, "192.0.2.30")

    def register() -> Any:
        body = {
            "email": f"new-{uuid.uuid4().hex[:8]}@example.test",
            "password": "a long enough password",
            "name": "Neu",
        }
        return client.post("/api/v1/auth/register", json=body)

    assert register().status_code == 201
    assert register().status_code == 201
    assert_rate_limited(register(), 3600)
    assert client_from(app, "192.0.2.31").post("/api/v1/auth/register", json={}).status_code == 422


def test_booking_create_is_limited_per_user(make_app, auth_headers):
    app = make_app(RATELIMIT_BOOKING_CREATE="2/minute")
    client = client_from(app)
    alice, bob = auth_headers("customer"), auth_headers("customer")
    # every attempt counts, also one the API refuses (an empty body: 422)
    assert client.post("/api/v1/bookings", json={}, headers=alice).status_code == 422
    assert client.post("/api/v1/bookings", json={}, headers=alice).status_code == 422
    assert_rate_limited(client.post("/api/v1/bookings", json={}, headers=alice), 60)
    # the same address, another resident: her own count
    assert client.post("/api/v1/bookings", json={}, headers=bob).status_code == 422
    # reading one's bookings is not limited
    assert client.get("/api/v1/bookings", headers=alice).status_code == 200


def test_anonymous_booking_attempt_is_a_401_not_counted_for_a_user(make_app, auth_headers):
    app = make_app(RATELIMIT_BOOKING_CREATE="1/minute")
    client = client_from(app)
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert client.post("/api/v1/bookings", json={}, headers=bad_token).status_code in (401, 422)
    alice = auth_headers("customer")
    assert client.post("/api/v1/bookings", json={}, headers=alice).status_code == 422


def test_limits_are_off_when_disabled(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=False, RATELIMIT_LOGIN_ACCOUNT="1/minute")
    user = make_user("customer")
    client = client_from(app)
    assert [login(client, user.email).status_code for _ in range(4)] == [401] * 4


def test_default_test_app_has_limits_off(client, make_user):
    user = make_user("customer")
    statuses = {login(client, user.email).status_code for _ in range(12)}
    assert statuses == {401}


def test_forwarded_for_counts_only_behind_a_configured_proxy(make_app):
    def two_logins(app: Flask) -> list[int]:
        client = client_from(app, "127.0.0.1")  # the proxy
        return [
            login(
                client, f"p{n}@example.test", headers={"X-Forwarded-For": f"203.0.113.{n}"}
            ).status_code
            for n in range(2)
        ]

    limits = {"RATELIMIT_LOGIN_IP": "1/minute"}
    # no proxy configured: the header is anybody's to write, the peer address counts
    assert two_logins(make_app(**limits)) == [401, 429]
    # one proxy in front: its X-Forwarded-For names the client
    assert two_logins(make_app(PROXY_COUNT=1, **limits)) == [401, 401]


def test_openapi_documents_429_with_retry_after_for_the_limited_operations(client):
    spec = client.get("/api/openapi.json").json
    limited = [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/register", "post"),
        ("/api/v1/bookings", "post"),
    ]
    for path, method in limited:
        answer = spec["paths"][path][method]["responses"]["429"]
        assert "Retry-After" in answer["headers"], path
        assert answer["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert "429" not in spec["paths"]["/api/v1/bookings"]["get"]["responses"]
    documented = {
        (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "429" in op.get("responses", {})
    }
    assert documented == set(limited)


def test_a_limit_that_is_not_a_limit_stops_the_app(database_url):
    config = config_for_tests(database_url) | {"RATELIMIT_LOGIN_IP": "ten per minute"}
    with pytest.raises(ConfigError, match="LOUISE_RATELIMIT_LOGIN_IP"):
        create_app(config)


# --- the storage -------------------------------------------------------------------------------


def test_redis_down_lets_requests_through_and_logs_a_warning(make_app, make_user, caplog):
    app = make_app(RATELIMIT_STORAGE_URI=NOBODY_LISTENS, RATELIMIT_LOGIN_ACCOUNT="1/minute")
    user = make_user("customer")
    client = client_from(app)
    with caplog.at_level(logging.WARNING, logger="louise.ratelimit"):
        statuses = [login(client, user.email).status_code for _ in range(3)]
        booking = client.post("/api/v1/bookings", json={}, headers=_headers_for(app, user))
    assert statuses == [401, 401, 401]
    assert booking.status_code == 422  # the view ran: nothing else broke
    assert client.get("/healthz").status_code == 200
    warnings = [r for r in caplog.records if r.name == "louise.ratelimit"]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
    assert "unreachable" in warnings[0].getMessage()
    assert len(warnings) == 1  # one line per outage, not one per request


def test_limits_fail_open_while_redis_is_down_and_apply_again_when_it_is_back(
    make_app, make_user, own_redis, caplog
):
    app = make_app(RATELIMIT_STORAGE_URI=own_redis.url, RATELIMIT_LOGIN_ACCOUNT="2/minute")
    user = make_user("customer")
    client = client_from(app)
    assert [login(client, user.email).status_code for _ in range(2)] == [401, 401]
    assert_rate_limited(login(client, user.email), 60)
    with caplog.at_level(logging.WARNING, logger="louise.ratelimit"):
        own_redis.stop()
        down = [login(client, user.email).status_code for _ in range(3)]
        own_redis.start()  # empty: the counts went with it
        back = [login(client, user.email).status_code for _ in range(3)]
    assert down == [401, 401, 401]
    assert back == [401, 401, 429]
    messages = [r.getMessage() for r in caplog.records if r.name == "louise.ratelimit"]
    assert len(messages) == 2, messages
    assert messages[0].startswith("rate limit storage unreachable, requests are let through")
    assert messages[1] == "rate limit storage reachable again, limits apply"


def _headers_for(app: Flask, user: Any) -> dict[str, str]:
    from flask_jwt_extended import create_access_token

    with app.app_context():
        token = create_access_token(identity=user, additional_claims={"role": user.role.value})
    return {"Authorization": f"Bearer {token}"}


def test_two_apps_share_the_counts_in_redis(make_app, make_user, redis_prefix):
    settings = {
        "RATELIMIT_STORAGE_URI": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "RATELIMIT_LOGIN_ACCOUNT": "2/minute",
    }
    # two gunicorn workers are two apps: the limit holds across them only through Redis
    first, second = make_app(**settings), make_app(**settings)
    user = make_user("customer")
    assert login(client_from(first), user.email).status_code == 401
    assert login(client_from(second), user.email).status_code == 401
    assert_rate_limited(login(client_from(first), user.email), 60)

    import redis

    connection = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=0)
    assert list(connection.scan_iter(match=f"*{redis_prefix}*"))
    connection.close()
