"""Dispatch fixtures (a pytest plugin, see tests/conftest.py): a fleet with shifts on Monday
and a handful of bookings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from louise.dispatch import service
from louise.dispatch.models import Plan, PlanStatus
from louise.fleet.models import Shift, Vehicle, VehicleKind
from tests.support.bookings import MONDAY, local

HUB = (51.5236, 6.9285)
#: the moment Monday's plans are made: 10:00 in Bottrop
PLANNED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

#: Homes around Bottrop town centre.
HOMES = [
    (51.5290, 6.9400),
    (51.5180, 6.9210),
    (51.5330, 6.9150),
    (51.5210, 6.9500),
    (51.5380, 6.9320),
    (51.5150, 6.9350),
    (51.5260, 6.9050),
    (51.5310, 6.9600),
]


@pytest.fixture()
def fleet(db_session: Any, make_user: Callable[..., Any]) -> list[Shift]:
    shifts = []
    for n in range(2):
        bike = Vehicle(
            name=f"Lastenrad {n + 1}",
            kind=VehicleKind.BIKE,
            capacity_l=200,
            capacity_kg=100,
            speed_kmh=15,
        )
        db_session.add(bike)
        db_session.flush()
        shift = Shift(
            day=MONDAY,
            courier_id=make_user("courier", name=f"Kurier {n + 1}").id,
            vehicle_id=bike.id,
            starts_at=local(MONDAY, 8, 0),
            ends_at=local(MONDAY, 21, 0),
            breaks=[
                {
                    "start": local(MONDAY, 12, 0).isoformat(),
                    "end": local(MONDAY, 14, 0).isoformat(),
                    "duration_s": 1800,
                }
            ],
        )
        db_session.add(shift)
        shifts.append(shift)
    db_session.commit()
    return shifts


@pytest.fixture()
def day_bookings(
    book: Any, offers: dict[str, Any], make_user: Callable[..., Any]
) -> list[dict[str, Any]]:
    out = []
    kinds = ["product", "service", "collection"]
    for i, (lat, lon) in enumerate(HOMES):
        r = book(make_user("customer"), offers[kinds[i % 3]], address={"lat": lat, "lon": lon})
        assert r.status_code == 201, r.json
        out.append(r.json)
    return out


def publish_monday(db_session, make_user, time_limit: float = 1.0) -> Plan:
    """Monday's bookings planned and published through the dispatch services."""
    dispatcher = make_user("dispatcher")
    plan = service.request_plan(db_session, dispatcher, MONDAY, PLANNED_AT)
    plan = service.run_plan(
        db_session,
        plan.id,
        service.PlanningSettings(hub=HUB, time_limit=time_limit),
        lambda: PLANNED_AT,
    )
    assert plan.status == PlanStatus.DRAFT, plan.error
    return service.publish_plan(db_session, dispatcher, plan.id, PLANNED_AT)
