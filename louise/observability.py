"""Request ids, the access log and ``/metrics`` for the Flask app (docs/operations.md).

Every request gets an id: the caller's ``X-Request-Id`` when it is sane (see
:func:`louise.logs.sane_request_id`), else a fresh one. It is bound to the log context for the
request, answered as ``X-Request-Id`` and passed on to the planning run the request queues.
One access line per request names the method, the path (tokens masked), the URL rule, the
status, the duration and the user id when the caller showed a valid token — never a query
string, an email or a token.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from flask import Flask, Response, abort, current_app, g, jsonify, request
from flask_jwt_extended import get_jwt_identity

from louise import logs, metrics

REQUEST_ID_HEADER = "X-Request-Id"
# path parts that are secrets in themselves (the tracking link's token) never reach a log
_SECRET_VIEW_ARGS = frozenset({"token"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger("louise.access")


def init_app(app: Flask) -> None:
    """Bind request ids, log each request, time it, and serve ``/metrics``.

    Call it before any other ``before_request`` is registered: a handler that answers early
    (415) must still find the request id bound.
    """
    logs.install_record_factory()

    @app.before_request
    def _start_request() -> None:
        rid = logs.sane_request_id(request.headers.get(REQUEST_ID_HEADER))
        g.request_id = rid or logs.new_request_id()
        g.request_started = time.perf_counter()
        g.request_id_token = logs.bind_request_id(g.request_id)

    @app.after_request
    def _finish_request(response: Response) -> Response:
        rid = g.get("request_id")
        if rid is None:  # a failure before our before_request ran
            return response
        response.headers[REQUEST_ID_HEADER] = rid
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        method = request.method if request.method in _METHODS else "OTHER"
        metrics.REQUEST_SECONDS.labels(
            route=route, method=method, status=metrics.status_class(response.status_code)
        ).observe(seconds)
        if not access_log.isEnabledFor(logging.INFO):
            return response
        path = _loggable_path()
        access_log.info(
            "%s %s %s",
            method,
            path,
            response.status_code,
            extra={
                "method": method,
                "path": path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": _user_id(),
            },
        )
        return response

    @app.teardown_request
    def _end_request(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            logs.unbind_request_id(token)

    app.add_url_rule("/metrics", "metrics", _metrics_view, methods=["GET"])


def _loggable_path() -> str:
    """The path without its query string, secret path parts masked, and control characters
    escaped (a ``%0A`` in a URL must not start a forged line in a text log)."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in _SECRET_VIEW_ARGS and isinstance(value, str) and value:
            path = path.replace(value, "***")
    if not path.isprintable():
        path = path.encode("unicode_escape").decode("ascii")
    return path


def _user_id() -> str | None:
    """The caller's user id when a view checked a token (no database lookup here)."""
    try:
        identity = get_jwt_identity()
    except RuntimeError:  # no view verified a token in this request
        return None
    return str(identity) if identity is not None else None


def _metrics_view() -> Any:
    """Prometheus metrics, for a scraper that sends ``Authorization: Bearer <token>``.

    Without ``LOUISE_METRICS_TOKEN`` the endpoint does not exist (404): nothing is public by
    default. A wrong or missing token is a 401.
    """
    from louise.web import error_payload

    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)  # the same answer as any unknown URL
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), str(expected).encode()
    ):
        body = jsonify(error_payload(401, "Metrics need the bearer token (LOUISE_METRICS_TOKEN)."))
        return body, 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}
    return Response(metrics.exposition(), mimetype=None, content_type=metrics.CONTENT_TYPE)
