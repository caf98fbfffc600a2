"""Given orders get times: a feasible order passes the validator, a broken one is caught."""

from __future__ import annotations

import pytest

from louise.routing import Break, Problem, Shipment, TimeWindow, validate
from louise.routing.schedule import schedule

from .conftest import job, problem, vehicle


def two_parcels(delivery_window: tuple[float, float] = (0, 10_000)) -> Problem:
    return problem(
        [
            vehicle(
                1,
                capacity=(10,),
                time_window=TimeWindow(0, 10_000),
                breaks=(Break(id=1, time_windows=(TimeWindow(300, 2000),), service=100),),
            ),
            vehicle(2, capacity=(5,), time_window=TimeWindow(0, 10_000)),
        ],
        shipments=[
            Shipment(pickup=job(1, 2, service=10), delivery=job(1, 5, service=10), amount=(4,)),
            Shipment(
                pickup=job(2, 3, service=10),
                delivery=job(2, 6, windows=[delivery_window], service=10),
                amount=(4,),
            ),
        ],
    )


def test_a_feasible_order_is_timed_and_passes_the_validator() -> None:
    p = two_parcels()
    order = [("pickup", 1), ("pickup", 2), ("break", 1), ("delivery", 1), ("delivery", 2)]
    solution = schedule(p, {1: order})
    assert validate(p, solution).ok, str(validate(p, solution))
    steps = solution.routes[0].steps
    assert [s.type for s in steps] == [
        "start", "pickup", "pickup", "break", "delivery", "delivery", "end",
    ]  # fmt: skip
    # 2 km at 60 s/km, then 10 s service, 1 km more: at 3 at 130 s
    assert steps[1].arrival == pytest.approx(120)
    assert steps[2].arrival == pytest.approx(190)
    # the break starts when its window opens (300 s), the ride on starts after it
    assert steps[3].arrival == pytest.approx(300)
    assert steps[4].arrival == pytest.approx(400 + 120)
    assert steps[4].load == (4.0,)


def test_an_order_that_misses_a_window_is_reported_by_the_validator() -> None:
    p = two_parcels(delivery_window=(0, 200))
    order = [("pickup", 1), ("pickup", 2), ("delivery", 1), ("delivery", 2), ("break", 1)]
    report = validate(p, schedule(p, {1: order}))
    assert "time_window" in report.kinds()


def test_a_load_above_the_capacity_is_reported_by_the_validator() -> None:
    p = two_parcels()
    order = [("pickup", 1), ("pickup", 2), ("delivery", 1), ("delivery", 2)]
    report = validate(p, schedule(p, {2: order}))
    assert "capacity" in report.kinds()


def test_tasks_left_out_of_every_order_are_unassigned() -> None:
    p = two_parcels()
    solution = schedule(p, {2: [("pickup", 1), ("delivery", 1)]})
    assert {(u.type, u.id) for u in solution.unassigned} == {("pickup", 2), ("delivery", 2)}
    assert validate(p, solution).ok
