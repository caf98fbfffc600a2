"""Opening hours as pure functions over plain data (no database, no Flask).

Opening hours are local wall-clock times in the business time zone (Europe/Berlin): a shop
that opens at 09:00 opens at 09:00 in winter and in summer, whatever the UTC offset. Moments
given to these functions must be timezone-aware; they are converted to local time first.

Bookings use :func:`is_open_at`, :func:`is_open_during` and :func:`opening_windows_on` to check
that a shop can hand over or receive a parcel in a chosen time window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from louise.localtime import BUSINESS_TZ, WEEKDAYS  # noqa: F401 (WEEKDAYS: hours.WEEKDAYS)

#: API day keys, index = ``date.weekday()`` (0 = Monday).


@dataclass(frozen=True, order=True)
class Interval:
    """One opening interval within a single day: ``opens <= t < closes``."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening times are local wall-clock times without a time zone")
        if self.closes <= self.opens:
            raise ValueError(f"interval closes ({self.closes}) before it opens ({self.opens})")

    def contains(self, moment: time) -> bool:
        return self.opens <= moment < self.closes


@dataclass(frozen=True)
class DateException:
    """A date that departs from the weekly hours: closed all day, or special intervals."""

    day: date
    closed: bool
    intervals: tuple[Interval, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.closed and self.intervals:
            raise ValueError("a closed day has no opening intervals")
        if not self.closed and not self.intervals:
            raise ValueError("an exception that is not a closure needs special intervals")


WeeklyHours = Mapping[int, Sequence[Interval]]
"""Opening intervals per weekday (0 = Monday … 6 = Sunday); a missing day is closed."""


def interval_problems(intervals: Iterable[tuple[time, time]]) -> list[str]:
    """Human-readable problems of one day's intervals: empty intervals and overlaps.

    Touching intervals (09:00–13:00 and 13:00–18:00) do not overlap.
    """
    problems: list[str] = []
    valid: list[tuple[time, time]] = []
    for opens, closes in intervals:
        if closes <= opens:
            problems.append(f"Interval {opens:%H:%M}–{closes:%H:%M} must close after it opens.")
        else:
            valid.append((opens, closes))
    valid.sort()
    for (o1, c1), (o2, c2) in pairwise(valid):
        if o2 < c1:
            problems.append(f"Intervals {o1:%H:%M}–{c1:%H:%M} and {o2:%H:%M}–{c2:%H:%M} overlap.")
    return problems


def _exception_for(day: date, exceptions: Iterable[DateException]) -> DateException | None:
    for exception in exceptions:
        if exception.day == day:
            return exception
    return None


def opening_intervals_on(
    day: date, weekly: WeeklyHours, exceptions: Iterable[DateException] = ()
) -> list[Interval]:
    """The local opening intervals of ``day``, sorted; a date exception overrides the week."""
    exception = _exception_for(day, exceptions)
    if exception is not None:
        return sorted(exception.intervals)
    return sorted(weekly.get(day.weekday(), ()))


def is_open_on(day: date, weekly: WeeklyHours, exceptions: Iterable[DateException] = ()) -> bool:
    """Whether the shop opens at all on ``day``."""
    return bool(opening_intervals_on(day, weekly, exceptions))


def to_local(moment: datetime, tz: ZoneInfo = BUSINESS_TZ) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware (louise never guesses a time zone)")
    return moment.astimezone(tz)


def is_open_at(
    moment: datetime,
    weekly: WeeklyHours,
    exceptions: Iterable[DateException] = (),
    tz: ZoneInfo = BUSINESS_TZ,
) -> bool:
    """Whether the shop is open at an aware ``moment`` (judged in local wall-clock time)."""
    local = to_local(moment, tz)
    wall = local.time().replace(tzinfo=None)
    return any(
        interval.contains(wall)
        for interval in opening_intervals_on(local.date(), weekly, exceptions)
    )


def opening_windows_on(
    day: date,
    weekly: WeeklyHours,
    exceptions: Iterable[DateException] = (),
    tz: ZoneInfo = BUSINESS_TZ,
) -> list[tuple[datetime, datetime]]:
    """The opening intervals of local ``day`` as aware UTC datetimes.

    UTC, because Python compares and subtracts datetimes that share a ``tzinfo`` by wall
    clock: on a DST change day that would be an hour off. The wall-clock times keep their
    meaning: 01:00–04:00 on the last Sunday of March lasts two real hours.
    """
    return [
        (
            datetime.combine(day, i.opens, tzinfo=tz).astimezone(UTC),
            datetime.combine(day, i.closes, tzinfo=tz).astimezone(UTC),
        )
        for i in opening_intervals_on(day, weekly, exceptions)
    ]


def is_open_during(
    start: datetime,
    end: datetime,
    weekly: WeeklyHours,
    exceptions: Iterable[DateException] = (),
    tz: ZoneInfo = BUSINESS_TZ,
) -> bool:
    """Whether the shop is open for the whole window ``[start, end)`` (one interval covers it).

    A window spanning a lunch break is not covered: nobody is there to hand over a parcel.
    """
    local_start, local_end = to_local(start, tz), to_local(end, tz)
    if local_end <= local_start:
        raise ValueError("the window must end after it starts")
    return any(
        opens <= local_start and local_end <= closes
        for opens, closes in opening_windows_on(local_start.date(), weekly, exceptions, tz)
    )


#: How far ahead :func:`next_opening` looks: a shop closed for longer says "closed" only.
NEXT_OPENING_HORIZON_DAYS = 14


def open_until(
    moment: datetime,
    weekly: WeeklyHours,
    exceptions: Iterable[DateException] = (),
    tz: ZoneInfo = BUSINESS_TZ,
) -> datetime | None:
    """When the interval the shop is open in at ``moment`` closes (local time), or None when
    it is closed then. Intervals that touch (09:00–13:00, 13:00–18:00) count as one."""
    local = to_local(moment, tz)
    wall = local.time().replace(tzinfo=None)
    closes: time | None = None
    for interval in opening_intervals_on(local.date(), weekly, exceptions):
        if interval.contains(wall) or (closes is not None and interval.opens == closes):
            closes = interval.closes
    if closes is None:
        return None
    return datetime.combine(local.date(), closes, tzinfo=tz)


def next_opening(
    moment: datetime,
    weekly: WeeklyHours,
    exceptions: Iterable[DateException] = (),
    tz: ZoneInfo = BUSINESS_TZ,
    horizon_days: int = NEXT_OPENING_HORIZON_DAYS,
) -> datetime | None:
    """The next time (local) after ``moment`` at which a closed shop opens, honouring date
    exceptions; None when it does not open within ``horizon_days``."""
    local = to_local(moment, tz)
    wall = local.time().replace(tzinfo=None)
    listed = list(exceptions)
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        for interval in opening_intervals_on(day, weekly, listed):
            if offset > 0 or interval.opens > wall:
                return datetime.combine(day, interval.opens, tzinfo=tz)
    return None
