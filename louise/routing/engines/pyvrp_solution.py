"""A PyVRP seed as a louise ``Solution`` (timed by the validator's rules), to measure it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from louise.routing.engines.pyvrp_seed import SeedResult, TaskKey
from louise.routing.matrix import with_matrices
from louise.routing.problem import (
    Problem,
    Task,
    Vehicle,
    pad,
)
from louise.routing.solution import Reason, Route, Solution, Step, Summary, Unassigned


def seed_to_solution(problem: Problem, seed: SeedResult) -> Solution:
    """The seed's routes as a louise ``Solution``, timed by the validator's rules.

    Every task starts as early as its windows allow; setup counts when the previous stop was
    elsewhere. No breaks are placed, so a vehicle with breaks fails ``missing_break``: this is
    for problems without breaks (and for measuring the seed), not a plan to hand out.
    """
    problem = with_matrices(problem)
    dims = problem.dimensions
    tasks: dict[TaskKey, Task] = {("job", j.id): j for j in problem.jobs}
    amount: dict[TaskKey, tuple[float, ...]] = {}
    for s in problem.shipments:
        tasks[("pickup", s.pickup.id)] = s.pickup
        tasks[("delivery", s.delivery.id)] = s.delivery
        amount[("pickup", s.pickup.id)] = pad(s.amount, dims)
        amount[("delivery", s.delivery.id)] = tuple(-a for a in pad(s.amount, dims))
    routes = [
        _timed_route(problem, v, keys, tasks, amount)
        for v, keys in zip(problem.vehicles, seed.routes, strict=True)
        if keys
    ]
    served = {k for r in seed.routes for k in r}
    unassigned = [
        Unassigned(
            id=key[1],
            type=key[0],
            reason=seed.excluded.get(key, str(Reason.FLEET_SATURATED)),
            location=t.location,
            description=t.description,
        )
        for key, t in tasks.items()
        if key not in served
    ]
    summary = Summary(
        cost=sum(r.cost for r in routes),
        routes=len(routes),
        unassigned=len(unassigned),
        duration=sum(r.duration for r in routes),
        distance=sum(r.distance for r in routes),
    )
    return Solution(routes=tuple(routes), unassigned=tuple(unassigned), summary=summary)


def _timed_route(
    problem: Problem,
    v: Vehicle,
    keys: Sequence[TaskKey],
    tasks: Mapping[TaskKey, Task],
    amount: Mapping[TaskKey, tuple[float, ...]],
) -> Route:
    dims = problem.dimensions
    m = problem.matrices[v.profile]
    assert m.durations is not None
    durations = np.asarray(m.durations) / v.speed_factor
    distances = m.distances
    load = [0.0] * dims
    for k in keys:
        if k[0] == "job":
            for i, x in enumerate(pad(tasks[k].delivery, dims)):
                load[i] += x
    shift_start = v.time_window.start if v.time_window is not None else 0.0
    steps: list[Step] = []
    here = v.start.index if v.start is not None else None
    if v.start is not None:
        steps.append(Step(type="start", location=v.start, arrival=shift_start, load=tuple(load)))
    free_at = shift_start
    travel = metres = 0.0
    prev_loc = here
    for k in keys:
        t = tasks[k]
        target = t.location.index
        assert target is not None
        if here is None:  # an open start begins at its first task
            here = prev_loc = target
        leg = float(durations[here, target])
        travel += leg
        metres += float(distances[here, target]) if distances is not None else 0.0
        arrival = free_at + leg
        start = arrival
        for w in t.time_windows:
            if arrival <= w.end:
                start = max(arrival, w.start)
                break
        setup = t.setup if target != prev_loc else 0.0
        if k[0] == "job":
            for i in range(dims):
                load[i] += pad(t.pickup, dims)[i] - pad(t.delivery, dims)[i]
        else:
            for i, x in enumerate(amount[k]):
                load[i] += x
        steps.append(
            Step(
                type=k[0],
                id=k[1],
                location=t.location,
                arrival=arrival,
                duration=travel,
                setup=setup,
                service=t.service,
                waiting_time=start - arrival,
                load=tuple(load),
                distance=metres,
                description=t.description,
            )
        )
        free_at = start + setup + t.service
        here = prev_loc = target
    if v.end is not None:
        assert here is not None and v.end.index is not None
        leg = float(durations[here, v.end.index])
        travel += leg
        metres += float(distances[here, v.end.index]) if distances is not None else 0.0
        steps.append(
            Step(
                type="end",
                location=v.end,
                arrival=free_at + leg,
                duration=travel,
                load=tuple(load),
                distance=metres,
            )
        )
    return Route(
        vehicle=v.id,
        steps=tuple(steps),
        cost=v.costs.fixed,
        duration=travel,
        distance=metres,
        description=v.description,
    )
