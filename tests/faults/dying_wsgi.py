"""The app of ``wsgi.py`` with a kill switch, for the fault tests only (never deployed).

A request carrying ``X-Test-Die`` makes its gunicorn worker SIGKILL itself at that point:

- ``after-booking-commit``: right after the booking use case's ``session.commit()``
  (before the request's answer is stored or sent);
- ``after-commit``: after the whole request was handled and its transaction committed, before
  a byte of the answer is sent.

gunicorn replaces the killed worker, as it would in production after an OOM kill.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from louise.bookings.models import Booking
from wsgi import app as flask_app

HEADER = "X-Test-Die"


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@event.listens_for(Session, "after_flush")
def _note_booking(session: Session, _flush: UOWTransaction) -> None:
    if any(isinstance(obj, Booking) for obj in session.new):
        session.info["booked"] = True


@event.listens_for(Session, "after_commit")
def _die_after_booking_commit(session: Session) -> None:
    booked = session.info.pop("booked", False)
    if booked and has_request_context() and request.headers.get(HEADER) == "after-booking-commit":
        _die()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    status: list[str] = []

    def remember(code: str, headers: Any, exc_info: Any = None) -> Any:
        status.append(code)
        return start_response(code, headers, exc_info)

    body = flask_app(environ, remember)
    if environ.get("HTTP_X_TEST_DIE") == "after-commit" and status[0].startswith("201"):
        _die()
    return body  # type: ignore[no-any-return]
