"""Security headers on every answer, the docs page's CSP against what it loads, HSTS, CORS."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from louise import create_app
from louise.config import ConfigError, config_for_tests

API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
ALLOWED = "https://shop.example"


def assert_basic_headers(response: Any) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_json_answers_and_errors_carry_the_headers_and_the_minimal_csp(client, auth_headers):
    answers = [
        client.get("/healthz"),
        client.get("/api/v1/offers"),
        client.get("/api/v1/me"),  # 401
        client.get("/api/v1/no-such-thing"),  # Flask's own 404
        client.post("/api/v1/auth/login", data="x", content_type="text/plain"),  # 415
        client.get("/api/openapi.json"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 401, 404, 415, 200]
    for response in answers:
        assert_basic_headers(response)
        assert response.headers["Content-Security-Policy"] == API_CSP
        assert "Strict-Transport-Security" not in response.headers  # plain http


class _Assets(HTMLParser):
    """What an HTML page loads and runs: script srcs, inline scripts, links, inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.inline_scripts: list[str] = []
        self.links: list[str] = []  # the stylesheet and the icon
        self.style_attributes = 0
        self.inline_styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.style_attributes += 1
        if tag == "script":
            if values.get("src"):
                self.scripts.append(str(values["src"]))
            self._in = "script"
        elif tag == "style":
            self._in = "style"
        elif tag == "link":
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script" and data.strip():
            self.inline_scripts.append(data)
        elif self._in == "style":
            self.inline_styles.append(data)


def test_swagger_ui_loads_only_its_own_assets_under_its_csp(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert_basic_headers(page)
    assert page.headers["Content-Security-Policy"] == DOCS_CSP
    assets = _Assets()
    assets.feed(page.get_data(as_text=True))
    # script-src 'self' without 'unsafe-inline': every script is a same-origin file
    assert assets.inline_scripts == []
    assert assets.style_attributes == 0 and assets.inline_styles == []
    assert len(assets.scripts) == 3 and len(assets.links) == 2
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in assets.scripts + assets.links:
        assert url.startswith("/") and not url.startswith("//"), url  # same origin, no CDN
        with client.get(url) as asset:  # files are streamed: close them
            assert asset.status_code == 200, url
            assert asset.headers["X-Content-Type-Options"] == "nosniff"
            assert asset.mimetype == types[url[url.rindex(".") :]], (url, asset.mimetype)
    # the start script reads the document's URL from the page and the API serves it there
    with client.get(assets.scripts[-1]) as script:
        start = script.get_data(as_text=True)
    assert "SwaggerUIBundle(" in start and "dataset.specUrl" in start
    spec_url = re.search(r'data-spec-url="([^"]+)"', page.get_data(as_text=True))
    assert spec_url and spec_url.group(1) == "/api/openapi.json"
    assert client.get(spec_url.group(1)).status_code == 200


def test_hsts_only_behind_tls(make_app):
    plain = make_app().test_client()
    assert "Strict-Transport-Security" not in plain.get("/healthz").headers
    secure = plain.get("/healthz", base_url="https://louise.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # TLS ends at the proxy: trusted only when a proxy is configured
    forwarded = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" not in plain.get("/healthz", headers=forwarded).headers
    proxied = make_app(PROXY_COUNT=1).test_client().get("/healthz", headers=forwarded)
    assert "Strict-Transport-Security" in proxied.headers
    # or the operator says so
    always = make_app(HSTS=True, HSTS_MAX_AGE=600).test_client().get("/healthz")
    assert always.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"


def test_no_cors_headers_without_configured_origins(client):
    r = client.get("/api/v1/offers", headers={"Origin": ALLOWED})
    assert r.status_code == 200
    assert not [h for h, _ in r.headers.items() if h.lower().startswith("access-control-")]


def test_cors_preflight_and_answers_for_an_allowed_origin(make_app):
    client = make_app(CORS_ORIGINS=[ALLOWED, "https://other.example"]).test_client()
    preflight = client.options(
        "/api/v1/bookings",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    allowed_headers = preflight.headers["Access-Control-Allow-Headers"].lower()
    for name in ("authorization", "content-type", "idempotency-key"):
        assert name in allowed_headers
    assert preflight.headers["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    assert "Origin" in preflight.headers["Vary"]

    answer = client.get("/api/v1/offers", headers={"Origin": ALLOWED})
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in answer.headers["Vary"]
    assert "Retry-After" in answer.headers["Access-Control-Expose-Headers"]
    assert_basic_headers(answer)


def test_cors_says_nothing_to_an_origin_not_on_the_list(make_app):
    client = make_app(CORS_ORIGINS=[ALLOWED]).test_client()
    evil = "https://evil.example"
    preflight = client.options(
        "/api/v1/bookings",
        headers={"Origin": evil, "Access-Control-Request-Method": "POST"},
    )
    answer = client.get("/api/v1/offers", headers={"Origin": evil})
    for response in (preflight, answer):
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Methods" not in response.headers
    # a look-alike of an allowed origin is another origin
    lookalike = client.get("/api/v1/offers", headers={"Origin": ALLOWED + ".evil.example"})
    assert "Access-Control-Allow-Origin" not in lookalike.headers


def test_an_origin_that_is_not_an_exact_origin_stops_the_app(database_url):
    for bad in ("*", "https://*.example", "shop.example", "https://shop.example/path"):
        with pytest.raises(ConfigError, match="LOUISE_CORS_ORIGINS"):
            create_app(config_for_tests(database_url) | {"CORS_ORIGINS": [bad]})
