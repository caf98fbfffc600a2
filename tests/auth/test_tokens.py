"""Tokens: every kind of bad token is refused with 401 in the one error shape."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token, create_refresh_token

from tests.conftest import TEST_PASSWORD


def _login(client, user) -> dict:
    r = client.post("/api/v1/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 200, r.json
    return r.json


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_401(response) -> None:
    assert response.status_code == 401
    body = response.json
    assert body["code"] == 401 and body["error"] == "unauthorized" and body["message"]


def test_login_returns_a_short_lived_access_token_and_a_refresh_token(client, make_user):
    user = make_user("customer")
    tokens = _login(client, user)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] <= 15 * 60
    me = client.get("/api/v1/me", headers=_bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json["email"] == user.email


def test_wrong_password_and_unknown_email_get_the_same_401(client, make_user):
    user = make_user("customer")
    wrong = client.post("/api/v1/auth/login", json={"email": user.email, "password": "nope" * 3})
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "ghost@example.test", "password": "nope" * 3}
    )
    _assert_401(wrong)
    _assert_401(unknown)
    assert wrong.json["message"] == unknown.json["message"]


def test_expired_access_token_is_refused(app, client, make_user):
    user = make_user("customer")
    with app.app_context():
        token = create_access_token(identity=user, expires_delta=timedelta(seconds=-1))
    _assert_401(client.get("/api/v1/me", headers=_bearer(token)))


def test_a_token_verified_before_is_refused_once_it_expires(app, client, make_user, monkeypatch):
    """A worker verifies a token once and keeps its claims (``VerifyOnceJWTManager``); a
    kept token still expires, with the same answer as one never seen."""
    user = make_user("customer")
    with app.app_context():
        token = create_access_token(identity=user, expires_delta=timedelta(minutes=5))
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200  # kept
    later = datetime.now(UTC) + timedelta(minutes=6)

    class _Later(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return later.astimezone(tz) if tz is not None else later.replace(tzinfo=None)

    monkeypatch.setattr("jwt.api_jwt.datetime", _Later)  # PyJWT's clock
    monkeypatch.setattr("louise.extensions.datetime", _Later)  # the kept tokens' check
    expired = client.get("/api/v1/me", headers=_bearer(token))
    _assert_401(expired)
    assert expired.json["message"] == "Token has expired."


def test_logout_revokes_both_access_and_refresh_token(client, make_user, db_session):
    from louise.auth.models import RevokedToken

    tokens = _login(client, make_user("customer"))
    assert (
        client.post("/api/v1/auth/logout", headers=_bearer(tokens["access_token"])).status_code
        == 204
    )
    _assert_401(client.get("/api/v1/me", headers=_bearer(tokens["access_token"])))
    _assert_401(client.post("/api/v1/auth/refresh", headers=_bearer(tokens["refresh_token"])))
    kinds = sorted(t.token_type for t in db_session.query(RevokedToken).all())
    assert kinds == ["access", "refresh"]


def test_refresh_gives_a_working_access_token(client, make_user):
    tokens = _login(client, make_user("customer"))
    r = client.post("/api/v1/auth/refresh", headers=_bearer(tokens["refresh_token"]))
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(r.json["access_token"])).status_code == 200


def test_refresh_token_used_as_access_token_is_refused(client, make_user):
    tokens = _login(client, make_user("customer"))
    _assert_401(client.get("/api/v1/me", headers=_bearer(tokens["refresh_token"])))


def test_access_token_used_as_refresh_token_is_refused(client, make_user):
    tokens = _login(client, make_user("customer"))
    _assert_401(client.post("/api/v1/auth/refresh", headers=_bearer(tokens["access_token"])))


def test_token_with_wrong_signature_is_refused(app, client, make_user):
    user = make_user("admin")
    forged = pyjwt.encode(
        {"sub": str(user.id), "type": "access", "jti": "x", "fresh": False, "role": "admin"},
        "not-the-server-secret-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    _assert_401(client.get("/api/v1/me", headers=_bearer(forged)))


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_token_is_refused(client, make_user):
    user = make_user("admin")
    header = _b64({"alg": "none", "typ": "JWT"})
    payload = _b64({"sub": str(user.id), "type": "access", "jti": "y", "fresh": False})
    _assert_401(client.get("/api/v1/me", headers=_bearer(f"{header}.{payload}.")))


@pytest.mark.parametrize("value", ["Bearer", "Bearer not.a.jwt", "Basic abc", "garbage"])
def test_malformed_authorization_header_is_refused(client, value):
    _assert_401(client.get("/api/v1/me", headers={"Authorization": value}))


def test_missing_token_is_refused(client):
    _assert_401(client.get("/api/v1/me"))


def test_token_of_a_disabled_account_is_refused(app, client, make_user, db_session):
    from louise.auth.models import AccountStatus

    user = make_user("courier")
    with app.app_context():
        token = create_access_token(identity=user)
    user.status = AccountStatus.DISABLED
    db_session.commit()
    _assert_401(client.get("/api/v1/me", headers=_bearer(token)))


def test_refresh_token_cannot_be_created_for_a_revoked_session(app, client, make_user):
    user = make_user("customer")
    with app.app_context():
        refresh = create_refresh_token(identity=user)
    assert client.post("/api/v1/auth/refresh", headers=_bearer(refresh)).status_code == 200
