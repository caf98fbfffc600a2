"""Mixed evenings on synthetic coordinates around Bottrop (seeded, no ../shared).

Like the LOUISE evening wave: resident <-> shop shipments with one or two delivery windows,
hub parcels (jobs with a ``delivery`` amount, loaded at the City-Station), bikes with the
``bike`` profile and an e-car with the ``car`` profile (haversine matrices of their own), the
outer districts in the north only reachable with skill 1 (the car), one 15-minute break per
shift inside 18:00-19:30, and capacities in litres and kg.
"""

from __future__ import annotations

import random

from louise.routing import (
    Break,
    Costs,
    HaversineProvider,
    Location,
    Problem,
    Shipment,
    Task,
    TimeWindow,
    Vehicle,
    with_matrices,
)

H = 3600
STATION = (6.9286, 51.5236)  # (lon, lat)
OUTER_LAT = 51.57  # north of this: Kirchhellen, Feldhausen, Grafenwald (car only)
CITY, OUTER = 0, 1  # skills


def _place(rng: random.Random, outer_share: float) -> tuple[tuple[float, float], bool]:
    if rng.random() < outer_share:
        return (6.93 + rng.uniform(-0.04, 0.04), rng.uniform(OUTER_LAT + 0.005, 51.60)), True
    return (6.93 + rng.uniform(-0.022, 0.022), 51.522 + rng.uniform(-0.014, 0.014)), False


def _task(id: int, xy: tuple[float, float], windows: tuple[TimeWindow, ...]) -> Task:
    return Task(id=id, location=Location.at(*xy), setup=30, service=60, time_windows=windows)


def evening(
    shipments: int = 200,
    parcels: int = 100,
    bikes: int = 14,
    cars: int = 1,
    *,
    seed: int = 0,
    outer_share: float = 0.08,
    breaks: bool = True,
    parcel_size: tuple[float, float] = (20.0, 5.0),
    fixed_costs: bool = True,
) -> Problem:
    """A problem with matrices (haversine: bike 15 km/h, car 25 km/h)."""
    rng = random.Random(seed)
    station = Location.at(*STATION)
    # 15 minutes inside 18:00-19:30: the break starts by 19:15
    pause = Break(id=1, time_windows=(TimeWindow(18 * H, 19.25 * H),), service=900)
    vehicles = []
    for k in range(bikes + cars):
        car = k >= bikes
        vehicles.append(
            Vehicle(
                id=k + 1,
                profile="car" if car else "bike",
                start=station,
                end=station,
                capacity=(1000.0, 400.0) if car else (200.0, 100.0),
                skills=frozenset({CITY, OUTER} if car else {CITY}),
                time_window=TimeWindow(17 * H, 21 * H),
                breaks=(pause,) if breaks else (),
                costs=Costs(fixed=(7200 if car else 3600) if fixed_costs else 0, per_hour=3600),
            )
        )
    ships = []
    for i in range(shipments):
        a, a_out = _place(rng, outer_share)
        b, b_out = _place(rng, outer_share)
        t = rng.choice([17.5, 18.0, 18.5, 19.0])
        pick_w = (TimeWindow(t * H, (t + 1.5) * H),)
        d1 = TimeWindow((t + 0.25) * H, (t + 1.5) * H)
        d2 = TimeWindow((t + 1.75) * H, min(t + 2.5, 20.9) * H)
        drop_w = (d1,) if rng.random() < 0.6 else (d1, d2)
        ships.append(
            Shipment(
                pickup=_task(i + 1, a, pick_w),
                delivery=_task(i + 1, b, drop_w),
                amount=(float(rng.choice([5, 10, 20, 40])), float(rng.choice([1, 3, 8, 15]))),
                skills=frozenset({OUTER} if a_out or b_out else {CITY}),
            )
        )
    jobs = []
    for i in range(parcels):
        xy, out = _place(rng, outer_share)
        jobs.append(
            Task(
                id=10_000 + i,
                location=Location.at(*xy),
                setup=30,
                service=60,
                delivery=parcel_size,
                skills=frozenset({OUTER} if out else {CITY}),
                time_windows=(TimeWindow(17.5 * H, 20.75 * H),),
            )
        )
    return with_matrices(
        Problem(vehicles=vehicles, jobs=jobs, shipments=ships), HaversineProvider()
    )
