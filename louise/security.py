"""Security headers on every answer, CORS from an allow-list, and the client address behind
proxies. Flask side only; the settings are in docs/operations.md ("Security headers and CORS").

The headers are one ``after_request`` hook written here rather than a library: flask-talisman
is unmaintained, and what louise needs is a dozen lines whose every value is tested. A view
that serves HTML with inline content of its own (the route sheet's ``<style>``) sets its own
``Content-Security-Policy`` with ``html_policy(style_hashes=...)``; the hook keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from louise.config import ConfigError

# JSON, files, PDFs: nothing may be loaded or framed
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

# Swagger UI (/api/docs): its files and the document from the app itself, no inline script or
# style (its start script is a file, louise/static/swagger-init.js); its icons are data: URIs.
# Checked in headless Chromium: tests/security/test_docs_browser.py.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
CORS_EXPOSE_HEADERS = ["Location", "Retry-After", "Idempotent-Replayed"]
CORS_MAX_AGE = 600
# an origin is scheme://host[:port], matched exactly; no wildcards, no paths
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def sha256_source(text: str) -> str:
    """The CSP source for an inline ``<style>`` or ``<script>`` whose content is ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def html_policy(*, style_hashes: tuple[str, ...] = ()) -> str:
    """A strict policy for a self-contained HTML page: nothing loads, no script runs; only the
    inline styles whose hashes are given apply."""
    styles = " ".join(style_hashes) if style_hashes else "'none'"
    return (
        f"default-src 'none'; style-src {styles}; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def _is_docs_page() -> bool:
    return request.endpoint == "api-docs.openapi_swagger_ui"


def init_app(app: Flask) -> None:
    """ProxyFix (when configured), CORS (when origins are configured) and the header hook."""
    proxies = int(app.config["PROXY_COUNT"])
    if proxies > 0:
        # trust X-Forwarded-For/-Proto from exactly that many proxies in front of gunicorn
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    origins = list(app.config["CORS_ORIGINS"])
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ConfigError(
                "LOUISE_CORS_ORIGINS lists origins like https://app.example.org "
                f"(scheme, host, optional port; no wildcard, no path), got {origin!r}"
            )
    if origins:
        CORS(
            app,
            origins=origins,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
            max_age=CORS_MAX_AGE,
            supports_credentials=False,  # bearer tokens, no cookies
            vary_header=True,
        )

    hsts_always = bool(app.config["HSTS"])
    hsts = f"max-age={int(app.config['HSTS_MAX_AGE'])}; includeSubDomains"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # tracking links carry a token in the URL: never hand it on as a referrer
        headers.setdefault("Referrer-Policy", "no-referrer")
        if "Content-Security-Policy" not in headers:
            if response.mimetype == "text/html":
                headers["Content-Security-Policy"] = (
                    DOCS_POLICY if _is_docs_page() else html_policy()
                )
            else:
                headers["Content-Security-Policy"] = API_POLICY
        if hsts_always or request.is_secure:
            headers.setdefault("Strict-Transport-Security", hsts)
        return response
