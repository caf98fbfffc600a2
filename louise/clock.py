"""The current time, in one place, so that tests can move it (cut-off, DST days) and a demo can
fix it (``LOUISE_CLOCK``, see docs/configuration.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from louise.config import fixed_clock


def now() -> datetime:
    """The real time, or the instant ``LOUISE_CLOCK`` fixes (it does not move on)."""
    fixed = fixed_clock()
    return fixed if fixed is not None else datetime.now(UTC)
