"""The business's local time, stated once: its time zone and the weekday keys of opening hours.

Every rule of the service (cut-off, windows, opening hours, shifts, the planner's day) is
judged in this wall-clock time; stored times are UTC.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

TZ_NAME = "Europe/Berlin"
BUSINESS_TZ = ZoneInfo(TZ_NAME)
#: keys of weekly opening hours, Monday first (``date.weekday()`` order)
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_key(day: date) -> str:
    """``"mon"`` … ``"sun"`` for ``day``."""
    return WEEKDAYS[day.weekday()]
