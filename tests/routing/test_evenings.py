"""Mixed evenings (tests/routing/evenings.py): a plan every time, checked by the validator."""

from __future__ import annotations

from dataclasses import replace

import pytest

from louise.routing import Problem, Solution, SolveOptions, solve, validate

from .conftest import ITERATIONS
from .evenings import evening


def assert_valid(p: Problem, s: Solution) -> None:
    report = validate(p, s)
    assert report.ok, str(report)


def served_tasks(s: Solution) -> int:
    return sum(1 for r in s.routes for st in r.tasks if st.type in ("job", "pickup"))


def test_a_300_task_evening_with_breaks_and_skills_gets_a_plan_in_5_seconds() -> None:
    p = evening(200, 100, 14, 1, seed=0)
    assert any(v.breaks for v in p.vehicles) and any(s.skills for s in p.shipments)
    s = solve(p, time_limit=5)
    assert_valid(p, s)
    assert s.routes
    assert served_tasks(s) >= 200
    assert not any(u.reason == "no_solution_in_time" for u in s.unassigned)


@pytest.mark.slow
def test_construction_alone_plans_a_1000_task_evening() -> None:
    p = evening(666, 334, 47, 3, seed=1)
    s = solve(p, SolveOptions(time_limit=120, start="construction_only"))
    assert_valid(p, s)
    assert served_tasks(s) >= 700
    assert len(s.stats["history"]) == 1  # the construction, no search


@pytest.mark.parametrize("seed", range(6))
def test_construction_respects_every_constraint(seed: int) -> None:
    p = evening(24, 12, 2, 1, seed=seed, outer_share=0.15)
    # tighten: task counts, travel time and distance limits, a second break window
    vehicles = [
        replace(
            v,
            max_tasks=14 + 4 * (k % 3) if seed % 2 else None,
            max_travel_time=5400.0 if seed % 3 == 0 else None,
            max_distance=25000.0 if seed % 3 == 1 else None,
        )
        for k, v in enumerate(p.vehicles)
    ]
    p = Problem(vehicles=vehicles, jobs=p.jobs, shipments=p.shipments, matrices=p.matrices)
    s = solve(p, start="construction_only")
    assert_valid(p, s)
    assert served_tasks(s) > 0
    reasons = {u.reason for u in s.unassigned}
    assert "no_solution_in_time" not in reasons


def test_the_search_starts_from_the_construction_and_keeps_it_valid() -> None:
    p = evening(30, 15, 3, 1, seed=3)
    first = solve(p, start="construction_only")
    s = solve(p, time_limit=2, start="construction")
    assert_valid(p, s)
    assert len(s.unassigned) <= len(first.unassigned)


def test_a_small_evening_where_every_hub_parcel_fits_gets_every_hub_parcel_served() -> None:
    p = evening(20, 20, 3, 1, seed=4)
    s = solve(p, time_limit=3)
    assert_valid(p, s)
    assert [u for u in s.unassigned if u.type == "job"] == []


def test_a_parcel_too_big_for_every_vehicle_is_over_capacity() -> None:
    p = evening(10, 5, 2, 1, seed=5)
    big = replace(p.jobs[0], delivery=(1200.0, 10.0))  # the car takes 1000 l
    p = Problem(
        vehicles=p.vehicles, jobs=(big, *p.jobs[1:]), shipments=p.shipments, matrices=p.matrices
    )
    s = solve(p, time_limit=10, iteration_limit=ITERATIONS)
    assert_valid(p, s)
    assert {(u.type, u.id): u.reason for u in s.unassigned}.get(("job", big.id)) == (
        "over_capacity"
    )


def test_a_task_in_the_outer_districts_without_a_car_has_no_vehicle_with_skills() -> None:
    p = evening(20, 10, 3, 0, seed=6, outer_share=0.3)
    outer = {j.id for j in p.jobs if 1 in j.skills}
    outer |= {s.pickup.id for s in p.shipments if 1 in s.skills}
    assert outer
    s = solve(p, time_limit=10, iteration_limit=ITERATIONS)
    assert_valid(p, s)
    reasons = {u.id: u.reason for u in s.unassigned if u.type in ("job", "pickup")}
    assert {i for i, r in reasons.items() if r == "no_vehicle_with_skills"} == outer


@pytest.mark.parametrize("seed", [2, 3])
def test_fleet_saturated_is_never_given_while_a_vehicle_that_could_serve_it_is_unused(
    seed: int,
) -> None:
    # more vehicles than needed and little time: whatever is left out must not fit on an
    # unused vehicle, checked by solving that vehicle with the task alone
    p = evening(40, 20, 5, 1, seed=seed)
    s = solve(p, time_limit=1.5)
    assert_valid(p, s)
    used = {r.vehicle for r in s.routes if r.tasks}
    unused = [v for v in p.vehicles if v.id not in used]
    saturated = {(u.type, u.id) for u in s.unassigned if u.reason == "fleet_saturated"}
    jobs = [j for j in p.jobs if ("job", j.id) in saturated]
    ships = [x for x in p.shipments if ("pickup", x.pickup.id) in saturated]
    for v in unused:
        for one in [Problem(vehicles=[v], jobs=[j], matrices=p.matrices) for j in jobs] + [
            Problem(vehicles=[v], shipments=[x], matrices=p.matrices) for x in ships
        ]:
            alone = solve(one, time_limit=1, start="ortools", iteration_limit=5)
            assert_valid(one, alone)
            assert alone.unassigned, f"vehicle {v.id} is unused and could serve {one}"
