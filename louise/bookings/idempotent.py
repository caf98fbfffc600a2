"""``@idempotent``: the ``Idempotency-Key`` protocol around a POST view, one way for every
endpoint that accepts the header (the rules are in :mod:`louise.bookings.idempotency`).

Put it right under ``@auth_required`` (it needs the caller) and above ``@blp.arguments``
(it sees the whole answer: the status, the JSON body and the headers)::

    @auth_required(blp, Role.CUSTOMER)
    @idempotent(blp, location=lambda body: url_for("bookings.BookingById", booking_id=body["id"]))
    @blp.arguments(BookingCreateSchema)
    @blp.response(201, BookingSchema, headers=LOCATION)
    def post(self, data): ...

Without the header the view runs as it is. With it: the key is claimed, the view runs, a
2xx answer is stored under the key and every repeat gets it back (``Idempotent-Replayed:
true``, ``Location`` rebuilt from the stored body by ``location``); an error or a non-2xx
answer frees the key again. The view runs inside :func:`louise.db.one_transaction`, so its
commit and the stored answer are one transaction: a process killed between the two cannot
leave a booking without its answer (nor an answer without its booking).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from louise import clock
from louise.auth.guards import current_user
from louise.bookings import idempotency
from louise.db import one_transaction
from louise.extensions import db

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

HEADER = "Idempotency-Key"

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Repeat a POST safely: the same key and body replay the first "
    "answer; another body with the key gets 422. Kept 24 hours, per user.",
}


def idempotent(blp: Blueprint, *, location: Callable[[Any], str] | None = None) -> Callable[[F], F]:
    """Make a POST view honour ``Idempotency-Key`` (and document the header)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            idempotency.check_key(key)
            session = db.session()
            fingerprint = idempotency.fingerprint(
                request.method, request.path, request.get_json(silent=True)
            )
            stale_after = timedelta(seconds=current_app.config["IDEMPOTENCY_STALE_SECONDS"])
            claim = idempotency.begin(
                session,
                current_user().id,
                key,
                fingerprint,
                clock.now(),
                stale_after=stale_after,
            )
            if isinstance(claim, idempotency.Replay):
                return _replay(claim, location)
            try:
                # the view's commit and the stored answer: one transaction (a worker killed
                # after the booking's commit has stored its answer too)
                with one_transaction(session):
                    answer = view(*args, **kwargs)
                    response = answer if isinstance(answer, Response) else None
                    if response is None or not 200 <= response.status_code < 300:
                        raise _NotStored(answer)
                    idempotency.complete(session, claim, response.status_code, response.get_json())
            except _NotStored as not_stored:
                _abandon(session, claim)
                return not_stored.answer
            except BaseException:
                _abandon(session, claim)
                raise
            return response

        return blp.doc(parameters=[PARAMETER])(wrapper)

    return decorator


class _NotStored(Exception):
    """A non-2xx answer: roll back whatever the view wrote, free the key, answer it."""

    def __init__(self, answer: Any) -> None:
        super().__init__("answer not stored")
        self.answer = answer


def _abandon(session: Session, claim: int) -> None:
    try:
        idempotency.abandon(session, claim)
    except SQLAlchemyError:  # the database is gone: the claim turns stale and is taken over
        log.warning("could not free idempotency claim %s", claim, exc_info=True)


def _replay(claim: idempotency.Replay, location: Callable[[Any], str] | None) -> Response:
    response = Response(json.dumps(claim.body), status=claim.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    if location is not None and claim.status in (201, 202) and isinstance(claim.body, dict):
        response.headers["Location"] = location(claim.body)
    return response
