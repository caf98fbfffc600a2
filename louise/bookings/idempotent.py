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
answer leaves the key free. The claim, the view and the stored answer run inside
:func:`louise.db.one_transaction`, so they are one transaction with one commit: a process
killed at any moment leaves a booking with its answer, or neither.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Response, current_app, request
from flask_smorest import Blueprint

from louise import clock
from louise.auth.guards import current_user
from louise.bookings import idempotency
from louise.db import one_transaction
from louise.extensions import db

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
            user_id = current_user().id
            started = time.monotonic()
            while True:
                now = clock.now()
                try:
                    # the claim, the view's writes (its commit) and the stored answer: one
                    # transaction, committed at the end of the block or not at all
                    with one_transaction(session):
                        claim = idempotency.claim(session, user_id, key, fingerprint, now)
                        if claim is not None:
                            answer = view(*args, **kwargs)
                            response = answer if isinstance(answer, Response) else None
                            if response is None or not 200 <= response.status_code < 300:
                                raise _NotStored(answer)  # rolls back: the key stays free
                            idempotency.complete(
                                session, claim, response.status_code, response.get_json()
                            )
                except _NotStored as not_stored:
                    return not_stored.answer
                if claim is not None:
                    return response
                replay = idempotency.resolve(
                    session,
                    user_id,
                    key,
                    fingerprint,
                    now,
                    started=started,
                    stale_after=stale_after,
                )
                if replay is not None:
                    return _replay(replay, location)

        return blp.doc(parameters=[PARAMETER])(wrapper)

    return decorator


class _NotStored(Exception):
    """A non-2xx answer: roll back whatever the view wrote and the claim, answer it."""

    def __init__(self, answer: Any) -> None:
        super().__init__("answer not stored")
        self.answer = answer


def _replay(claim: idempotency.Replay, location: Callable[[Any], str] | None) -> Response:
    response = Response(json.dumps(claim.body), status=claim.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    if location is not None and claim.status in (201, 202) and isinstance(claim.body, dict):
        response.headers["Location"] = location(claim.body)
    return response
