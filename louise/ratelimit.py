"""Rate limits (Flask-Limiter): login per account and per client IP, register per IP, booking
create per user. Flask side only; the settings are ``RATELIMIT_*`` (docs/operations.md).

A view declares its limits with ``@rate_limited(blp, "login_account", "login_ip")``: that
documents the 429 answer in OpenAPI and names the limits; ``init_app`` (called by
``create_app``) wraps those views with a Limiter of the app's own, so two apps in one process
(the tests) never share counters or settings.

When the storage (Redis) cannot be reached the limits fail open: the request goes through and
a warning is logged (at most once a minute while the outage lasts).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, jsonify, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from louise.config import ConfigError
from louise.web import ErrorSchema, error_payload

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION = "louise.ratelimit"
SLUG = "rate_limited"
WARN_EVERY_SECONDS = 60.0
# a Redis that does not answer must not hold requests up: fail fast, then fail open
REDIS_TIMEOUT_SECONDS = 0.5


def client_ip() -> str:
    """The client's address: the socket peer, or X-Forwarded-For's entry when
    ``LOUISE_PROXY_COUNT`` trusts that many proxies (werkzeug's ProxyFix, louise.security)."""
    return request.remote_addr or "unknown"


def _login_account_key() -> str:
    body = request.get_json(silent=True) if request.is_json else request.form
    email = body.get("email") if isinstance(body, dict) or body is request.form else None
    if isinstance(email, str) and email.strip():
        # the same normalisation as the login itself (auth.service), so case tricks don't help
        return "account:" + email.strip().lower()
    return "account?:" + client_ip()


def _ip_key() -> str:
    return "ip:" + client_ip()


def _user_key() -> str:
    try:
        verify_jwt_in_request(optional=True)
        identity = get_jwt_identity()
    except Exception:  # a bad or expired token: the view answers 401 itself
        identity = None
    if identity is None:  # a page: the web app's session put its user in g (louise.pages)
        page_user = g.get("user")
        identity = getattr(page_user, "id", None)
    return f"user:{identity}" if identity is not None else "anonymous:" + client_ip()


# name → (setting with the limit string, key function)
LIMITS: dict[str, tuple[str, Callable[[], str]]] = {
    "login_account": ("RATELIMIT_LOGIN_ACCOUNT", _login_account_key),
    "login_ip": ("RATELIMIT_LOGIN_IP", _ip_key),
    "register_ip": ("RATELIMIT_REGISTER_IP", _ip_key),
    "booking_create": ("RATELIMIT_BOOKING_CREATE", _user_key),
}

_ATTR = "_louise_rate_limits"

RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds until the limit lets the next request through",
        "schema": {"type": "integer", "minimum": 1, "example": 42},
    }
}


def rate_limited(blp: Any, *names: str) -> Callable[[F], F]:
    """Put the limits ``names`` (keys of ``LIMITS``) on a view method and document its 429."""
    unknown = set(names) - set(LIMITS)
    if unknown:
        raise ValueError(f"unknown rate limits: {sorted(unknown)}")

    def decorator(func: F) -> F:
        func = blp.alt_response(
            429,
            schema=ErrorSchema,
            description="Too many requests (error `rate_limited`); see Retry-After",
            headers=RETRY_AFTER,
        )(func)
        setattr(func, _ATTR, tuple(names))
        return func

    return decorator


def rate_limited_page(*names: str) -> Callable[[F], F]:
    """The same limits on a page's view function (its POST): the web app's login and
    registration count against the same budgets as the API's."""
    unknown = set(names) - set(LIMITS)
    if unknown:
        raise ValueError(f"unknown rate limits: {sorted(unknown)}")

    def decorator(func: F) -> F:
        setattr(func, _ATTR, tuple(names))
        return func

    return decorator


class FailOpenLimiter(Limiter):
    """Flask-Limiter whose storage errors let the request through, with a logged warning.

    Flask-Limiter's own ``swallow_errors`` logs a traceback at ERROR on every request of an
    outage; this logs one line, at most once a minute, and one when the storage is back.
    ``_check_request_limit`` is where Flask-Limiter 4 checks every limit (its before_request
    hook and its decorators call it); the Redis-down tests fail if a release renames it.
    """

    _last_warning = 0.0
    _failing = False

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        try:
            super()._check_request_limit(callable_name, in_middleware)
        except RateLimitExceeded:
            raise
        except Exception as exc:
            now = time.monotonic()
            if not self._failing or now - self._last_warning >= WARN_EVERY_SECONDS:
                log.warning(
                    "rate limit storage unreachable, requests are let through unlimited: %s",
                    exc,
                )
                self._last_warning = now
            self._failing = True
            return
        if self._failing and self.current_limits:  # a limit was counted: the storage answered
            self._failing = False
            log.warning("rate limit storage reachable again, limits apply")


def _check_limit_settings(app: Flask) -> None:
    for setting, _key in LIMITS.values():
        value = app.config[setting]
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(
                f"LOUISE_{setting} must be a rate limit like '10/minute' or "
                f"'10/minute;100/hour', got {value!r}"
            ) from None


def _storage_options(uri: str) -> dict[str, Any]:
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
        }
    return {}


def init_app(app: Flask) -> Limiter:
    """Give ``app`` its own limiter and wrap every view that declared ``@rate_limited``."""
    _check_limit_settings(app)
    uri = app.config["RATELIMIT_STORAGE_URI"]
    if app.config["LOUISE_ENV"] == "production" and uri.startswith("memory://"):
        log.warning(
            "rate limits count per worker process (memory storage): set "
            "LOUISE_RATELIMIT_STORAGE_URL=redis://... so that all workers share them"
        )
    limiter = FailOpenLimiter(
        key_func=client_ip,
        app=app,
        storage_uri=uri,
        storage_options=_storage_options(uri),
        strategy=app.config["RATELIMIT_STRATEGY"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        headers_enabled=False,  # Retry-After is set on the 429 below; no storage call otherwise
        swallow_errors=False,  # FailOpenLimiter decides
    )
    app.extensions[EXTENSION] = limiter
    for endpoint, view in list(app.view_functions.items()):
        view_class = getattr(view, "view_class", None)
        wrapped: Callable[..., Any] = view
        if view_class is None:  # a page's function: its limits count its POSTs
            for name in getattr(view, _ATTR, ()):
                setting, key_func = LIMITS[name]
                wrapped = limiter.shared_limit(
                    _setting(app, setting), scope=name, key_func=key_func, methods=["POST"]
                )(wrapped)
            app.view_functions[endpoint] = wrapped
            continue
        for method in sorted(view_class.methods or ()):
            handler = getattr(view_class, method.lower(), None)
            for name in getattr(handler, _ATTR, ()):
                setting, key_func = LIMITS[name]
                # shared: the API's view and the page's count against one budget per key
                wrapped = limiter.shared_limit(
                    _setting(app, setting), scope=name, key_func=key_func, methods=[method]
                )(wrapped)
        app.view_functions[endpoint] = wrapped
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    return limiter


def _setting(app: Flask, setting: str) -> Callable[[], str]:
    # read per request, so a test (or an operator's shell) may change the limit of a running app
    return lambda: str(app.config[setting])


def _seconds_until_reset(error: RateLimitExceeded) -> int:
    limiter: Limiter = current_app.extensions[EXTENSION]
    try:
        current = limiter.current_limit
        if current is not None:
            return max(1, math.ceil(current.window.reset_time - time.time()))
    except Exception:  # the storage went away since it counted: the window length will do
        log.warning("rate limit storage unreachable while computing Retry-After")
    return max(1, int(error.limit.limit.get_expiry()))


def retry_after(error: RateLimitExceeded) -> int:
    """Seconds until ``error``'s limit lets the next request through (for Retry-After)."""
    return _seconds_until_reset(error)


def _too_many_requests(error: RateLimitExceeded) -> Response:
    retry_after = _seconds_until_reset(error)
    payload = error_payload(
        429,
        f"Too many requests: the limit is {error.limit.limit}. Try again in {retry_after} seconds.",
        slug=SLUG,
    )
    response = jsonify(payload)
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


def reset(app: Flask) -> None:
    """Forget every counter of ``app``'s limiter (tests, or an operator after a lock-out)."""
    limiter: Limiter = app.extensions[EXTENSION]
    limiter.reset()
