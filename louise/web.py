"""Flask-side glue shared by every blueprint: the JSON error shape, the Api subclass,
role guards and pagination. Services never import this module."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from http import HTTPStatus
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify, request, url_for
from flask_smorest import Api
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from louise.errors import DomainError, ValidationFailed
from louise.localtime import BUSINESS_TZ

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_SLUGS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class ErrorSchema(Schema):
    """The one error shape of every 4xx and 5xx answer."""

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP status phrase"})
    error = fields.String(
        required=True, metadata={"description": "machine-readable error slug, e.g. slot_full"}
    )
    message = fields.String(required=True, metadata={"description": "human-readable message"})
    errors = fields.Dict(
        metadata={
            "description": "per-location, per-field messages, e.g. "
            '{"json": {"price_cents": ["Must be greater than or equal to 0."]}}'
        }
    )


def error_payload(
    code: int, message: str, slug: str | None = None, errors: Any = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "code": code,
        "status": HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Error",
        "error": slug or _SLUGS.get(code, "error"),
        "message": message,
    }
    if errors:
        payload["errors"] = errors
    return payload


def _summarise(errors: Any) -> str:
    """Turn webargs' nested messages into 'json.price_cents: Must be ...; ...'."""
    parts: list[str] = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, list) and node and all(isinstance(x, str) for x in node):
            parts.append(f"{prefix}: {' '.join(node)}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(f"{prefix}[{i}]", value)
        else:
            parts.append(f"{prefix}: {node}")

    walk("", errors)
    return "; ".join(parts)


class LouiseApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        code = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if errors:
            message = data.get("message") or "Invalid input: " + _summarise(errors)
        elif code >= 500:
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.exception("unhandled error", exc_info=original)
            message = "Internal server error." if code == 500 else (error.description or "")
        else:
            message = data.get("message") or error.description or HTTPStatus(code).phrase
        payload = error_payload(code, message, errors=errors)
        headers = data.get("headers", {})
        return payload, code, headers


def handle_domain_error(error: DomainError) -> Response:
    payload = error_payload(error.status, error.message, slug=error.code, errors=error.fields)
    response = jsonify(payload)
    response.status_code = error.status
    for key, value in error.headers.items():
        response.headers[key] = value
    return response


#: Driver errors that mean "the database cannot be reached right now" (a restart, a dropped
#: connection, SQLite's lock timeout): the request may be repeated, so they answer 503.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError)


def handle_database_unavailable(error: Exception) -> Response:
    log.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else error)
    payload = error_payload(
        503,
        "The database is unavailable for a moment; retry after the time in Retry-After.",
        slug="database_unavailable",
    )
    response = jsonify(payload)
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config.get("DATABASE_RETRY_AFTER", 2))
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, handle_database_unavailable)

    @app.before_request
    def _require_json_bodies() -> Any:
        # webargs would silently treat a form or text body as "no JSON"; say what is wrong.
        # (The web app's pages post forms: this is for the API only.)
        if (
            request.method in {"POST", "PUT", "PATCH"}
            and request.content_length
            and request.path.startswith("/api/")
        ):
            if request.mimetype.startswith("multipart/"):
                return None  # uploads, handled by their own views
            if not request.is_json:
                return (
                    jsonify(
                        error_payload(
                            415,
                            "Request body must be JSON (Content-Type: application/json).",
                        )
                    ),
                    415,
                )
        return _refuse_nul_characters()


NUL_MESSAGE = "Must not contain the NUL character (U+0000)."


def _refuse_nul_characters() -> Any:
    """No text louise stores may hold U+0000: PostgreSQL's text types cannot, so it would be a
    500 there and a silent difference from SQLite. A 422 names the field; in the path, 404."""
    if any("\x00" in str(value) for value in (request.view_args or {}).values()):
        return jsonify(error_payload(404, "Not found.")), 404
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            return _nul_error("query", [name.replace("\x00", "")])
    if request.is_json and request.content_length:
        path = _nul_path(request.get_json(silent=True), [])
        if path is not None:
            return _nul_error("json", path)
    return None


def _nul_path(node: Any, path: list[str]) -> list[str] | None:
    if isinstance(node, str):
        return path if "\x00" in node else None
    items: Any = ()
    if isinstance(node, dict):
        for key in node:
            if "\x00" in key:
                return [*path, key.replace("\x00", "")]
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    for key, value in items:
        found = _nul_path(value, [*path, str(key)])
        if found is not None:
            return found
    return None


def _nul_error(location: str, path: list[str]) -> Any:
    node: Any = [NUL_MESSAGE]
    for part in reversed(path or ["_body"]):
        node = {part: node}
    errors = {location: node}
    payload = error_payload(422, "Invalid input: " + _summarise(errors), errors=errors)
    return jsonify(payload), 422


def document_errors(blp: Any, *codes: int) -> Callable[[F], F]:
    """Declare the error answers a view can give, so the OpenAPI document lists them."""

    def decorator(func: F) -> F:
        for code in sorted(codes, reverse=True):
            func = blp.alt_response(code, response=HTTPStatus(code).name)(func)
        return func

    return decorator


def iso_utc(moment: datetime | None) -> str | None:
    """Times leave the API as RFC 3339 in UTC with ``Z`` and whole seconds:
    ``2026-11-23T16:30:00Z``. Naive datetimes are taken to be UTC (how they are stored)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # isoformat, not strftime: strftime writes year 389 as "389", which is no RFC 3339
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


class UtcDateTime(fields.AwareDateTime):
    """A date-time field written the one API way (see ``iso_utc``); on input it takes any
    RFC 3339 time with an offset that has a UTC and a local (Europe/Berlin) time a day either
    side (year 1 at +14:00 has none: a 422 naming the field, not an OverflowError)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kw)
        try:
            for zone in (UTC, BUSINESS_TZ):
                local = moment.astimezone(zone)
                _ = (local - timedelta(days=1), local + timedelta(days=1))
        except OverflowError:
            raise ValidationError("Out of range.") from None
        return moment

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kw: Any) -> Any:
        return iso_utc(value)


#: Every id is a positive 32-bit integer, the type of the id columns (PostgreSQL ``integer``);
#: a larger one names nothing (docs/architecture.md).
ID_MIN, ID_MAX = 1, 2**31 - 1
#: The largest list offset (far beyond any list; keeps the SQL OFFSET in range).
MAX_OFFSET = 1_000_000_000


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL: an id from 1 to 2^31 − 1. Anything else (0, 20 digits)
    matches no route, so it is a 404 like an id that does not exist."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = ID_MIN,
        max: int | None = ID_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def id_param_schema(converter: IdConverter) -> dict[str, Any]:
    """How an id path parameter is documented."""
    bounds = {"minimum": converter.min, "maximum": converter.max}
    return {"type": "integer", "format": "int32", **bounds}


def install_id_converter(app: Flask, api: Api) -> None:
    """Make ``<int:...>`` the id converter, before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter
    api.register_converter(IdConverter, id_param_schema)


class Id(fields.Integer):
    """An id in a query or a body: 1 … 2^31 − 1 (a 422 naming the field otherwise)."""

    def __init__(self, **kwargs: Any) -> None:
        extra = _as_list(kwargs.get("validate"))
        kwargs["validate"] = [validate.Range(min=ID_MIN, max=ID_MAX), *extra]
        metadata = {"format": "int32", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class PaginationArgsSchema(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class PageSchema(Schema):
    """The one list envelope: ``{"items": [...], "total": N, "limit": L, "offset": O}``."""

    total = fields.Integer(required=True, metadata={"description": "items matching, all pages"})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


@cache
def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """The envelope around ``item_schema`` (one class per item schema, named for OpenAPI)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    items = fields.List(fields.Nested(item_schema), required=True)
    return type(name, (PageSchema,), {"items": items})


def path_date(value: str, name: str) -> date:
    """A ``YYYY-MM-DD`` taken from the URL path, or a 422 naming the path parameter."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            "Not a date.", fields={"path": {name: ["Use YYYY-MM-DD."]}}
        ) from None


def page(items: Sequence[Any], total: int, args: dict[str, Any]) -> dict[str, Any]:
    """An envelope for one page the service already cut."""
    return {"items": items, "total": total, "limit": args["limit"], "offset": args["offset"]}


def page_of(items: Sequence[Any], args: dict[str, Any]) -> dict[str, Any]:
    """An envelope for one page of a short list the service gave whole."""
    start = args["offset"]
    return page(items[start : start + args["limit"]], len(items), args)


LOCATION = {
    "Location": {
        "description": "URL of the created resource (or of the accepted run)",
        "schema": {"type": "string", "example": "/api/v1/bookings/42"},
    }
}


def created(obj: Any, endpoint: str, **values: Any) -> tuple[Any, dict[str, str]]:
    """A 201 or 202 body with ``Location`` naming the new resource's URL (path-absolute)."""
    return obj, {"Location": url_for(endpoint, **values)}
