"""Impact fixtures: Monday's bookings planned and published through the dispatch services."""

from __future__ import annotations

import pytest

from louise.dispatch.models import Plan
from tests.support.dispatch import publish_monday


@pytest.fixture()
def published(db_session, fleet, day_bookings, make_user) -> Plan:
    """Monday's eight bookings planned and published."""
    return publish_monday(db_session, make_user)
