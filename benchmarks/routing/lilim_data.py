"""Li & Lim PDPTW instances → louise problems (scaled integers) and float re-checks.

Instances: Li & Lim (2001), as listed by SINTEF TOP; copies in ../shared/benchmarks/lilim.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.routing.paths import shared_dir
from louise.routing import (
    Costs,
    Location,
    Problem,
    ProfileMatrices,
    Shipment,
    Solution,
    Task,
    TimeWindow,
    Vehicle,
)
from louise.routing.solution import Route, Step

SCALE = 1000  # distances and times ×1000, times rounded up (integer-feasible ⇒ float-feasible)
FIXED_COST = 10**9  # vehicles first: one vehicle outweighs any distance (×1000) in these sets


def data_dir() -> Path:
    return shared_dir() / "benchmarks" / "lilim"


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    xy: np.ndarray
    demand: list[int]
    tw: list[tuple[int, int]]
    service: list[int]
    pairs: list[tuple[int, int]]  # (pickup, delivery) node ids

    @property
    def euclid(self) -> np.ndarray:
        d = self.xy[:, None, :] - self.xy[None, :, :]
        return np.sqrt((d**2).sum(axis=2))


def read_instance(path: Path) -> Instance:
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    k, q = int(lines[0][0]), int(float(lines[0][1]))
    rows = [[float(x) for x in ln] for ln in lines[1:]]
    xy = np.array([[r[1], r[2]] for r in rows])
    pairs = [(int(r[0]), int(r[8])) for r in rows[1:] if int(r[7]) == 0 and int(r[8]) > 0]
    return Instance(
        name=path.stem,
        vehicles=k,
        capacity=q,
        xy=xy,
        demand=[int(r[3]) for r in rows],
        tw=[(int(r[4]), int(r[5])) for r in rows],
        service=[int(r[6]) for r in rows],
        pairs=pairs,
    )


def read_bks() -> dict[str, tuple[int, float]]:
    with (data_dir() / "bks.csv").open() as f:
        return {
            r["instance"]: (int(r["vehicles"]), float(r["distance"])) for r in csv.DictReader(f)
        }


def to_problem(inst: Instance, *, scaled: bool = True) -> Problem:
    """The instance as a VROOM-style problem; ``scaled``: integers ×1000, else exact floats."""
    d = inst.euclid
    if scaled:
        durations = np.ceil(d * SCALE - 1e-6)
        distances = np.rint(d * SCALE)
        f = SCALE
    else:
        durations = distances = d
        f = 1

    def task(i: int) -> Task:
        return Task(
            id=i,
            location=Location(index=i),
            service=inst.service[i] * f,
            time_windows=(TimeWindow(inst.tw[i][0] * f, inst.tw[i][1] * f),),
        )

    vehicles = [
        Vehicle(
            id=v,
            start=Location(index=0),
            end=Location(index=0),
            capacity=(inst.capacity,),
            time_window=TimeWindow(inst.tw[0][0] * f, inst.tw[0][1] * f),
            costs=Costs(fixed=FIXED_COST, per_hour=3600),
        )
        for v in range(inst.vehicles)
    ]
    shipments = [
        Shipment(pickup=task(p), delivery=task(dl), amount=(inst.demand[p],))
        for p, dl in inst.pairs
    ]
    return Problem(
        vehicles=vehicles,
        shipments=shipments,
        matrices={
            "car": ProfileMatrices(durations=durations, distances=distances, costs=distances)
        },
    )


def retime_float(inst: Instance, float_problem: Problem, solution: Solution) -> Solution:
    """The same visiting order, re-timed in float arithmetic (earliest start everywhere)."""
    d = inst.euclid
    routes = []
    for r in solution.routes:
        steps = []
        t = float(inst.tw[0][0])
        here = 0
        load = 0.0
        travelled = 0.0
        steps.append(Step(type="start", location=Location(index=0), arrival=t, load=(0.0,)))
        for s in r.steps:
            if s.type not in ("pickup", "delivery"):
                continue
            assert s.id is not None
            leg = float(d[here, s.id])
            travelled += leg
            arrival = t + leg
            start = max(arrival, float(inst.tw[s.id][0]))
            load += inst.demand[s.id]
            steps.append(
                Step(
                    type=s.type,
                    id=s.id,
                    location=Location(index=s.id),
                    arrival=arrival,
                    waiting_time=start - arrival,
                    service=inst.service[s.id],
                    load=(load,),
                    distance=travelled,
                )
            )
            t = start + inst.service[s.id]
            here = s.id
        leg = float(d[here, 0])
        travelled += leg
        steps.append(
            Step(
                type="end",
                location=Location(index=0),
                arrival=t + leg,
                load=(load,),
                distance=travelled,
            )
        )
        routes.append(Route(vehicle=r.vehicle, steps=tuple(steps), distance=travelled))
    return Solution(routes=tuple(routes), unassigned=solution.unassigned)


def float_distance(solution: Solution) -> float:
    return math.fsum(r.distance for r in solution.routes)
