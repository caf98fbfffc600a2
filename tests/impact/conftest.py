"""Impact fixtures: Monday's bookings planned and published through the dispatch services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from louise.dispatch import service
from louise.dispatch.models import Plan, PlanStatus
from tests.support.dispatch import HUB, MONDAY

CLOCK = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture()
def published(db_session, fleet, day_bookings, make_user) -> Plan:
    """Monday's eight bookings planned and published through the dispatch services."""
    dispatcher = make_user("dispatcher")
    plan = service.request_plan(db_session, dispatcher, MONDAY, CLOCK)
    plan = service.run_plan(
        db_session, plan.id, service.PlanningSettings(hub=HUB, time_limit=1.0), lambda: CLOCK
    )
    assert plan.status == PlanStatus.DRAFT, plan.error
    return service.publish_plan(db_session, dispatcher, plan.id, CLOCK)
