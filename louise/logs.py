"""Logs: one line per event, JSON in production, each carrying the request id.

The request id lives in a context variable. The web app sets it for each request
(``louise.observability``); a planning run sets the id of the request that queued it (thread
or Celery worker). A log record factory copies it into every record, so every handler and
formatter sees ``record.request_id`` — the app's, a library's and pytest's ``caplog``.
Plain stdlib plus python-json-logger; no Flask here.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LOG_FORMATS = ("json", "text")
NO_REQUEST = "-"  # the request id of a line written outside any request or run

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"

# What an incoming X-Request-Id may look like to be kept: a UUID, a W3C trace id, a load
# balancer's id. Anything else (too long, spaces, quotes, control characters) is replaced.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_request_id: ContextVar[str | None] = ContextVar("louise_request_id", default=None)
_HANDLER_MARK = "_louise_handler"


def new_request_id() -> str:
    """A fresh request id: 32 hex digits."""
    return uuid.uuid4().hex


def sane_request_id(raw: str | None) -> str | None:
    """``raw`` when it is a usable id (1–128 of ``A-Z a-z 0-9 . _ : -``), else None."""
    if raw is None or not _SANE_ID.fullmatch(raw):
        return None
    return raw


def current_request_id() -> str | None:
    """The id of the request (or planning run) this code runs for, if any."""
    return _request_id.get()


def bind_request_id(request_id: str | None) -> Any:
    """Set the current id; returns a token for :func:`unbind_request_id`."""
    return _request_id.set(request_id)


def unbind_request_id(token: Any) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[str]:
    """Run a block under ``request_id`` (a fresh one when None); yields the id used."""
    rid = sane_request_id(request_id) or new_request_id()
    token = _request_id.set(rid)
    try:
        yield rid
    finally:
        _request_id.reset(token)


def install_record_factory() -> None:
    """Give every log record a ``request_id`` attribute (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_louise", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _request_id.get() or NO_REQUEST
        return record

    factory._louise = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def make_formatter(fmt: str) -> logging.Formatter:
    """``json``: one JSON object per line (time, level, logger, message, request_id and any
    ``extra`` fields); ``text``: a readable line with the request id in brackets."""
    if fmt == "json":
        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # RFC 3339 in UTC, first in the line
            reserved_attrs=[*RESERVED_ATTRS, "taskName"],
        )
    if fmt == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")


def configure_logging(fmt: str, level: str = "INFO", stream: TextIO | None = None) -> None:
    """One handler on the root logger, writing ``fmt`` lines to ``stream`` (stderr).

    Calling it again replaces the handler it installed before, so a worker and an app in the
    same process do not write every line twice.
    """
    install_record_factory()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(fmt))
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper())
