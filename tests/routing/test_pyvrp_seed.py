"""PyVRP as a seed engine: the routes of the relaxed problem, checked task by task."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from louise.routing import (
    Break,
    Costs,
    Location,
    Problem,
    ProfileMatrices,
    Shipment,
    Task,
    TimeWindow,
    Vehicle,
    validate,
)
from louise.routing.engines import SeedResult, seed_routes, seed_to_solution

from .conftest import job, line_matrices, shipment, vehicle

Key = tuple[str, int]


def loads_along(p: Problem, vehicle_index: int, keys: Sequence[Key]) -> list[tuple[float, ...]]:
    """The load after each step (first entry: leaving the start), computed here from the data."""
    dims = p.dimensions
    jobs = {j.id: j for j in p.jobs}
    amount = {("pickup", s.pickup.id): s.amount for s in p.shipments}
    amount.update({("delivery", s.delivery.id): s.amount for s in p.shipments})
    load = np.zeros(dims)
    for kind, i in keys:
        if kind == "job" and jobs[i].delivery:
            load += jobs[i].delivery
    out = [tuple(load)]
    for kind, i in keys:
        if kind == "job":
            if jobs[i].delivery:
                load -= jobs[i].delivery
            if jobs[i].pickup:
                load += jobs[i].pickup
        elif kind == "pickup":
            load += amount[(kind, i)]
        else:
            load -= amount[(kind, i)]
        out.append(tuple(load))
    return out


def assert_sound(p: Problem, seed: SeedResult) -> None:
    """Each task once, pairs on one vehicle pickup first, loads within every capacity."""
    visits = [k for r in seed.routes for k in r]
    assert len(visits) == len(set(visits))
    assert not set(visits) & set(seed.unserved)
    for vi, keys in enumerate(seed.routes):
        where = {k: i for i, k in enumerate(keys)}
        for s in p.shipments:
            pk, dk = ("pickup", s.pickup.id), ("delivery", s.delivery.id)
            assert (pk in where) == (dk in where), f"shipment {s.pickup.id} split"
            if pk in where:
                assert where[pk] < where[dk]
        cap = p.vehicles[vi].capacity
        for load in loads_along(p, vi, keys):
            assert all(-1e-9 <= x <= c + 1e-9 for x, c in zip(load, cap, strict=True)), load


# -- a tiny Li & Lim-like instance: Euclidean points, times and distances ×1000 rounded up


XY = np.array(
    [[40, 50], [45, 68], [42, 66], [25, 85], [22, 75], [20, 80], [15, 80], [30, 52], [28, 55]]
)
DEMAND = [0, 6, -6, 6, -6, 6, -6, 6, -6]
TW = [(0, 1236), *[(0, 1100), (100, 1150)] * 4]  # depot, then pickup/delivery pairs


def lilim_like() -> Problem:
    euclid = np.sqrt(((XY[:, None, :] - XY[None, :, :]) ** 2).sum(axis=2))
    durations = np.ceil(euclid * 1000 - 1e-6)
    distances = np.rint(euclid * 1000)

    def task(i: int) -> Task:
        return Task(
            id=i,
            location=Location.of(i),
            service=10_000,
            time_windows=(TimeWindow(TW[i][0] * 1000, TW[i][1] * 1000),),
        )

    vehicles = [
        Vehicle(
            id=v,
            start=Location.of(0),
            end=Location.of(0),
            capacity=(10,),
            time_window=TimeWindow(0, 1_236_000),
            costs=Costs(fixed=10**9),
        )
        for v in range(3)
    ]
    shipments = [
        Shipment(pickup=task(p), delivery=task(p + 1), amount=(DEMAND[p],)) for p in (1, 3, 5, 7)
    ]
    return Problem(
        vehicles=vehicles,
        shipments=shipments,
        matrices={
            "car": ProfileMatrices(durations=durations, distances=distances, costs=distances)
        },
    )


def test_lilim_like_seed_serves_everything_on_one_vehicle_and_passes_the_validator() -> None:
    p = lilim_like()
    seed = seed_routes(p, 0.3, seed=1)
    assert seed.feasible
    assert seed.relaxed == ()
    assert seed.unserved == ()
    assert dict(seed.excluded) == {}
    assert_sound(p, seed)
    # capacity 10 and amounts 6: one shipment on board at a time, all four on one vehicle
    assert sorted(k for r in seed.routes for k in r) == [
        *[("delivery", i) for i in (2, 4, 6, 8)],
        *[("pickup", i) for i in (1, 3, 5, 7)],
    ]
    assert [len(r) for r in seed.routes].count(0) == 2
    solution = seed_to_solution(p, seed)
    report = validate(p, solution)
    assert report.ok, str(report)
    assert solution.vehicles_used == 1
    assert solution.unassigned == ()


# -- an evening in small: two profiles, skills, breaks, litres and kg, hub parcels

H = 3600
OUTER = 1  # the car's skill: outer districts


def small_evening() -> Problem:
    brk = (Break(id=1, time_windows=(TimeWindow(18 * H, 19 * H),), service=900),)
    shift = TimeWindow(17 * H, 21 * H)
    bike = vehicle(1, profile="bike", capacity=(100, 20), time_window=shift, breaks=brk)
    # the car costs more per hour: without skills, the bike would take everything it can
    car = vehicle(
        2,
        profile="car",
        capacity=(300, 100),
        skills=frozenset({OUTER}),
        time_window=shift,
        breaks=brk,
        costs=Costs(per_hour=36_000),
    )
    evening = [(17.5 * H, 20.5 * H)]
    shipments = [
        shipment(10, 1, 2, (30, 5)),
        shipment(11, 3, 1, (40, 10)),
        shipment(12, 2, 4, (20, 40)),  # 40 kg: only the car
        shipment(13, 9, 10, (10, 2), skills=frozenset({OUTER})),  # outer district
        Shipment(  # two delivery windows: the seed keeps the first
            pickup=job(14, 5),
            delivery=job(14, 6, windows=[(18 * H, 19 * H), (19.5 * H, 20 * H)]),
            amount=(15, 3),
        ),
        shipment(15, 2, 3, (10, 500)),  # too heavy for every vehicle
        shipment(16, 4, 5, (5, 1), skills=frozenset({7})),  # nobody has skill 7
    ]
    jobs = [  # hub parcels: jobs with delivery amounts, loaded at the station
        job(20, 3, delivery=(50, 8), windows=evening),
        job(21, 6, delivery=(30, 4), windows=[(17 * H, 18 * H), (19 * H, 20 * H)]),
        job(22, 7, delivery=(40, 30), windows=evening),  # 30 kg: only the car
    ]
    return Problem(
        vehicles=(bike, car),
        jobs=jobs,
        shipments=shipments,
        matrices={
            "bike": line_matrices(seconds_per_km=240.0),
            "car": line_matrices(seconds_per_km=120.0),
        },
    )


def test_small_evening_seed_respects_skills_and_both_capacities() -> None:
    p = small_evening()
    seed = seed_routes(p, 0.3, seed=2)
    assert seed.feasible
    assert seed.relaxed == ("breaks", "shipment_windows")
    assert dict(seed.excluded) == {
        ("pickup", 15): "over_capacity",
        ("delivery", 15): "over_capacity",
        ("pickup", 16): "no_vehicle_with_skills",
        ("delivery", 16): "no_vehicle_with_skills",
    }
    assert seed.unserved == ()
    assert_sound(p, seed)
    bike, car = (set(r) for r in seed.routes)
    assert bike | car == {
        *[(kind, i) for i in (10, 11, 12, 13, 14) for kind in ("pickup", "delivery")],
        ("job", 20),
        ("job", 21),
        ("job", 22),
    }
    assert {("pickup", 13), ("delivery", 13), ("pickup", 12), ("job", 22)} <= car
    # timed by the validator's rules, only the breaks are missing (the seed places none)
    report = validate(p, seed_to_solution(p, seed))
    assert report.kinds() <= {"missing_break"}, str(report)


def test_seed_without_tasks_to_plan_is_empty() -> None:
    p = small_evening()
    only_impossible = Problem(vehicles=p.vehicles, shipments=p.shipments[5:], matrices=p.matrices)
    seed = seed_routes(only_impossible, 0.1)
    assert seed.routes == ((), ())
    assert seed.served == 0
    assert len(seed.excluded) == 4


def test_open_routes_and_coordinates_give_a_valid_plan() -> None:
    station = Location.at(6.9286, 51.5236)
    vehicles = [
        Vehicle(id=1, start=station, capacity=(10,)),  # ends at its last stop
        Vehicle(id=2, end=station, capacity=(10,)),  # starts at its first stop
    ]
    shipments = [
        Shipment(
            pickup=Task(id=i, location=Location.at(6.92 + i / 100, 51.52)),
            delivery=Task(id=i, location=Location.at(6.93 + i / 100, 51.51)),
            amount=(6,),
        )
        for i in range(4)
    ]
    p = Problem(vehicles=vehicles, shipments=shipments)
    seed = seed_routes(p, 0.2)
    assert seed.unserved == ()
    report = validate(p, seed_to_solution(p, seed))
    assert report.ok, str(report)


def test_required_tasks_and_a_fixed_cost_cap_as_for_lilim() -> None:
    p = lilim_like()
    seed = seed_routes(p, 0.3, seed=1, required=True, fixed_cost_cap=10**7)
    assert seed.feasible
    assert seed.relaxed == ("fixed_cost",)  # 10⁹ lowered to 10⁷: vehicles still come first
    assert seed.unserved == ()
    assert [len(r) for r in seed.routes].count(0) == 2
    report = validate(p, seed_to_solution(p, seed))
    assert report.ok, str(report)


def test_shipment_window_policy_first_or_longest() -> None:
    def evening(delivery_windows: list[tuple[float, float]]) -> Problem:
        pickup = job(1, 2, windows=[(19 * H, 19.5 * H)], service=1800)  # busy until 19:30
        return Problem(
            vehicles=(vehicle(1, time_window=TimeWindow(17 * H, 21 * H)),),
            shipments=(Shipment(pickup=pickup, delivery=job(1, 4, windows=delivery_windows)),),
            matrices={"car": line_matrices()},
        )

    p = evening([(19 * H, 19.25 * H), (19.5 * H, 21 * H)])
    first = seed_routes(p, 0.1, shipment_windows="first")  # 19:00-19:15: too early
    assert first.relaxed == ("shipment_windows",)
    assert first.served == 0 and len(first.unserved) == 2
    longest = seed_routes(p, 0.1, shipment_windows="longest")
    assert longest.routes == ((("pickup", 1), ("delivery", 1)),)
    assert validate(p, seed_to_solution(p, longest)).ok
    # a delivery window closing before every pickup window opens: never in the model
    impossible = seed_routes(evening([(18 * H, 18.25 * H)]), 0.1)
    assert dict(impossible.excluded) == {
        ("pickup", 1): "outside_time_windows",
        ("delivery", 1): "outside_time_windows",
    }
