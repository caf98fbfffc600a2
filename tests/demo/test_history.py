"""The demo's history: past service days booked, planned, published, worked by the couriers
and put in the impact ledger, through the services. A short history (a few days) keeps the
suite fast; `make demo` loads four weeks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.bookings.models import Booking, Leg, OutboxMessage
from louise.demo.command import format_summary
from louise.demo.seed import reset_demo_data, seed_demo
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop, StopStatus, StopType
from louise.fleet.models import Shift
from louise.impact.reading import day_totals

pytestmark = pytest.mark.slow

#: Tuesday 24 November 2026, 10:00 in Bottrop: the demo day is Wednesday 25th; five days
#: back are Thursday 19th to Monday 23rd, with Sunday 22nd closed.
TUESDAY_10 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HISTORY = [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 23)]


def test_a_short_history_is_planned_worked_and_in_the_ledger(
    app: Flask, db_session: Session
) -> None:
    summary = seed_demo(db_session, app.config, TUESDAY_10, history_days=5)

    assert summary.service_day == date(2026, 11, 25)
    history = summary.history
    assert history is not None and history.days == HISTORY
    plans = db_session.scalars(select(Plan).where(Plan.day.in_(HISTORY))).all()
    assert sorted(p.day for p in plans if p.status == PlanStatus.PUBLISHED) == HISTORY
    for day in HISTORY:
        stops = db_session.scalars(
            select(PlanStop)
            .join(PlanRoute, PlanStop.route_id == PlanRoute.id)
            .join(Plan, PlanRoute.plan_id == Plan.id)
            .where(Plan.day == day, Plan.status == PlanStatus.PUBLISHED)
        ).all()
        tasks = Counter(s.status for s in stops if s.type in (StopType.PICKUP, StopType.DELIVERY))
        assert tasks[StopStatus.COMPLETED] >= 20, (day, tasks)
        assert tasks[StopStatus.PENDING] == tasks[StopStatus.ARRIVED] == 0, (day, tasks)
        ends = [s for s in stops if s.type == StopType.END]
        assert ends and all(s.status == StopStatus.COMPLETED for s in ends), day  # closed
        completed = [s for s in stops if s.status == StopStatus.COMPLETED and s.leg_id]
        assert all(s.proof_kind in ("booking_code", "pin") for s in completed)

        totals = day_totals(db_session, day)
        assert totals is not None, day
        assert totals.legs > 0 and totals.vans >= 1
        assert totals.bike_m > 0 and totals.van_m > 0
        assert totals.avoided_co2e_mg > 0

    # the history's counters add up to what the database holds
    completed_tasks = db_session.scalar(
        select(func.count())
        .select_from(PlanStop)
        .where(PlanStop.leg_id.is_not(None), PlanStop.status == StopStatus.COMPLETED)
    )
    assert completed_tasks == history.stops_completed
    assert history.bookings >= 4 * 12 and history.not_booked <= 2
    # every history day was staffed; the demo day keeps its four shifts
    shifts = Counter(s.day for s in db_session.scalars(select(Shift)))
    assert shifts == {day: 4 for day in [*HISTORY, date(2026, 11, 25)]}
    # the history's mail went out on its days: what is left to send is the demo day's
    unsent = db_session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
    unsent_days = {
        leg.day
        for message in unsent
        for leg in db_session.scalars(select(Leg).where(Leg.booking_id == message.booking_id))
    }
    assert unsent_days and min(unsent_days) >= date(2026, 11, 25)
    assert "History: 4 service days from 19.11.2026 to 23.11.2026" in format_summary(summary)


def _demo_day_bookings(db_session: Session) -> list[tuple[str, str, str, str]]:
    bookings = db_session.scalars(select(Booking).order_by(Booking.id)).all()
    return [
        (b.customer.email or "", b.kind, b.destination_type.value, b.legs[0].window_code or "")
        for b in bookings
        if min(leg.day for leg in b.legs) == date(2026, 11, 25)
    ]


def test_the_demo_day_is_the_same_with_or_without_history(app: Flask, db_session: Session) -> None:
    """The history comes after the demo day's bookings, with a random generator of its own:
    the demo day's bookings do not change, and they keep the first ids."""
    without = seed_demo(db_session, app.config, TUESDAY_10)
    plain = _demo_day_bookings(db_session)
    reset_demo_data(db_session)

    summary = seed_demo(db_session, app.config, TUESDAY_10, history_days=2)
    assert summary.history is not None and summary.history.days == [date(2026, 11, 23)]
    assert without.history is None and summary.bookings == without.bookings == len(plain)
    assert _demo_day_bookings(db_session) == plain
    bookings = db_session.scalars(select(Booking)).all()
    first_day = {b.id: min(leg.day for leg in b.legs) for b in bookings}
    demo_day = [i for i, day in first_day.items() if day == date(2026, 11, 25)]
    history = [i for i, day in first_day.items() if day == date(2026, 11, 23)]
    assert history and max(demo_day) < min(history)


def test_the_seed_command_makes_history_and_names_its_month(
    app: Flask, db_session: Session, now: Any, tmp_path: Path
) -> None:
    """``flask seed --history-days 2`` on Monday 23 November (the fixed test clock): Saturday
    21st is the history (Sunday is closed); the month file names November for the report."""
    month_file = tmp_path / "demo-month"
    result = app.test_cli_runner().invoke(
        args=["seed", "--history-days", "2", "--month-file", str(month_file)]
    )
    assert result.exit_code == 0, result.output
    assert "History: 1 service day from 21.11.2026 to 21.11.2026" in result.output
    assert month_file.read_text() == "2026-11\n"
    assert day_totals(db_session, date(2026, 11, 21)) is not None


def test_without_history_the_seed_writes_no_month(
    app: Flask, db_session: Session, now: Any, tmp_path: Path
) -> None:
    month_file = tmp_path / "demo-month"
    result = app.test_cli_runner().invoke(
        args=["seed", "--history-days", "0", "--month-file", str(month_file)]
    )
    assert result.exit_code == 0, result.output
    assert "History:" not in result.output
    assert not month_file.exists()
