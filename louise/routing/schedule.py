"""Times for routes whose order is given: a dispatcher's hand-made change, not a search.

:func:`schedule` walks each vehicle's steps in the order given, as early as the problem
allows (leave the start at the shift's start, wait for a window to open, take a break where it
stands in the order, read breaks ``at_stop`` as the planner does) and reports the times and
loads it finds. It never refuses: a stop that cannot be reached in its window, or a load above
the capacity, is written as it would happen, and :func:`louise.routing.validate.validate`
says what is broken. Every task not in a sequence is reported unassigned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from louise.routing.matrix import with_matrices
from louise.routing.problem import Problem, Task, TimeWindow, Vehicle, pad
from louise.routing.solution import Route, Solution, Step, Summary, Unassigned

#: a step of a given order: ("pickup" | "delivery" | "job" | "break", id)
StepKey = tuple[str, int]


def _earliest(t: float, windows: Sequence[TimeWindow]) -> float:
    """The earliest start at or after ``t`` inside a window (``t`` itself when none fits:
    the validator reports it)."""
    for window in windows:
        if t <= window.end:
            return max(t, window.start)
    return t


def schedule(problem: Problem, sequences: Mapping[int, Sequence[StepKey]]) -> Solution:
    """A solution serving ``sequences`` (vehicle id → steps between start and end, in order).

    The problem is given matrices from its coordinates when it has none
    (:func:`louise.routing.matrix.with_matrices`); validate the answer against the same
    ``problem`` object."""
    indexed = with_matrices(problem)
    dims = indexed.dimensions
    tasks: dict[StepKey, Task] = {("job", j.id): j for j in indexed.jobs}
    amounts: dict[StepKey, tuple[float, ...]] = {}
    for shipment in indexed.shipments:
        tasks[("pickup", shipment.pickup.id)] = shipment.pickup
        tasks[("delivery", shipment.delivery.id)] = shipment.delivery
        amounts[("pickup", shipment.pickup.id)] = pad(shipment.amount, dims)
        amounts[("delivery", shipment.delivery.id)] = tuple(-x for x in pad(shipment.amount, dims))
    vehicles = {v.id: v for v in indexed.vehicles}
    routes = []
    served: set[StepKey] = set()
    for vehicle_id, steps in sequences.items():
        vehicle = vehicles.get(vehicle_id)
        if vehicle is None:
            raise KeyError(f"no vehicle {vehicle_id}")
        route = _route(indexed, vehicle, list(steps), tasks, amounts, dims)
        routes.append(route)
        served.update(key for key in steps if key[0] != "break")
    unassigned = [
        Unassigned(id=key[1], type=key[0], reason="not_planned", location=task.location)
        for key, task in tasks.items()
        if key not in served
    ]
    summary = Summary(
        cost=sum(r.cost for r in routes),
        routes=len(routes),
        unassigned=len(unassigned),
        service=sum(r.service for r in routes),
        duration=sum(r.duration for r in routes),
        waiting_time=sum(r.waiting_time for r in routes),
        distance=sum(r.distance for r in routes),
        break_reading="at_stop",
    )
    return Solution(routes=tuple(routes), unassigned=tuple(unassigned), summary=summary)


def _route(
    problem: Problem,
    vehicle: Vehicle,
    keys: list[StepKey],
    tasks: Mapping[StepKey, Task],
    amounts: Mapping[StepKey, tuple[float, ...]],
    dims: int,
) -> Route:
    matrices = problem.matrices[vehicle.profile]
    assert matrices.durations is not None
    durations = np.asarray(matrices.durations, dtype=float) / vehicle.speed_factor
    distances = (
        np.asarray(matrices.distances, dtype=float) if matrices.distances is not None else None
    )
    breaks = {b.id: b for b in vehicle.breaks}
    load = [0.0] * dims
    for key in keys:  # single jobs start on board with what they deliver
        if key[0] == "job":
            for i, x in enumerate(pad(tasks[key].delivery, dims)):
                load[i] += x
    begin = vehicle.time_window.start if vehicle.time_window is not None else 0.0
    free_at = begin
    loc = vehicle.start.index if vehicle.start is not None else None
    travel = metres = service_total = waiting_total = setup_total = 0.0
    pending_break = False
    last_break_end = -np.inf
    steps: list[Step] = []
    if vehicle.start is not None:
        steps.append(Step(type="start", location=vehicle.start, arrival=begin, load=tuple(load)))

    def ride_to(target: int | None) -> float:
        nonlocal travel, metres
        if loc is None or target is None:
            return free_at
        travel += float(durations[loc, target])
        if distances is not None:
            metres += float(distances[loc, target])
        base = max(free_at, last_break_end) if pending_break else free_at
        return base + float(durations[loc, target])

    for key in keys:
        kind, ident = key
        if kind == "break":
            brk = breaks.get(ident)
            if brk is None:
                raise KeyError(f"vehicle {vehicle.id} has no break {ident}")
            start = _earliest(max(free_at, last_break_end), brk.time_windows)
            last_break_end = start + brk.service
            pending_break = True
            service_total += brk.service
            steps.append(
                Step(
                    type="break",
                    id=ident,
                    arrival=start,
                    service=brk.service,
                    duration=travel,
                    distance=metres,
                    load=tuple(load),
                )
            )
            continue
        task = tasks[key]
        target = task.location.index
        arrival = ride_to(target)
        start = _earliest(arrival, task.time_windows)
        setup = task.setup if target != loc else 0.0
        free_at = start + setup + task.service
        loc = target
        pending_break = False
        if kind == "job":
            for i, x in enumerate(pad(task.delivery, dims)):
                load[i] -= x
            for i, x in enumerate(pad(task.pickup, dims)):
                load[i] += x
        else:
            for i, x in enumerate(amounts[key]):
                load[i] += x
        service_total += task.service
        waiting_total += start - arrival
        setup_total += setup
        steps.append(
            Step(
                type=kind,
                id=ident,
                location=task.location,
                arrival=arrival,
                waiting_time=start - arrival,
                setup=setup,
                service=task.service,
                duration=travel,
                distance=metres,
                load=tuple(load),
                description=task.description,
            )
        )
    if vehicle.end is not None:
        arrival = ride_to(vehicle.end.index)
        steps.append(
            Step(
                type="end",
                location=vehicle.end,
                arrival=arrival,
                duration=travel,
                distance=metres,
                load=tuple(load),
            )
        )
    cost = vehicle.costs.per_hour * travel / 3600 + vehicle.costs.per_km * metres / 1000
    return Route(
        vehicle=vehicle.id,
        steps=tuple(steps),
        cost=cost,
        setup=setup_total,
        service=service_total,
        duration=travel,
        waiting_time=waiting_total,
        distance=metres,
        description=vehicle.description,
    )
