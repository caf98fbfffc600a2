"""Planning a day through the service: stored routes pass the independent validator."""

from __future__ import annotations

from louise.dispatch import service
from louise.dispatch.models import PlanStatus
from tests.support.dispatch import HUB, MONDAY


def test_plan_day_stores_routes_for_every_leg(db_session, fleet, day_bookings, make_user):
    from datetime import UTC, datetime

    dispatcher = make_user("dispatcher")
    clock = lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # noqa: E731
    plan = service.request_plan(db_session, dispatcher, MONDAY, clock())
    settings = service.PlanningSettings(hub=HUB, time_limit=1.0)
    plan = service.run_plan(db_session, plan.id, settings, clock)
    assert plan.status == PlanStatus.DRAFT, plan.error
    planned = {s.leg_id for r in plan.routes for s in r.stops if s.leg_id}
    assert len(planned) == len(
        [1 for b in day_bookings for leg in b["legs"] if not leg["tentative"]]
    )
    assert plan.unassigned == []
    assert plan.stats["validator"] == "ok"
