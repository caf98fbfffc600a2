"""Solver-independent plan helpers: time a visiting order, insert breaks, price a plan.

Used to turn another solver's visiting order (PyVRP's) into a louise ``Solution`` on the real
problem, and to price every solver's plan with the same cost function. Breaks are placed the
way VROOM reads them: a break starts at the stop before it (after that stop's service, or
later if its window opens later), never on the road.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from louise.routing import Location, Problem, Route, Solution, Step, Task, Unassigned, Vehicle

Key = tuple[str, int]  # ("job" | "pickup" | "delivery", id)


@dataclass(frozen=True)
class Lookup:
    """The problem's tasks by key, with their amounts and the unit (job or shipment) they form."""

    tasks: dict[Key, Task]
    amount: dict[Key, tuple[float, ...]]  # +pickup / -delivery, per dimension
    unit: dict[Key, tuple[Key, ...]]  # the keys planned or dropped together
    dims: int

    @classmethod
    def of(cls, problem: Problem) -> Lookup:
        dims = problem.dimensions
        tasks: dict[Key, Task] = {}
        amount: dict[Key, tuple[float, ...]] = {}
        unit: dict[Key, tuple[Key, ...]] = {}
        for j in problem.jobs:
            k = ("job", j.id)
            tasks[k] = j
            amount[k] = tuple(
                p - d for p, d in zip(_pad(j.pickup, dims), _pad(j.delivery, dims), strict=True)
            )
            unit[k] = (k,)
        for s in problem.shipments:
            p, d = ("pickup", s.pickup.id), ("delivery", s.delivery.id)
            tasks[p], tasks[d] = s.pickup, s.delivery
            amount[p] = _pad(s.amount, dims)
            amount[d] = tuple(-x for x in _pad(s.amount, dims))
            unit[p] = unit[d] = (p, d)
        return cls(tasks, amount, unit, dims)


def _pad(values: tuple[float, ...], dims: int) -> tuple[float, ...]:
    return tuple(values) + (0.0,) * (dims - len(values))


_SCALED: dict[tuple[int, float], tuple[object, np.ndarray]] = {}


def _durations(problem: Problem, vehicle: Vehicle) -> np.ndarray:
    m = problem.matrices[vehicle.profile]
    assert m.durations is not None
    if vehicle.speed_factor == 1:
        return np.asarray(m.durations)
    key = (id(m.durations), vehicle.speed_factor)
    cached = _SCALED.get(key)
    if cached is None or cached[0] is not m.durations:  # divide once per matrix, not per leg
        cached = (m.durations, np.asarray(m.durations) / vehicle.speed_factor)
        _SCALED[key] = cached
    return cached[1]


def _distances(problem: Problem, vehicle: Vehicle) -> np.ndarray | None:
    m = problem.matrices[vehicle.profile]
    return None if m.distances is None else np.asarray(m.distances)


def leg_cost(problem: Problem, vehicle: Vehicle, a: int, b: int) -> float:
    """VROOM's travel cost of one leg: the costs matrix, else per hour and per km."""
    m = problem.matrices[vehicle.profile]
    if m.costs is not None:
        return float(np.asarray(m.costs)[a, b])
    cost = vehicle.costs.per_hour * float(_durations(problem, vehicle)[a, b]) / 3600
    if vehicle.costs.per_km and m.distances is not None:
        cost += vehicle.costs.per_km * float(np.asarray(m.distances)[a, b]) / 1000
    return cost


def plan_cost(problem: Problem, solution: Solution) -> float:
    """Fixed costs of the used vehicles plus VROOM travel costs: one price for every solver."""
    vehicles = {v.id: v for v in problem.vehicles}
    total = 0.0
    for r in solution.routes:
        if not r.tasks:
            continue
        v = vehicles[r.vehicle]
        total += v.costs.fixed
        places = [s.location.index for s in r.steps if s.location is not None and s.type != "break"]
        for a, b in itertools.pairwise(p for p in places if p is not None):
            total += leg_cost(problem, v, a, b)
    return total


def _simulate(
    problem: Problem,
    vehicle: Vehicle,
    order: Sequence[Key],
    look: Lookup,
    break_after: Sequence[int],
    build: bool = True,
) -> tuple[list[Step] | None, int, float]:
    """Earliest-start schedule; breaks after the given positions (-1: before the first task).

    Returns the steps (only when ``build``: making them is most of the cost), the position of
    the first task that cannot be kept (-1: none) and the return time (inf if infeasible).
    """
    dur = _durations(problem, vehicle)
    dist = _distances(problem, vehicle)
    tw = vehicle.time_window
    t = 0.0 if tw is None else tw.start
    assert vehicle.start is not None and vehicle.start.index is not None
    here = vehicle.start.index
    travelled = travel_time = 0.0
    load = [0.0] * look.dims
    for k in order:
        if k[0] == "job":
            for i, x in enumerate(look.amount[k]):
                load[i] -= min(x, 0.0)  # jobs' deliveries are on board from the start
    steps: list[Step] = []
    if build:
        steps.append(Step(type="start", location=Location(index=here), arrival=t, load=tuple(load)))
    breaks = sorted(vehicle.breaks, key=lambda b: b.time_windows[0].start)
    plan = dict(zip(breaks, break_after, strict=True))

    def take_breaks(after: int) -> bool:
        nonlocal t
        for b, pos in plan.items():
            if pos != after:
                continue
            fit = [w for w in b.time_windows if w.end >= t]
            if not fit:
                return False
            start = max(t, fit[0].start)
            if build:
                steps.append(
                    Step(
                        type="break",
                        id=b.id,
                        location=Location(index=here),
                        arrival=t,
                        waiting_time=start - t,
                        service=b.service,
                        load=tuple(load),
                        duration=travel_time,
                        distance=travelled,
                    )
                )
            t = start + b.service
        return True

    if not take_breaks(-1):
        return None, 0, math.inf
    for pos, k in enumerate(order):
        task = look.tasks[k]
        target = task.location.index
        assert target is not None
        travel_time += float(dur[here, target])
        if dist is not None:
            travelled += float(dist[here, target])
        arrival = t + float(dur[here, target])
        if task.time_windows:
            fit = [w for w in task.time_windows if w.end >= arrival]
            if not fit:
                return None, pos, math.inf
            start = max(arrival, fit[0].start)
        else:
            start = arrival
        setup = task.setup if target != here else 0.0
        for i, x in enumerate(look.amount[k]):
            load[i] += x
        if build:
            steps.append(
                Step(
                    type=k[0],
                    id=k[1],
                    location=Location(index=target),
                    arrival=arrival,
                    waiting_time=start - arrival,
                    setup=setup,
                    service=task.service,
                    load=tuple(load),
                    duration=travel_time,
                    distance=travelled,
                )
            )
        t = start + setup + task.service
        here = target
        if not take_breaks(pos):
            return None, pos, math.inf
    end = vehicle.end.index if vehicle.end is not None else here
    assert end is not None
    travel_time += float(dur[here, end])
    if dist is not None:
        travelled += float(dist[here, end])
    t += float(dur[here, end])
    if tw is not None and t > tw.end + 1e-9:
        return None, len(order), math.inf
    if build:
        steps.append(
            Step(
                type="end",
                location=Location(index=end),
                arrival=t,
                load=tuple(load),
                duration=travel_time,
                distance=travelled,
            )
        )
    return steps, -1, t


def schedule(
    problem: Problem, vehicle: Vehicle, order: Sequence[Key], look: Lookup, build: bool = True
) -> tuple[list[Step] | None, int, float]:
    """The best feasible break placement for this order (earliest return): its steps (if
    ``build``), the last failing task otherwise, and the return time (inf if none fits)."""
    n = len(order)
    best: tuple[float, Sequence[int]] | None = None
    worst_fail = -1
    options = itertools.combinations_with_replacement(range(-1, n), len(vehicle.breaks))
    for placing in options:
        _, fail, end = _simulate(problem, vehicle, order, look, placing, build=False)
        if fail >= 0:
            worst_fail = max(worst_fail, fail)
        elif best is None or end < best[0]:
            best = (end, placing)
    if best is None:
        return None, worst_fail, math.inf
    if not build:
        return [], -1, best[0]
    steps, _, end = _simulate(problem, vehicle, order, look, best[1])
    return steps, -1, end


def route_from_order(
    problem: Problem, vehicle: Vehicle, order: list[Key], look: Lookup
) -> tuple[Route | None, list[Key]]:
    """A valid route for ``order`` (breaks inserted), dropping whole units that no longer fit."""
    order = list(order)
    dropped: list[Key] = []
    while order:
        steps, fail, _ = schedule(problem, vehicle, order, look)
        if steps is not None:
            return _route(problem, vehicle, steps), dropped
        gone = _cheapest_removal(problem, vehicle, order, look)
        if gone is None:
            gone = set(look.unit[order[min(max(fail, 0), len(order) - 1)]])
        dropped += [k for k in order if k in gone]
        order = [k for k in order if k not in gone]
    return None, dropped


def _cheapest_removal(
    problem: Problem, vehicle: Vehicle, order: list[Key], look: Lookup
) -> set[Key] | None:
    """The one unit whose removal makes the order feasible with the earliest return, if any."""
    best: tuple[float, set[Key]] | None = None
    for unit in dict.fromkeys(look.unit[k] for k in order):
        gone = set(unit)
        _, fail, end = schedule(
            problem, vehicle, [k for k in order if k not in gone], look, build=False
        )
        if fail < 0 and end < math.inf and (best is None or end < best[0]):
            best = (end, gone)
    return None if best is None else best[1]


def _route(problem: Problem, vehicle: Vehicle, steps: list[Step]) -> Route:
    places = [s.location.index for s in steps if s.location is not None and s.type != "break"]
    travel = sum(
        leg_cost(problem, vehicle, a, b)
        for a, b in itertools.pairwise(p for p in places if p is not None)
    )
    return Route(
        vehicle=vehicle.id,
        steps=tuple(steps),
        cost=vehicle.costs.fixed + travel,
        setup=sum(s.setup for s in steps),
        service=sum(s.service for s in steps),
        duration=steps[-1].duration,
        waiting_time=sum(s.waiting_time for s in steps),
        distance=steps[-1].distance,
    )


def unassigned_of(look: Lookup, served: set[Key], reason: str) -> tuple[Unassigned, ...]:
    return tuple(
        Unassigned(id=k[1], type=k[0], reason=reason, location=look.tasks[k].location)
        for k in look.tasks
        if k not in served
    )


def units_unassigned(solution: Solution) -> int:
    """Jobs and shipments left out (a shipment counts once)."""
    return sum(1 for u in solution.unassigned if u.type != "delivery")
