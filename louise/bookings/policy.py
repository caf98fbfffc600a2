"""The service policy: time windows, cut-off, closed days, horizon and the delivery promise.

Pure functions over plain data; every rule is evaluated in Europe/Berlin wall-clock time,
so the cut-off stays at 14:00 local on the days the clocks change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from louise.localtime import BUSINESS_TZ

BERLIN = BUSINESS_TZ


@dataclass(frozen=True)
class WindowSpec:
    """A bookable window of every service day, in local wall-clock time."""

    code: str
    start: time
    end: time
    evening: bool = False

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"window {self.code}: end must be after start")


DEFAULT_WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec("day-09", time(9, 0), time(11, 0)),
    WindowSpec("day-11", time(11, 0), time(13, 0)),
    WindowSpec("day-13", time(13, 0), time(15, 0)),
    WindowSpec("day-15", time(15, 0), time(17, 0)),
    WindowSpec("evening", time(17, 30), time(20, 0), evening=True),
)


@dataclass(frozen=True)
class ServicePolicy:
    """The real LOUISE defaults; every field is configurable (see docs/bookings.md)."""

    windows: tuple[WindowSpec, ...] = DEFAULT_WINDOWS
    same_day_cutoff: time = time(14, 0)
    horizon_days: int = 14
    closed_weekdays: frozenset[int] = field(default_factory=lambda: frozenset({6}))  # Sunday
    holiday_country: str = "DE"
    holiday_subdivision: str = "NW"
    stops_per_vehicle_hour: float = 4.0
    max_open_bookings_per_day: int = 3
    tz: ZoneInfo = BERLIN

    def window(self, code: str) -> WindowSpec:
        for spec in self.windows:
            if spec.code == code:
                return spec
        raise KeyError(code)

    def is_service_day(self, day: date) -> bool:
        """Sundays and NRW public holidays are closed."""
        return day.weekday() not in self.closed_weekdays and day not in _holidays(
            self.holiday_country, self.holiday_subdivision, day.year
        )

    def next_service_day(self, day: date, *, include: bool = True) -> date:
        current = day if include else day + timedelta(days=1)
        for _ in range(60):
            if self.is_service_day(current):
                return current
            current += timedelta(days=1)
        raise ValueError(f"no service day within 60 days after {day}")

    def add_service_days(self, day: date, days: int) -> date:
        """``day`` + ``days`` calendar days, moved forward to the next service day."""
        return self.next_service_day(day + timedelta(days=days))

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("naive datetime: louise works with timezone-aware times only")
        return moment.astimezone(self.tz)

    def window_bounds(self, day: date, spec: WindowSpec) -> tuple[datetime, datetime]:
        """The window as aware datetimes (local zone; fold-safe on DST days)."""
        return (
            datetime.combine(day, spec.start, tzinfo=self.tz),
            datetime.combine(day, spec.end, tzinfo=self.tz),
        )

    def cutoff_for(self, day: date, spec: WindowSpec) -> datetime:
        """Latest moment to book ``spec`` on ``day``.

        Same-day booking exists only for the evening wave, until the cut-off (14:00 local).
        Every other window closes at the end of the previous day.
        """
        if spec.evening:
            return datetime.combine(day, self.same_day_cutoff, tzinfo=self.tz)
        return datetime.combine(day, time(0, 0), tzinfo=self.tz)

    def horizon(self, now: datetime) -> tuple[date, date]:
        """The booking horizon at ``now``: from today up to ``horizon_days`` ahead (local)."""
        today = self.local(now).date()
        return today, today + timedelta(days=self.horizon_days)

    def bookable(self, day: date, spec: WindowSpec, now: datetime) -> tuple[bool, str]:
        """Whether ``spec`` on ``day`` can still be booked at ``now``, and why not."""
        local_now = self.local(now)
        first, last = self.horizon(now)
        if day < first:
            return False, "in_past"
        if day > last:
            return False, "beyond_horizon"
        if not self.is_service_day(day):
            return False, "closed_day"
        if local_now >= self.cutoff_for(day, spec):
            return False, "past_cutoff"
        return True, "ok"

    def promise(
        self,
        day: date,
        spec: WindowSpec,
        now: datetime,
        lang: str = "en",
        *,
        collection: bool = False,
    ) -> str:
        """The live promise shown next to a window, e.g. 'order within 2 h 13 min for
        delivery today from 17:30'. With ``collection`` (a repair's or a collection's first
        leg starts at the resident's door) it promises a collection instead."""
        local_now = self.local(now)
        # Subtract in UTC: Python subtracts two times of one zone by wall clock, which is an
        # hour off across a daylight-saving change.
        remaining = utc(self.cutoff_for(day, spec)) - utc(now)
        minutes = max(0, int(remaining.total_seconds() // 60))
        hours, mins = divmod(minutes, 60)
        span = f"{hours} h {mins} min" if hours else f"{mins} min"
        when = spec.start.strftime("%H:%M")
        what = {
            "de": "Abholung" if collection else "Lieferung",
            "en": "collection" if collection else "delivery",
        }
        if day == local_now.date():
            if lang == "de":
                return f"Bestellen Sie innerhalb von {span} für die {what['de']} heute ab {when}"
            return f"order within {span} for {what['en']} today from {when}"
        if day == local_now.date() + timedelta(days=1) and remaining <= timedelta(hours=24):
            if lang == "de":
                return f"Bestellen Sie innerhalb von {span} für die {what['de']} morgen ab {when}"
            return f"order within {span} for {what['en']} tomorrow from {when}"
        if lang == "de":
            return f"{what['de']} am {day:%d.%m.%Y} ab {when}"
        return f"{what['en']} on {day.isoformat()} from {when}"


@lru_cache(maxsize=32)
def _holidays(country: str, subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
