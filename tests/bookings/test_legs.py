"""bookings/legs.py on its own: plain data in, legs out (no database, no app)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from louise.bookings.legs import ShopUnreachable, Stop, plan_collect, plan_delivery
from louise.bookings.models import LegPurpose, StopKind
from louise.bookings.policy import ServicePolicy

POLICY = ServicePolicy()
RESIDENT = Stop(StopKind.RESIDENT, "Gladbecker Straße 1", 51.52, 6.93)
SHOP = Stop(StopKind.SHOP, "Schuhmacher Kaya", 51.523, 6.928)
HUB = Stop(StopKind.HUB, "City-Station", 51.5236, 6.9285)
TUESDAY = date(2026, 11, 24)  # a service day
SATURDAY = date(2026, 11, 28)


def hours_9_to_18(day: date) -> list[tuple[time, time]]:
    """Open Monday to Friday 09:00-18:00, closed at the weekend."""
    return [(time(9), time(18))] if day.weekday() < 5 else []


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=POLICY.tz)


def test_a_collection_in_a_day_window_reaches_the_open_shop_directly() -> None:
    legs = plan_collect(POLICY, RESIDENT, SHOP, HUB, hours_9_to_18, TUESDAY, "day-09")
    assert len(legs) == 1
    leg = legs[0]
    assert (leg.origin, leg.dest, leg.via_hub, leg.window_code) == (RESIDENT, SHOP, False, "day-09")
    assert leg.pickup == (local(TUESDAY, 9), local(TUESDAY, 11))
    # handed in while the shop is open: 09:00 to the end of the window plus an hour's ride
    assert leg.delivery == (local(TUESDAY, 9), local(TUESDAY, 12))
    assert leg.purpose == LegPurpose.COLLECT


def test_a_collection_after_closing_time_goes_through_the_hub_to_the_next_opening() -> None:
    legs = plan_collect(POLICY, RESIDENT, SHOP, HUB, hours_9_to_18, TUESDAY, "evening")
    assert [(leg.origin, leg.dest, leg.day, leg.via_hub) for leg in legs] == [
        (RESIDENT, HUB, TUESDAY, True),
        (HUB, SHOP, date(2026, 11, 25), True),
    ]
    # at the shop on Wednesday between opening and three hours later
    assert legs[1].delivery == (local(date(2026, 11, 25), 9), local(date(2026, 11, 25), 12))
    assert legs[1].window_code is None  # the hub leg uses no resident window


def deliver_on_saturday(earliest_day: date, not_before: datetime | None = None) -> list[Any]:
    return plan_delivery(
        POLICY,
        SHOP,
        RESIDENT,
        HUB,
        hours_9_to_18,
        SATURDAY,
        "day-09",
        purpose=LegPurpose.DELIVER,
        earliest_day=earliest_day,
        not_before=not_before,
    )


def test_a_delivery_from_a_shop_closed_at_the_weekend_leaves_on_friday() -> None:
    legs = deliver_on_saturday(date(2026, 11, 26))
    assert [(leg.origin, leg.dest, leg.day) for leg in legs] == [
        (SHOP, HUB, date(2026, 11, 27)),
        (HUB, RESIDENT, SATURDAY),
    ]
    assert legs[0].pickup == (local(date(2026, 11, 27), 15), local(date(2026, 11, 27), 18))


def test_a_delivery_never_plans_a_pickup_in_the_past() -> None:
    now = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # 17:30 in Bottrop: shop still open
    legs = deliver_on_saturday(date(2026, 11, 27), not_before=now)
    assert legs[0].pickup == (now, local(date(2026, 11, 27), 18))


def test_a_shop_that_never_opens_is_unreachable() -> None:
    with pytest.raises(ShopUnreachable):
        plan_collect(POLICY, RESIDENT, SHOP, HUB, lambda day: [], TUESDAY, "evening")
