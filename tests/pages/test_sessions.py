"""The web app's login cookie, CSRF and headers, without a browser (the Flask test client
keeps cookies like one)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from louise import create_app
from louise.auth.models import AccountStatus, Role, User
from louise.config import config_for_tests
from louise.extensions import db
from tests.conftest import TEST_PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client: FlaskClient, path: str = "/account/login") -> str:
    page = client.get(path)
    found = TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def page_login(client: FlaskClient, email: str, password: str = TEST_PASSWORD, **kw: Any) -> Any:
    return client.post(
        "/account/login",
        data={"csrf_token": csrf_of(client), "email": email, "password": password},
        **kw,
    )


@pytest.fixture()
def make_app(database_url: str, db_connection: Connection) -> Iterator[Callable[..., Flask]]:
    """An app of its own settings (limits on, a Secure cookie), on the test's connection."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        config = config_for_tests(database_url)
        config.update(overrides)
        application = create_app(config)
        db.bind_app_to(application, db_connection)
        made.append(application)
        return application

    yield factory
    for application in made:
        db.bind_app_to(application, None)
        db.engine_for(application).dispose()


def test_page_answers_carry_a_strict_policy_and_are_never_cached(client: FlaskClient) -> None:
    page = client.get("/account/login")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"


def test_login_cookie_is_httponly_and_lax_and_logs_in(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.CUSTOMER)
    answer = page_login(client, user.email)
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # tests run on http://
    assert user.name in client.get("/account/password").text


def test_cookie_is_secure_when_configured(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    user = make_user(Role.CUSTOMER)
    answer = page_login(client, user.email)
    assert "Secure" in answer.headers["Set-Cookie"]


def test_form_without_its_csrf_token_is_refused_and_changes_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    answer = client.post(
        "/account/register",
        data={"name": "Mallory", "email": "mallory@example.org", "password": "0123456789ab"},
    )
    assert answer.status_code == 400
    assert "Das Formular ist abgelaufen." in answer.text
    count = db_session.scalar(
        select(func.count()).select_from(User).where(User.email == "mallory@example.org")
    )
    assert count == 0


def test_wrong_password_is_a_401_page_with_the_message(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.CUSTOMER)
    answer = page_login(client, user.email, "not the password")
    assert answer.status_code == 401
    assert "E-Mail-Adresse oder Passwort falsch." in answer.text


def test_changing_the_password_logs_out_every_other_browser(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    user = make_user(Role.CUSTOMER)
    # an app of its own: its requests get their own app context (and g), like real browsers
    app = make_app()
    laptop, phone = app.test_client(), app.test_client()
    page_login(laptop, user.email)
    page_login(phone, user.email)
    answer = laptop.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(laptop, "/account/password"),
            "current_password": TEST_PASSWORD,
            "new_password": "a-new-password-42",
        },
    )
    assert answer.status_code == 302
    assert laptop.get("/account/password").status_code == 200  # this browser stays in
    assert phone.get("/account/password").status_code == 302  # the other one must log in
    assert page_login(phone, user.email, "a-new-password-42").status_code == 302


def test_wrong_current_password_is_named_beside_its_field(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.CUSTOMER)
    page_login(client, user.email)
    answer = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(client, "/account/password"),
            "current_password": "not it at all",
            "new_password": "a-new-password-42",
        },
    )
    assert answer.status_code == 422
    assert re.search(r'id="e-current_password">Falsches Passwort\.<', answer.text)


def test_a_disabled_account_is_logged_out_at_its_next_request(
    client: FlaskClient, make_user: Callable[..., User], db_session: Session
) -> None:
    user = make_user(Role.CUSTOMER)
    page_login(client, user.email)
    user.status = AccountStatus.DISABLED
    db_session.commit()
    assert client.get("/account/password").status_code == 302


def test_login_never_sends_the_visitor_to_another_site(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.CUSTOMER)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        client.post("/account/logout", data={"csrf_token": csrf_of(client)})
        answer = client.post(
            "/account/login?next=" + target,
            data={"csrf_token": csrf_of(client), "email": user.email, "password": TEST_PASSWORD},
        )
        assert answer.status_code == 302
        assert "evil.example" not in answer.headers["Location"]
        assert "javascript" not in answer.headers["Location"]


def test_a_page_for_residents_sends_visitors_to_login_and_back(client: FlaskClient) -> None:
    answer = client.get("/account/password")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/account/login?next=/account/password"


def test_nul_character_in_a_form_is_a_400_page(client: FlaskClient) -> None:
    answer = client.post(
        "/account/register",
        data={"csrf_token": csrf_of(client), "name": "Eve\x00", "email": "eve@example.org"},
    )
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"


def test_page_login_counts_against_the_same_limit_as_the_api_login(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_LOGIN_ACCOUNT="3/minute",
        RATELIMIT_LOGIN_IP="100/minute",
    )
    user = make_user(Role.CUSTOMER)
    client = app.test_client()
    for _ in range(2):
        assert page_login(client, user.email, "wrong password!").status_code == 401
    api = client.post("/api/v1/auth/login", json={"email": user.email, "password": "wrong!"})
    assert api.status_code == 401
    refused = page_login(client, user.email.upper())  # the right password, too late
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Zu viele Versuche." in refused.text


def test_english_is_chosen_with_the_language_cookie(client: FlaskClient) -> None:
    switched = client.get("/language/en?next=/account/login")
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/account/login"
    assert "lang=en" in switched.headers["Set-Cookie"]
    page = client.get("/account/login")
    assert '<html lang="en">' in page.text
    assert "<h1>Log in</h1>" in page.text
    assert client.get("/language/xx?next=https://evil.example").headers["Location"] == "/"


def test_unknown_page_inside_an_area_is_an_html_404(client: FlaskClient) -> None:
    answer = client.get("/account/nothing-here")
    assert answer.status_code == 404


def test_unknown_address_is_an_html_page_for_a_browser_and_json_for_the_api(
    client: FlaskClient,
) -> None:
    browser = client.get("/no-such-page", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.status_code == 404
    assert browser.mimetype == "text/html"
    assert "Diese Seite gibt es nicht." in browser.text
    assert "script-src 'self'" in browser.headers["Content-Security-Policy"]
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json["error"] == "not_found"
    assert client.get("/no-such-page").json["error"] == "not_found"
