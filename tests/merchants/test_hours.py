"""Opening hours are local wall-clock times in Europe/Berlin; exceptions override the week."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from louise.merchants.hours import (
    DateException,
    Interval,
    interval_problems,
    is_open_at,
    is_open_during,
    is_open_on,
    opening_intervals_on,
    opening_windows_on,
)

BERLIN = ZoneInfo("Europe/Berlin")
MORNING = Interval(time(9), time(13))
AFTERNOON = Interval(time(14, 30), time(18))
# Mon–Fri with a lunch break, Saturday mornings, Sunday closed.
WEEK = {d: [AFTERNOON, MORNING] for d in range(5)} | {5: [Interval(time(9), time(12))]}

MONDAY = date(2025, 3, 3)
SUNDAY = date(2025, 3, 9)
CHRISTMAS_EVE = date(2025, 12, 24)  # a Wednesday
SPRING_FORWARD = date(2025, 3, 30)  # Sunday: 02:00 CET → 03:00 CEST
FALL_BACK = date(2025, 10, 26)  # Sunday: 03:00 CEST → 02:00 CET


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def test_a_day_with_two_intervals_lists_both_in_order() -> None:
    assert opening_intervals_on(MONDAY, WEEK) == [MORNING, AFTERNOON]


def test_shop_is_closed_during_the_lunch_break_and_open_around_it() -> None:
    assert is_open_at(berlin(MONDAY, 12, 59), WEEK)
    assert not is_open_at(berlin(MONDAY, 13, 0), WEEK)  # closing time is exclusive
    assert not is_open_at(berlin(MONDAY, 14, 0), WEEK)
    assert is_open_at(berlin(MONDAY, 14, 30), WEEK)


def test_a_weekday_without_intervals_is_closed() -> None:
    assert opening_intervals_on(SUNDAY, WEEK) == []
    assert not is_open_on(SUNDAY, WEEK)
    assert not is_open_at(berlin(SUNDAY, 10), WEEK)


def test_a_closed_date_exception_closes_a_normal_weekday() -> None:
    closed = DateException(CHRISTMAS_EVE, closed=True)
    assert is_open_on(CHRISTMAS_EVE, WEEK)
    assert not is_open_on(CHRISTMAS_EVE, WEEK, [closed])
    assert not is_open_at(berlin(CHRISTMAS_EVE, 10), WEEK, [closed])
    assert is_open_at(berlin(date(2025, 12, 23), 10), WEEK, [closed])  # only that date


def test_special_hours_replace_the_weekly_hours_of_that_date() -> None:
    special = DateException(SUNDAY, closed=False, intervals=(Interval(time(11), time(16)),))
    assert opening_intervals_on(SUNDAY, WEEK, [special]) == [Interval(time(11), time(16))]
    assert is_open_at(berlin(SUNDAY, 15), WEEK, [special])
    assert not is_open_at(berlin(SUNDAY, 10), WEEK, [special])


def test_moments_in_utc_are_judged_in_berlin_wall_clock_time() -> None:
    # 08:30 UTC in winter is 09:30 in Berlin: open; 07:30 UTC is 08:30: not yet.
    assert is_open_at(datetime(2025, 3, 3, 8, 30, tzinfo=UTC), WEEK)
    assert not is_open_at(datetime(2025, 3, 3, 7, 30, tzinfo=UTC), WEEK)


def test_on_the_spring_forward_day_opening_hours_keep_their_wall_clock_meaning() -> None:
    week = {6: [Interval(time(1), time(4)), Interval(time(9), time(18))]}
    # 07:30 UTC is 09:30 CEST (UTC+2) on that Sunday: open. A day earlier it is 08:30 CET.
    assert is_open_at(datetime(2025, 3, 30, 7, 30, tzinfo=UTC), week)
    assert not is_open_at(datetime(2025, 3, 23, 7, 30, tzinfo=UTC), week)
    # 01:30 UTC is 03:30 CEST, inside the night interval 01:00–04:00 that lost an hour.
    assert is_open_at(datetime(2025, 3, 30, 1, 30, tzinfo=UTC), week)
    start, end = opening_windows_on(SPRING_FORWARD, week)[0]
    assert (end - start).total_seconds() == 2 * 3600  # 01:00–04:00 lasts two real hours


def test_on_the_fall_back_day_opening_hours_keep_their_wall_clock_meaning() -> None:
    week = {6: [Interval(time(9), time(18))]}
    # 08:00 UTC is 09:00 CET (UTC+1) after the change: just open. 07:30 UTC is 08:30: closed.
    assert is_open_at(datetime(2025, 10, 26, 8, 0, tzinfo=UTC), week)
    assert not is_open_at(datetime(2025, 10, 26, 7, 30, tzinfo=UTC), week)
    opens, closes = opening_windows_on(FALL_BACK, week)[0]
    assert opens == datetime(2025, 10, 26, 8, 0, tzinfo=UTC)
    assert (closes - opens).total_seconds() == 9 * 3600


def test_a_window_must_fit_into_one_interval() -> None:
    assert is_open_during(berlin(MONDAY, 9), berlin(MONDAY, 13), WEEK)
    assert not is_open_during(berlin(MONDAY, 12), berlin(MONDAY, 15), WEEK)  # spans lunch
    assert not is_open_during(berlin(SUNDAY, 10), berlin(SUNDAY, 11), WEEK)


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open_at(datetime(2025, 3, 3, 10), WEEK)


def test_intervals_that_end_before_they_start_are_refused() -> None:
    with pytest.raises(ValueError, match="before it opens"):
        Interval(time(18), time(9))
    assert interval_problems([(time(18), time(9))]) == [
        "Interval 18:00–09:00 must close after it opens."
    ]


def test_overlapping_intervals_are_reported_and_touching_ones_are_fine() -> None:
    assert interval_problems([(time(9), time(13)), (time(12), time(18))]) == [
        "Intervals 09:00–13:00 and 12:00–18:00 overlap."
    ]
    assert interval_problems([(time(9), time(13)), (time(13), time(18))]) == []


def test_a_date_exception_is_either_closed_or_has_intervals() -> None:
    with pytest.raises(ValueError):
        DateException(SUNDAY, closed=True, intervals=(MORNING,))
    with pytest.raises(ValueError):
        DateException(SUNDAY, closed=False)


def test_an_open_shop_says_when_it_closes_and_touching_intervals_count_as_one() -> None:
    from louise.merchants.hours import open_until

    assert open_until(berlin(MONDAY, 10), WEEK) == berlin(MONDAY, 13)
    assert open_until(berlin(MONDAY, 13, 30), WEEK) is None  # lunch break
    touching = {0: [Interval(time(9), time(13)), Interval(time(13), time(18))]}
    assert open_until(berlin(MONDAY, 10), touching) == berlin(MONDAY, 18)


def test_a_closed_shop_says_when_it_opens_next_honouring_exceptions() -> None:
    from louise.merchants.hours import next_opening

    assert next_opening(berlin(MONDAY, 13, 30), WEEK) == berlin(MONDAY, 14, 30)
    assert next_opening(berlin(MONDAY, 7), WEEK) == berlin(MONDAY, 9)
    saturday = date(2025, 3, 8)
    assert next_opening(berlin(saturday, 12), WEEK) == berlin(date(2025, 3, 10), 9)
    tuesday_closed = DateException(date(2025, 3, 4), closed=True)
    assert next_opening(berlin(MONDAY, 19), WEEK, [tuesday_closed]) == berlin(date(2025, 3, 5), 9)
    assert next_opening(berlin(MONDAY, 19), {}) is None
