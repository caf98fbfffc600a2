"""The van counterfactual on tiny named instances (no database): served, validated, enough
vans."""

from __future__ import annotations

from dataclasses import replace

import pytest

from louise.impact.counterfactual import (
    CounterfactualFailed,
    VanFleet,
    VanLeg,
    plan_vans,
    vans_needed,
)
from louise.routing.validate import validate

HUB = (51.5236, 6.9285)
SHOP = (51.5250, 6.9310)
EVENING = (63000.0, 72000.0)  # 17:30–20:00
FAST = VanFleet(time_limit=0.5)


def leg(n: int, home: tuple[float, float], volume: float = 20, weight: float = 5) -> VanLeg:
    """A shop → home delivery in the evening wave."""
    return VanLeg(
        id=n,
        pickup=SHOP,
        delivery=home,
        pickup_service_s=180,
        delivery_service_s=120,
        pickup_window=EVENING,
        delivery_window=EVENING,
        volume_l=volume,
        weight_kg=weight,
    )


THREE = [leg(1, (51.5290, 6.9400)), leg(2, (51.5180, 6.9210)), leg(3, (51.5330, 6.9150))]


def test_one_van_serves_three_evening_deliveries_and_the_validator_agrees():
    plan = plan_vans(THREE, HUB, FAST)
    assert plan is not None
    assert plan.vans == 1
    assert plan.van_of_leg == {1: 1, 2: 1, 3: 1}
    assert validate(plan.problem, plan.solution).ok
    services = sorted(s.pickup.service for s in plan.problem.shipments)
    assert services == [360, 360, 360]  # the shop's 180 s plus parking and walking


def test_the_van_drives_further_than_the_crow_flies():
    plan = plan_vans(THREE[:1], HUB, FAST)
    assert plan is not None
    # hub → shop → home → hub, crow-flight about 0.23 + 0.73 + 1.09 km, × 1.5
    assert 2_900 < plan.metres < 3_300


def test_a_van_never_carries_more_than_its_capacity():
    heavy = [leg(n, (51.52 + n / 1000, 6.93), volume=1200, weight=100) for n in range(1, 4)]
    assert vans_needed(heavy, FAST) == 2  # the first guess: 3600 l over vans of 3000 l
    plan = plan_vans(heavy, HUB, FAST)
    assert plan is not None and plan.report.ok
    assert set(plan.van_of_leg) == {1, 2, 3}
    loads = [step.load[0] for route in plan.solution.routes for step in route.steps]
    assert max(loads) <= 3000  # one van may serve all three, two parcels at a time at most


def test_a_parcel_no_van_can_carry_is_refused_by_name():
    with pytest.raises(CounterfactualFailed, match=r"leg\(s\) 7"):
        plan_vans([leg(7, (51.53, 6.94), volume=5000)], HUB, FAST, day="2026-11-23")


def test_a_leg_no_van_can_serve_in_its_window_is_planned_without_it_and_counted(caplog):
    # from the shop to Kirchhellen (~12 km) in a 10-minute window: a bike's express promise
    # that a van through town (22 km/h, parking) cannot keep; the van would still come
    tight = replace(leg(9, (51.6050, 6.9200)), delivery_window=(63000.0, 63600.0))
    plan = plan_vans([tight, *THREE], HUB, FAST, day="2026-11-23")
    assert plan is not None and plan.report.ok
    assert set(plan.van_of_leg) == {1, 2, 3, 9}
    assert "2026-11-23: leg(s) 9 planned without their windows" in caplog.text


def test_no_legs_no_van_plan():
    assert plan_vans([], HUB, FAST) is None
    assert vans_needed([], FAST) == 0
