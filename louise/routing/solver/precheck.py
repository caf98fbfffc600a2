"""Pre-check: jobs and shipments as units, and which vehicle could serve each one alone.

A unit no vehicle can serve alone is left out of the model with the reason of the furthest
check it passed on its best vehicle (skills, capacity, max_tasks, windows, travel, distance).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from louise.routing.problem import Problem, Task, Vehicle, capacity_of, pad
from louise.routing.solution import Reason


@dataclass
class Unit:
    """A job or a shipment: what is planned or dropped as a whole."""

    kind: str  # "job" or "shipment"
    index: int
    tasks: tuple[tuple[str, Task], ...]
    skills: frozenset[int]
    priority: int
    load: tuple[float, ...]  # peak amount carried for it
    allowed: list[int] = field(default_factory=list)
    reason: str | None = None


STAGES = [
    Reason.NO_VEHICLE_WITH_SKILLS,
    Reason.OVER_CAPACITY,
    Reason.MAX_TASKS,
    Reason.OUTSIDE_TIME_WINDOWS,
    Reason.MAX_TRAVEL_TIME,
    Reason.MAX_DISTANCE,
]


def earliest_start(t: float, task: Task) -> float | None:
    if not task.time_windows:
        return t
    for w in task.time_windows:
        if t <= w.end:
            return max(t, w.start)
    return None


def alone_stage(problem: Problem, v: Vehicle, unit: Unit, dims: int) -> int:
    """How far the unit gets on vehicle ``v`` alone: len(STAGES) means it fits."""
    if not unit.skills <= v.skills:
        return 0
    cap = capacity_of(v, dims)
    if any(a > c + 1e-9 for a, c in zip(unit.load, cap, strict=False)):
        return 1
    if v.max_tasks is not None and v.max_tasks < len(unit.tasks):
        return 2
    m = problem.matrices[v.profile]
    assert m.durations is not None
    dur = m.durations
    dist = m.distances
    t = v.time_window.start if v.time_window else 0.0
    here = v.start.index if v.start is not None else None
    travel = 0.0
    metres = 0.0
    prev_loc = here
    for _, task in unit.tasks:
        loc = task.location.index
        assert loc is not None
        if here is not None:
            leg = float(dur[here, loc]) / v.speed_factor
            travel += leg
            metres += float(dist[here, loc]) if dist is not None else 0.0
            t += leg
        start = earliest_start(t, task)
        if start is None:
            return 3
        t = start + (task.setup if loc != prev_loc else 0.0) + task.service
        here = prev_loc = loc
    if v.end is not None and here is not None:
        leg = float(dur[here, v.end.index]) / v.speed_factor
        travel += leg
        metres += float(dist[here, v.end.index]) if dist is not None else 0.0
        t += leg
    if v.time_window is not None and t > v.time_window.end + 1e-9:
        return 3
    if v.max_travel_time is not None and travel > v.max_travel_time + 1e-9:
        return 4
    if v.max_distance is not None and metres > v.max_distance + 1e-9:
        return 5
    return len(STAGES)


def build_units(problem: Problem) -> list[Unit]:
    dims = problem.dimensions
    units = []
    for i, j in enumerate(problem.jobs):
        peak = tuple(
            max(d, p) for d, p in zip(pad(j.delivery, dims), pad(j.pickup, dims), strict=True)
        )
        units.append(Unit("job", i, (("job", j),), j.skills, j.priority, peak))
    for i, s in enumerate(problem.shipments):
        units.append(
            Unit(
                "shipment",
                i,
                (("pickup", s.pickup), ("delivery", s.delivery)),
                s.skills,
                s.priority,
                pad(s.amount, dims),
            )
        )
    # vehicles alike but for their id answer alike: check one of each kind
    kind_of: dict[Vehicle, int] = {}
    kinds = [
        kind_of.setdefault(replace(v, id=0, description=""), len(kind_of)) for v in problem.vehicles
    ]
    for u in units:
        best = -1
        seen: dict[int, int] = {}
        for vi, v in enumerate(problem.vehicles):
            stage = seen.get(kinds[vi])
            if stage is None:
                stage = seen[kinds[vi]] = alone_stage(problem, v, u, dims)
            if stage >= 3:  # skills, capacity and max_tasks exclude a vehicle for good
                u.allowed.append(vi)
            best = max(best, stage)
        if best < len(STAGES):
            u.reason = STAGES[best]
            u.allowed = []
    return units
