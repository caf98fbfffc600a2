"""The mixed-evening generator and the PyVRP runner, on made-up points (no ../shared)."""

from __future__ import annotations

import json
import random

import pytest

from benchmarks.routing.evenings import mixed_evening
from benchmarks.routing.plans import Lookup, route_from_order
from louise.routing import (
    Break,
    Location,
    Problem,
    Shipment,
    Solution,
    Task,
    TimeWindow,
    Unassigned,
    Vehicle,
    validate,
    with_matrices,
)

H = 3600


def fake_addresses(n: int = 400) -> list[tuple[float, float]]:
    rng = random.Random(1)
    return sorted({(6.90 + rng.random() * 0.25, 51.48 + rng.random() * 0.05) for _ in range(n)})


def test_mixed_evening_has_every_feature_and_is_seeded() -> None:
    problem = mixed_evening(fake_addresses(), 90, seed=3)
    assert len(problem.shipments) == 60
    assert len(problem.jobs) == 30
    assert all(j.delivery and len(j.delivery) == 2 for j in problem.jobs)
    assert {v.profile for v in problem.vehicles} == {"bike", "car"}
    assert set(problem.matrices) == {"bike", "car"}
    assert len(problem.vehicles) == 5  # 4 bikes and the e-car
    assert all(len(v.breaks) == 1 and v.breaks[0].service == 900 for v in problem.vehicles)
    windows = {len(t.time_windows) for s in problem.shipments for t in (s.pickup, s.delivery)}
    assert windows == {1, 2}
    assert {frozenset({0}), frozenset({1})} == {s.skills for s in problem.shipments}
    again = mixed_evening(fake_addresses(), 90, seed=3)
    assert json.dumps(problem.to_vroom()) == json.dumps(again.to_vroom())


def _tiny() -> Problem:
    station = (7.0, 51.50)
    brk = (Break(id=1, time_windows=(TimeWindow(18 * H, 19.25 * H),), service=900),)

    def vehicle(vid: int, profile: str, skills: set[int]) -> Vehicle:
        return Vehicle(
            id=vid,
            profile=profile,
            start=Location.at(*station),
            end=Location.at(*station),
            capacity=(200, 100),
            skills=frozenset(skills),
            time_window=TimeWindow(17 * H, 21 * H),
            breaks=brk,
        )

    def task(tid: int, lon: float, lat: float, *windows: tuple[float, float]) -> Task:
        return Task(
            id=tid,
            location=Location.at(lon, lat),
            setup=30,
            service=60,
            time_windows=tuple(TimeWindow(a * H, b * H) for a, b in windows),
        )

    shipments = [
        Shipment(
            pickup=task(k, 7.0 + 0.004 * k, 51.505, (17.5, 19)),
            delivery=task(k, 7.01 - 0.003 * k, 51.495, (17.5, 18.25), (19.0, 20.0)),
            amount=(10, 5),
            skills=frozenset({0}),
        )
        for k in range(6)
    ]
    shipments.append(
        Shipment(
            pickup=task(6, 7.0, 51.505, (17.5, 19)),
            delivery=task(6, 7.09, 51.53, (18, 20)),  # an outer district: the car only
            amount=(10, 5),
            skills=frozenset({1}),
        )
    )
    jobs = [
        Task(
            id=100 + k,
            location=Location.at(7.005 + 0.002 * k, 51.49),
            service=60,
            delivery=(5, 2),
            skills=frozenset({0}),
            time_windows=(TimeWindow(17.5 * H, 20.5 * H),),
        )
        for k in range(4)
    ]
    vehicles = [vehicle(1, "bike", {0}), vehicle(2, "bike", {0}), vehicle(9, "car", {0, 1})]
    return with_matrices(Problem(vehicles=vehicles, jobs=jobs, shipments=shipments))


def test_an_order_gets_its_break_at_a_stop_and_passes_the_validator() -> None:
    problem = _tiny()
    look = Lookup.of(problem)
    order = [("pickup", 0), ("delivery", 0), ("job", 100), ("pickup", 1), ("delivery", 1)]
    route, dropped = route_from_order(problem, problem.vehicles[0], order, look)
    assert route is not None and dropped == []
    breaks = [s for s in route.steps if s.type == "break"]
    assert len(breaks) == 1
    assert 18 * H <= breaks[0].start_time <= 19.25 * H
    rest = {k for k in look.tasks if k not in order}
    sol = Solution(
        routes=(route,),
        unassigned=tuple(Unassigned(id=i, type=t, reason="fleet_saturated") for t, i in rest),
    )
    assert validate(problem, sol).ok, validate(problem, sol)


def test_pyvrp_plan_is_valid_on_the_real_problem() -> None:
    pytest.importorskip("pyvrp")
    from benchmarks.routing.pyvrp_runner import solve_with_pyvrp

    problem = _tiny()
    run = solve_with_pyvrp(problem, time_limit=1.0, seed=0, required=False)
    report = validate(problem, run.solution)
    assert report.ok, report
    assert run.solution.unassigned == ()
    car = next(r for r in run.solution.routes if r.vehicle == 9)
    assert ("delivery", 6) in {(s.type, s.id) for s in car.tasks}
    assert any("breaks" in x for x in run.relaxed)
