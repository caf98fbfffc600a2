"""The window told to residents (ETA ± 15 min) stays inside the booked window."""

from __future__ import annotations

from datetime import UTC, datetime

from louise.dispatch.models import PlanStop
from louise.dispatch.service import eta_window


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=UTC)


def _stop(eta: datetime, window: tuple[datetime, datetime] | None) -> PlanStop:
    start, end = window if window is not None else (None, None)
    return PlanStop(eta=eta, window_start=start, window_end=end)


WAVE = (_at(16, 30), _at(19, 0))  # 17:30–20:00 in Bottrop


def test_an_eta_just_after_the_wave_opens_is_not_told_as_before_it():
    assert eta_window(_stop(_at(16, 32), WAVE)) == (_at(16, 30), _at(16, 47))


def test_an_eta_just_before_the_wave_closes_is_not_told_as_after_it():
    assert eta_window(_stop(_at(18, 55), WAVE)) == (_at(18, 40), _at(19, 0))


def test_an_eta_in_the_middle_of_the_wave_is_plus_minus_15_minutes():
    assert eta_window(_stop(_at(17, 40), WAVE)) == (_at(17, 25), _at(17, 55))


def test_a_late_eta_keeps_the_eta_inside_what_is_told():
    assert eta_window(_stop(_at(19, 10), WAVE)) == (_at(18, 55), _at(19, 25))


def test_a_stop_without_a_window_is_plus_minus_15_minutes():
    assert eta_window(_stop(_at(17, 0), None)) == (_at(16, 45), _at(17, 15))
