"""The current time, in one place, so that tests can move it (cut-off, DST days)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
