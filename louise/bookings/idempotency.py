"""``Idempotency-Key`` for POSTs, with the semantics of Stripe and the IETF draft
(draft-ietf-httpapi-idempotency-key-header):

- the same key with the same body replays the first response;
- the same key with a different body is refused (422);
- a duplicate that arrives while the first is still running waits for it, then replays
  (its claim waits on the key's unique index until the first commits or rolls back);
- keys are scoped to the user and kept at least 24 hours;
- a request that failed (validation or a rule) is not stored under its key;
- the claim, the request's own writes and the stored answer are ONE transaction
  (:func:`claim` and :func:`complete` inside :func:`louise.db.one_transaction`): a booking
  committed is a booking whose answer is stored, and a worker killed at any moment leaves
  either all of it or nothing (the retry then runs the request afresh and books once);
- an open claim (committed without its answer, as an earlier version did) older than
  ``STALE_AFTER`` is taken over by the next request with the key. Should the first request
  still be alive after all, its completion finds the claim gone and it rolls back (409)
  instead of booking twice.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from louise.bookings.models import IdempotencyKey
from louise.db import one_transaction
from louise.errors import BadRequest, Conflict, ValidationFailed

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
RETENTION = timedelta(hours=24)
WAIT_SECONDS = 10.0
STALE_AFTER = timedelta(seconds=30)  # longer than any request may run (gunicorn --timeout)


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise BadRequest(
            "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.",
            fields={"headers": {"Idempotency-Key": ["Malformed key."]}},
        )
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def claim(session: Session, user_id: int, key: str, request_hash: str, now: datetime) -> int | None:
    """Claim ``key`` for this request inside the caller's transaction: the row id, or None
    when the key is there already (then :func:`resolve` says what to do).

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, not committed: the claim becomes
    visible together with the request's own writes and its stored answer, at the one commit
    (:func:`louise.db.one_transaction`). A concurrent duplicate's insert waits on the unique
    index until that commit (PostgreSQL; SQLite runs one writer at a time), then finds the
    completed claim and replays it — or, if the first request rolled back, claims the key."""
    return session.scalar(
        _CLAIM,
        {
            "user_id": user_id,
            "key": key,
            "request_hash": request_hash,
            "created_at": now,
            "expires_at": now + RETENTION,
        },
    )


# Built once, in SQL that both SQLite and PostgreSQL speak: SQLAlchemy caches no statement
# of its dialect-specific insert() (``postgresql.Insert`` sets ``inherit_cache = False``),
# so that one was compiled anew on every request, and went through the ORM's bulk insert.
_CLAIM = text(
    "INSERT INTO idempotency_keys"
    " (user_id, key, request_hash, completed, created_at, expires_at)"
    " VALUES (:user_id, :key, :request_hash, false, :created_at, :expires_at)"
    " ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
).bindparams(
    bindparam("created_at", type_=IdempotencyKey.created_at.type),
    bindparam("expires_at", type_=IdempotencyKey.expires_at.type),
)
# Of the table (Core), not the mapped class: an UPDATE of the class goes through the ORM's
# bulk update, which evaluates its WHERE against every loaded key object before and after
# (``synchronize_session``): a fifth of this statement's cost, for objects no caller loads.
_KEYS = cast(Table, IdempotencyKey.__table__)
_COMPLETE = (
    update(_KEYS)
    .where(_KEYS.c.id == bindparam("claim_id"), _KEYS.c.completed.is_(False))
    .values(
        completed=True,
        response_status=bindparam("status"),
        response_body=bindparam("body", type_=_KEYS.c.response_body.type),
    )
)


def resolve(
    session: Session,
    user_id: int,
    key: str,
    request_hash: str,
    now: datetime,
    *,
    started: float,
    stale_after: timedelta = STALE_AFTER,
) -> Replay | None:
    """A key :func:`claim` found taken: the stored answer (:class:`Replay`), or None when
    the key is free again (expired, taken over, or gone meanwhile: claim it again).

    Raises 422 for the key reused with another body, 409 (``Retry-After``) when a claim of
    the same request stays open for ``WAIT_SECONDS`` after ``started`` (``time.monotonic``).
    Claims are committed only with their answer, so an open one is left by a version of
    louise that committed claims first, or by a test: older than ``stale_after``, it is
    taken over."""
    deadline = started + WAIT_SECONDS
    while True:
        session.rollback()  # see other transactions' work on every round
        row = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
        if row is None:
            return None
        elapsed = timedelta(seconds=time.monotonic() - started)  # the clock may be frozen
        if row.expires_at <= now:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
            session.commit()
            return None
        if row.request_hash != request_hash:
            session.rollback()
            raise ValidationFailed(
                "This Idempotency-Key was used with a different request body.",
                fields={"headers": {"Idempotency-Key": ["Reused with a different body."]}},
            )
        if row.completed:
            replay = Replay(row.response_status or 200, row.response_body)
            session.rollback()
            return replay
        if row.created_at <= now + elapsed - stale_after:
            # "still open" is checked again by the DELETE itself: a first request that
            # completes meanwhile keeps its claim (PostgreSQL re-reads the locked row).
            taken = session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.id == row.id, IdempotencyKey.completed.is_(False)
                )
            )
            session.commit()
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return None
            continue
        if time.monotonic() > deadline:
            session.rollback()
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry later.",
                headers={"Retry-After": "1"},
            )
        # End the transaction before sleeping: on SQLite every transaction holds the write
        # lock (BEGIN IMMEDIATE), and a waiter sleeping inside one starves the first request.
        session.rollback()
        time.sleep(0.05)


def complete(session: Session, claim_id: int, status: int, body: Any) -> None:
    """Store the answer under the claim, in the caller's transaction (the one that holds
    the request's writes and the claim; the caller commits). A claim that is gone or no
    longer open was taken over: raise, so the caller rolls its writes back instead of doing
    them twice."""
    result = session.execute(_COMPLETE, {"claim_id": claim_id, "status": status, "body": body})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "This request took too long; a retry with the same Idempotency-Key replaced it.",
            headers={"Retry-After": "1"},
        )


def purge_expired(session: Session, now: datetime) -> int:
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def perform_once(
    session: Session,
    user_id: int,
    key: str,
    request_hash: str,
    work: Callable[[], tuple[int, Any]],
    now: Callable[[], datetime],
    *,
    stale_after: timedelta = STALE_AFTER,
) -> tuple[Replay, bool]:
    """Run ``work`` once per ``key`` (the rules above, for callers that are not an API view:
    the booking page's form): the answer ``work`` returned (status, JSON-able body) and
    False, or the stored answer of an earlier run and True. ``work`` runs a use case that
    commits; its commit, the claim and the stored answer are one transaction. A
    :class:`~louise.errors.DomainError` from ``work`` rolls all of it back, leaves the key
    free and goes on to the caller."""
    check_key(key)
    started = time.monotonic()
    while True:
        moment = now()
        with one_transaction(session):
            claim_id = claim(session, user_id, key, request_hash, moment)
            if claim_id is not None:
                status, body = work()
                complete(session, claim_id, status, body)
        if claim_id is not None:
            return Replay(status, body), False
        replay = resolve(
            session,
            user_id,
            key,
            request_hash,
            moment,
            started=started,
            stale_after=stale_after,
        )
        if replay is not None:
            return replay, True
