"""A shop's opening hours: the weekly intervals and the date exceptions (owner or admin)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, time

from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.errors import Conflict, NotFound, ValidationFailed
from louise.merchants import hours
from louise.merchants.access import commit, invalid, merchant_for_write
from louise.merchants.models import Merchant, OpeningException, OpeningInterval

#: Opening hours as plain data: weekday (0 = Monday) → [(opens, closes), ...].
WeeklyData = Mapping[int, Sequence[tuple[time, time]]]


def set_weekly(merchant: Merchant, weekly: WeeklyData) -> None:
    problems: dict[str, list[str]] = {}
    for weekday, intervals in weekly.items():
        if not 0 <= weekday <= 6:
            problems[str(weekday)] = ["Weekday must be 0 (Monday) to 6 (Sunday)."]
            continue
        found = hours.interval_problems(intervals)
        if found:
            problems[hours.WEEKDAYS[weekday]] = found
    if problems:
        raise ValidationFailed(
            "Invalid opening hours: intervals must close after they open and must not overlap.",
            fields={"json": {"opening_hours": problems}},
        )
    merchant.opening_intervals = [
        OpeningInterval(weekday=weekday, opens=opens, closes=closes)
        for weekday, intervals in sorted(weekly.items())
        for opens, closes in sorted(intervals)
    ]


def replace_opening_hours(
    session: Session, actor: User, merchant_id: int, weekly: WeeklyData
) -> Merchant:
    """Replace the whole weekly opening hours (owner or admin); a missing weekday is closed."""
    merchant = merchant_for_write(session, actor, merchant_id)
    set_weekly(merchant, weekly)
    session.commit()
    return merchant


def add_opening_exception(
    session: Session,
    actor: User,
    merchant_id: int,
    *,
    day: date,
    closed: bool,
    intervals: Sequence[tuple[time, time]] = (),
    reason: str | None = None,
) -> OpeningException:
    """Add a date exception (owner or admin): closed all day, or special intervals.

    One exception per date; a second one for the same date is a conflict.
    """
    merchant = merchant_for_write(session, actor, merchant_id)
    if closed and intervals:
        raise invalid("intervals", "A closed day has no opening intervals.")
    if not closed and not intervals:
        raise invalid("intervals", "Give the special opening intervals, or set closed to true.")
    problems = hours.interval_problems(intervals)
    if problems:
        raise ValidationFailed(
            "Invalid opening intervals.", fields={"json": {"intervals": problems}}
        )
    if any(row.day == day for row in merchant.opening_exceptions):
        raise Conflict(
            f"There is an exception for {day.isoformat()} already; delete it first.",
            fields={"json": {"date": ["An exception for this date exists already."]}},
        )
    exception = OpeningException(
        day=day,
        closed=closed,
        special_intervals=[
            [o.strftime("%H:%M"), c.strftime("%H:%M")] for o, c in sorted(intervals)
        ],
        reason=reason,
    )
    merchant.opening_exceptions.append(exception)
    commit(session, f"There is an exception for {day.isoformat()} already.")
    return exception


def remove_opening_exception(
    session: Session, actor: User, merchant_id: int, exception_id: int
) -> None:
    """Delete a date exception of a shop (owner or admin)."""
    merchant = merchant_for_write(session, actor, merchant_id)
    exception = session.get(OpeningException, exception_id)
    if exception is None or exception.merchant_id != merchant.id:
        raise NotFound(f"Exception {exception_id} of merchant {merchant_id} not found.")
    merchant.opening_exceptions.remove(exception)
    session.commit()
