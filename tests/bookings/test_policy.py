"""The service policy: cut-off at 14:00 Berlin time (also on DST change days), closed days,
round trips across weekends and holidays, and the live promise."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from louise.bookings.policy import ServicePolicy

BERLIN = ZoneInfo("Europe/Berlin")
POLICY = ServicePolicy()
# DST change days are Sundays (closed in the real service); a seven-day policy tests the
# cut-off on exactly those days.
SEVEN_DAYS = ServicePolicy(closed_weekdays=frozenset())
SPRING_FORWARD = date(2026, 3, 29)  # 02:00 → 03:00
FALL_BACK = date(2026, 10, 25)  # 03:00 → 02:00


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), tzinfo=BERLIN)


@pytest.mark.parametrize(
    "day",
    [date(2026, 11, 23), SPRING_FORWARD, FALL_BACK, date(2026, 3, 30), date(2026, 10, 26)],
)
def test_same_day_evening_is_bookable_until_13_59_59_and_not_at_14_00(day):
    evening = SEVEN_DAYS.window("evening")
    assert SEVEN_DAYS.bookable(day, evening, at(day, 13, 59, 59)) == (True, "ok")
    assert SEVEN_DAYS.bookable(day, evening, at(day, 14, 0, 0)) == (False, "past_cutoff")


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_cutoff_is_judged_in_berlin_time_when_given_utc(day):
    evening = SEVEN_DAYS.window("evening")
    before = at(day, 13, 59, 59).astimezone(UTC)
    after = at(day, 14, 0, 0).astimezone(UTC)
    assert SEVEN_DAYS.bookable(day, evening, before)[0] is True
    assert SEVEN_DAYS.bookable(day, evening, after)[0] is False
    # The UTC offsets differ on the two sides of the year: 12:00 vs 13:00 UTC.
    assert after.hour == (12 if day == SPRING_FORWARD else 13)


def test_promise_counts_real_time_across_the_spring_forward_jump():
    # 01:30 local on 29 March: until 14:00 local is 12 h 30 min of wall clock, but only
    # 11 h 30 min really pass because 02:00–03:00 does not exist.
    promise = SEVEN_DAYS.promise(
        SPRING_FORWARD, SEVEN_DAYS.window("evening"), at(SPRING_FORWARD, 1, 30)
    )
    assert promise == "order within 11 h 30 min for delivery today from 17:30"


def test_promise_counts_real_time_across_the_fall_back_hour():
    promise = SEVEN_DAYS.promise(FALL_BACK, SEVEN_DAYS.window("evening"), at(FALL_BACK, 1, 30))
    assert promise == "order within 13 h 30 min for delivery today from 17:30"


def test_promise_in_german():
    day = date(2026, 11, 23)
    text = POLICY.promise(day, POLICY.window("evening"), at(day, 11, 47), "de")
    assert text == "Bestellen Sie innerhalb von 2 h 13 min für die Lieferung heute ab 17:30"


def test_daytime_windows_are_not_offered_the_same_day():
    day = date(2026, 11, 23)
    assert POLICY.bookable(day, POLICY.window("day-15"), at(day, 8, 0)) == (False, "past_cutoff")
    assert POLICY.bookable(day + timedelta(days=1), POLICY.window("day-09"), at(day, 23, 59))[0]


def test_sundays_and_nrw_holidays_are_closed():
    assert not POLICY.is_service_day(date(2026, 11, 22))  # Sunday
    assert not POLICY.is_service_day(date(2026, 12, 25))  # Christmas
    assert not POLICY.is_service_day(date(2026, 6, 4))  # Corpus Christi: NRW, not nationwide
    assert not POLICY.is_service_day(date(2026, 11, 1))  # All Saints' Day (NRW; a Sunday too)
    assert POLICY.is_service_day(date(2026, 11, 21))  # Saturday
    evening = POLICY.window("evening")
    assert POLICY.bookable(date(2026, 12, 25), evening, at(date(2026, 12, 22), 9)) == (
        False,
        "closed_day",
    )


def test_booking_horizon():
    today = date(2026, 11, 23)
    evening = POLICY.window("evening")
    assert POLICY.bookable(today + timedelta(days=14), evening, at(today, 9))[0]
    assert POLICY.bookable(today + timedelta(days=15), evening, at(today, 9)) == (
        False,
        "beyond_horizon",
    )
    assert POLICY.bookable(today - timedelta(days=1), evening, at(today, 9)) == (False, "in_past")


def test_round_trip_return_skips_the_weekend_sunday():
    # Friday pickup, two days' turnaround: Sunday is closed, so Monday.
    assert POLICY.add_service_days(date(2026, 12, 4), 2) == date(2026, 12, 7)
    # Saturday is a service day.
    assert POLICY.add_service_days(date(2026, 12, 4), 1) == date(2026, 12, 5)


def test_round_trip_return_skips_christmas():
    # Wednesday 23 Dec + 2 days = Friday 25 (holiday) → Sat 26 (holiday) → Sun → Mon 28.
    assert POLICY.add_service_days(date(2026, 12, 23), 2) == date(2026, 12, 28)
