"""``Idempotency-Key`` for POSTs, with the semantics of Stripe and the IETF draft
(draft-ietf-httpapi-idempotency-key-header):

- the same key with the same body replays the first response;
- the same key with a different body is refused (422);
- a duplicate that arrives while the first is still running waits for it, then replays;
- keys are scoped to the user and kept at least 24 hours;
- a request that failed (validation or a rule) is not stored under its key.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from louise.bookings.models import IdempotencyKey
from louise.errors import BadRequest, Conflict, ValidationFailed

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
RETENTION = timedelta(hours=24)
WAIT_SECONDS = 10.0


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
    session: Session, user_id: int, key: str, request_hash: str, now: datetime
) -> int | Replay:
    """Claim ``key`` for this request (returns the row id), or return the stored response.

    The claim is committed at once, so a concurrent duplicate sees it and waits.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        session.rollback()  # see other transactions' work on every round
        row = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
        if row is not None and row.expires_at <= now:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
            session.commit()
            row = None
        if row is None:
            claim = IdempotencyKey(
                user_id=user_id,
                key=key,
                request_hash=request_hash,
                completed=False,
                created_at=now,
                expires_at=now + RETENTION,
            )
            session.add(claim)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue  # a concurrent duplicate claimed it first: look again
            return claim.id
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


def complete(session: Session, claim_id: int, status: int, body: Any) -> None:
    row = session.get(IdempotencyKey, claim_id)
    if row is None:
        return
    row.completed = True
    row.response_status = status
    row.response_body = body
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
