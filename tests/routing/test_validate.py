"""The validator catches each kind of violation in a corrupted solution."""

from __future__ import annotations

from dataclasses import replace

import pytest

from louise.routing import (
    Break,
    Problem,
    Route,
    Solution,
    TimeWindow,
    Unassigned,
    solve,
    validate,
)

from .conftest import ITERATIONS, job, problem, shipment, vehicle

BREAK = Break(id=9, time_windows=(TimeWindow(200, 500),), service=100)


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Solution]:
    p = problem(
        [
            vehicle(1, capacity=(10, 10), time_window=TimeWindow(0, 4000), breaks=(BREAK,)),
            vehicle(2, capacity=(10, 10), time_window=TimeWindow(0, 4000)),
        ],
        jobs=[job(1, 3, windows=[(0, 3000)], service=30), job(2, 8, delivery=(2, 1))],
        shipments=[shipment(3, 2, 6, (4, 4)), shipment(4, 5, 1, (3, 2))],
    )
    s = solve(p, time_limit=10, iteration_limit=ITERATIONS)
    assert validate(p, s).ok, str(validate(p, s))
    assert not s.unassigned
    return p, s


def route_with(s: Solution, kind: str) -> tuple[int, Route]:
    for i, r in enumerate(s.routes):
        if any(st.type == kind for st in r.steps):
            return i, r
    raise AssertionError(kind)


def with_route(s: Solution, i: int, r: Route) -> Solution:
    routes = list(s.routes)
    routes[i] = r
    return replace(s, routes=tuple(routes))


def step_index(r: Route, kind: str, id: int | None = None) -> int:
    return next(
        k for k, st in enumerate(r.steps) if st.type == kind and (id is None or st.id == id)
    )


def kinds(p: Problem, s: Solution) -> set[str]:
    return validate(p, s).kinds()


def test_a_correct_solution_is_ok(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    report = validate(p, s)
    assert report.ok and not report.violations and "feasible" in str(report)


def test_task_outside_its_window(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    tight = replace(p, jobs=(replace(p.jobs[0], time_windows=(TimeWindow(0, 1),)), p.jobs[1]))
    assert "time_window" in kinds(tight, s)


def test_arrival_faster_than_travel(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    i, r = route_with(s, "pickup")
    k = step_index(r, "pickup")
    steps = list(r.steps)
    steps[k] = replace(steps[k], arrival=steps[k].arrival - 500, waiting_time=0)
    assert "travel_time" in kinds(p, with_route(s, i, replace(r, steps=tuple(steps))))


def test_capacity_exceeded_in_the_second_dimension(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    small = replace(p, vehicles=tuple(replace(v, capacity=(10, 1)) for v in p.vehicles))
    report = validate(small, s)
    assert "capacity" in report.kinds()
    assert any("dimension 1" in v.message for v in report.violations)


def test_missing_skill(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    skilled = replace(p, jobs=(replace(p.jobs[0], skills=frozenset({42})), p.jobs[1]))
    assert "skills" in kinds(skilled, s)


def test_delivery_before_pickup(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    i, r = route_with(s, "pickup")
    a, b = step_index(r, "pickup"), step_index(r, "delivery", r.steps[step_index(r, "pickup")].id)
    steps = list(r.steps)
    steps[a], steps[b] = steps[b], steps[a]
    assert "precedence" in kinds(p, with_route(s, i, replace(r, steps=tuple(steps))))


def test_pair_split_over_two_vehicles(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    i, r = route_with(s, "pickup")
    k = step_index(r, "delivery")
    moved = r.steps[k]
    j = 1 - i if len(s.routes) == 2 else None
    if j is None:
        other = Route(vehicle=2 if r.vehicle == 1 else 1, steps=(r.steps[0], moved, r.steps[-1]))
        routes = [replace(r, steps=r.steps[:k] + r.steps[k + 1 :]), other]
    else:
        o = s.routes[j]
        routes = [None, None]
        routes[i] = replace(r, steps=r.steps[:k] + r.steps[k + 1 :])
        routes[j] = replace(o, steps=(*o.steps[:-1], moved, o.steps[-1]))
    assert "same_vehicle" in kinds(p, replace(s, routes=tuple(routes)))


def test_task_neither_served_nor_unassigned(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    i, r = route_with(s, "job")
    k = step_index(r, "job")
    corrupted = with_route(s, i, replace(r, steps=r.steps[:k] + r.steps[k + 1 :]))
    assert "missing_task" in kinds(p, corrupted)


def test_task_served_twice_or_also_unassigned(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    i, r = route_with(s, "job")
    k = step_index(r, "job")
    twice = with_route(s, i, replace(r, steps=(*r.steps[: k + 1], r.steps[k], *r.steps[k + 1 :])))
    assert "duplicate_task" in kinds(p, twice)
    also = replace(s, unassigned=(Unassigned(id=r.steps[k].id or 0, type="job", reason="x"),))
    assert "duplicate_task" in kinds(p, also)


def test_unknown_vehicle_and_task(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    i, r = route_with(s, "job")
    assert "unknown_vehicle" in kinds(p, with_route(s, i, replace(r, vehicle=99)))
    k = step_index(r, "job")
    steps = list(r.steps)
    steps[k] = replace(steps[k], id=12345)
    assert "unknown_task" in kinds(p, with_route(s, i, replace(r, steps=tuple(steps))))


def test_break_outside_its_window_or_missing(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    i = next(k for k, r in enumerate(s.routes) if r.vehicle == 1)
    r = s.routes[i]
    k = step_index(r, "break")
    steps = list(r.steps)
    steps[k] = replace(steps[k], arrival=1000, waiting_time=0)
    assert "break" in kinds(p, with_route(s, i, replace(r, steps=tuple(steps))))
    without = with_route(s, i, replace(r, steps=r.steps[:k] + r.steps[k + 1 :]))
    assert "missing_break" in kinds(p, without)


def test_per_vehicle_limits(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    for field, value, kind in (
        ("max_tasks", 1, "max_tasks"),
        ("max_travel_time", 1, "max_travel_time"),
        ("max_distance", 1, "max_distance"),
        ("time_window", TimeWindow(0, 100), "vehicle_time_window"),
    ):
        limited = replace(p, vehicles=tuple(replace(v, **{field: value}) for v in p.vehicles))
        assert kind in kinds(limited, s), field


def test_wrong_reported_load_and_missing_start(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    i, r = route_with(s, "pickup")
    k = step_index(r, "pickup")
    steps = list(r.steps)
    steps[k] = replace(steps[k], load=(9, 9))
    assert "load" in kinds(p, with_route(s, i, replace(r, steps=tuple(steps))))
    assert "structure" in kinds(p, with_route(s, i, replace(r, steps=r.steps[1:])))


def test_violations_name_route_step_and_reason(solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    small = replace(p, vehicles=tuple(replace(v, capacity=(1, 1)) for v in p.vehicles))
    v = validate(small, s).violations[0]
    assert v.kind == "capacity" and v.route in (1, 2) and v.message
    assert str(v).startswith("[capacity] vehicle")
