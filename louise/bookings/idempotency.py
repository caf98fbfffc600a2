"""``Idempotency-Key`` for POSTs, with the semantics of Stripe and the IETF draft
(draft-ietf-httpapi-idempotency-key-header):

- the same key with the same body replays the first response;
- the same key with a different body is refused (422);
- a duplicate that arrives while the first is still running waits for it, then replays;
- keys are scoped to the user and kept at least 24 hours;
- a request that failed (validation or a rule) is not stored under its key;
- the answer is stored in the same transaction as the request's own writes
  (:func:`complete` inside :func:`louise.db.one_transaction`), so a booking committed is a
  booking whose answer is stored: a worker killed at any moment leaves either both or neither;
- a claim left unfinished by a process that died (older than ``STALE_AFTER``, still not
  completed) is taken over by the next request with the key: its writes were never
  committed (see the previous rule), so running the request again books once. Should the
  first request still be alive after all, its completion finds the claim gone and it rolls
  back (409) instead of booking twice.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from louise.bookings.models import IdempotencyKey
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


def begin(
    session: Session,
    user_id: int,
    key: str,
    request_hash: str,
    now: datetime,
    *,
    stale_after: timedelta = STALE_AFTER,
) -> int | Replay:
    """Claim ``key`` for this request (returns the row id), or return the stored response.

    The claim is committed at once, so a concurrent duplicate sees it and waits.
    """
    started = time.monotonic()
    deadline = started + WAIT_SECONDS
    while True:
        session.rollback()  # see other transactions' work on every round
        # A new key (the common case) is claimed in one statement; a key that is there
        # already (a repeat, a duplicate running, an expired or stale claim) is read below.
        claimed = _claim(session, user_id, key, request_hash, now)
        if claimed is not None:
            session.commit()
            return claimed
        row = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
        elapsed = timedelta(seconds=time.monotonic() - started)  # the clock may be frozen
        stale = (
            row is not None
            and not row.completed
            and row.request_hash == request_hash
            and row.created_at <= now + elapsed - stale_after
        )
        if row is not None and row.expires_at <= now:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
            session.commit()
            row = None
        elif row is not None and stale:
            # "still open" is checked again by the DELETE itself: a first request that
            # completes meanwhile keeps its claim (PostgreSQL re-reads the locked row).
            taken = session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.id == row.id, IdempotencyKey.completed.is_(False)
                )
            )
            session.commit()
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                continue
            row = None
        if row is None:
            continue  # gone (expired, taken over, or abandoned meanwhile): claim it again
        if row.request_hash != request_hash:
            raise ValidationFailed(
                "This Idempotency-Key was used with a different request body.",
                fields={"headers": {"Idempotency-Key": ["Reused with a different body."]}},
            )
        if row.completed:
            return Replay(row.response_status or 200, row.response_body)
        if time.monotonic() > deadline:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry later.",
                headers={"Retry-After": "1"},
            )
        # End the transaction before sleeping: on SQLite every transaction holds the write
        # lock (BEGIN IMMEDIATE), and a waiter sleeping inside one starves the first request.
        session.rollback()
        time.sleep(0.05)


def _claim(
    session: Session, user_id: int, key: str, request_hash: str, now: datetime
) -> int | None:
    """Insert the claim unless the key is there already (``ON CONFLICT DO NOTHING``: no
    error, and on PostgreSQL it waits for a concurrent claim of the key to commit or roll
    back, then decides). Returns the new row's id, or None."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return session.scalar(
        insert(IdempotencyKey)
        .values(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            completed=False,
            created_at=now,
            expires_at=now + RETENTION,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    )


def complete(session: Session, claim_id: int, status: int, body: Any) -> None:
    """Store the answer under the claim, in the caller's transaction (the one that holds
    the request's writes). A claim that is gone or no longer open was taken over as stale
    by a retry: raise, so the caller rolls its writes back instead of doing them twice."""
    result = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id, IdempotencyKey.completed.is_(False))
        .values(completed=True, response_status=status, response_body=body)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "This request took too long; a retry with the same Idempotency-Key replaced it.",
            headers={"Retry-After": "1"},
        )
    session.commit()


def abandon(session: Session, claim_id: int) -> None:
    """Forget a claim whose request failed, so the key can be used again."""
    session.rollback()
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))
    session.commit()


def purge_expired(session: Session, now: datetime) -> int:
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
