"""Extraction: from a solved assignment to a ``Solution`` (routes, steps, reasons)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from louise.routing.problem import pad
from louise.routing.solution import Reason, Route, Solution, Step, Summary, Unassigned
from louise.routing.solver.model import Model
from louise.routing.solver.precheck import Unit
from louise.routing.solver.repair import at_stop
from louise.routing.solver.search import Plan


def to_solution(
    model: Model,
    plan: Plan | None,
    units: list[Unit],
    t0: float,
    loaded: float,
    stats: Mapping[str, Any] | None = None,
) -> Solution:
    p = model.problem
    dims = p.dimensions
    routes: list[Route] = []
    served_units: set[int] = set()
    if plan is not None and model.break_reading == "at_stop":
        plan = at_stop(model, plan)  # breaks at the stop before them, as VROOM reads them
    if plan is not None:
        timing = plan.info.get("timing", {})
        a = plan.info.get("assignment")
        for vi, seq in enumerate(plan.routes):
            if not seq:
                continue
            served_units.update(x for n in seq if (x := model.nodes[n].unit) is not None)
            if vi in timing:  # a route with its own schedule (construction, repair)
                cumuls, brk = timing[vi]
                routes.append(build_route(model, vi, seq, cumuls, brk))
                continue
            assert a is not None
            routing = plan.info["routing"]
            time_dim = plan.info["time"]
            breaks = plan.info.get("breaks", {})
            cumuls = [float(a.Value(time_dim.CumulVar(routing.Start(vi))))]
            # routing index of each node: tasks are visited in order
            idx = a.Value(routing.NextVar(routing.Start(vi)))
            while not routing.IsEnd(idx):
                cumuls.append(float(a.Value(time_dim.CumulVar(idx))))
                idx = a.Value(routing.NextVar(idx))
            cumuls.append(float(a.Value(time_dim.CumulVar(idx))))
            brk = []
            for b, iv in breaks.get(vi, []):
                if a.PerformedValue(iv):
                    brk.append((float(a.StartValue(iv)), b))
            routes.append(build_route(model, vi, seq, cumuls, sorted(brk, key=lambda x: x[0])))
    unassigned: list[Unassigned] = []
    feasible_index = {id(u): i for i, u in enumerate(model.units)}
    for u in units:
        if u.reason is not None:
            reason = u.reason
        elif feasible_index[id(u)] in served_units:
            continue
        elif plan is None or feasible_index[id(u)] in plan.info.get("untried", ()):
            reason = Reason.NO_SOLUTION_IN_TIME
        elif feasible_index[id(u)] in plan.info.get("reasons", {}):
            reason = plan.info["reasons"][feasible_index[id(u)]]
        else:
            reason = Reason.FLEET_SATURATED
        for kind, t in u.tasks:
            unassigned.append(
                Unassigned(
                    id=t.id,
                    type=kind,
                    reason=str(reason),
                    location=t.location,
                    description=t.description,
                )
            )
    solving = time.monotonic() - t0 - loaded
    zero = (0.0,) * dims
    summary = Summary(
        cost=sum(r.cost for r in routes),
        routes=len(routes),
        unassigned=len(unassigned),
        setup=sum(r.setup for r in routes),
        service=sum(r.service for r in routes),
        duration=sum(r.duration for r in routes),
        waiting_time=sum(r.waiting_time for r in routes),
        priority=sum(r.priority for r in routes),
        delivery=tuple(sum(x) for x in zip(*(r.delivery for r in routes), strict=True))
        if routes
        else zero,
        pickup=tuple(sum(x) for x in zip(*(r.pickup for r in routes), strict=True))
        if routes
        else zero,
        distance=sum(r.distance for r in routes),
        computing_times={"loading": round(loaded * 1000), "solving": round(solving * 1000)},
        break_reading=model.break_reading,
    )
    return Solution(
        routes=tuple(routes), unassigned=tuple(unassigned), summary=summary, stats=stats or {}
    )


def build_route(
    model: Model,
    vi: int,
    seq: list[int],
    cumuls: list[float],
    breaks: list[tuple[float, Any]],
) -> Route:
    p = model.problem
    v = p.vehicles[vi]
    dims = p.dimensions
    travel = model.travel[(v.profile, v.speed_factor)]
    metres = model.metres[v.profile]
    costs = model.arc_costs(v)
    start_node, end_node = model.starts[vi], model.ends[vi]
    load = [0.0] * dims
    for n in seq:
        node = model.nodes[n]
        if node.kind == "job" and node.task is not None:
            for i, x in enumerate(pad(node.task.delivery, dims)):
                load[i] += x
    steps: list[Step] = []
    total_travel = total_dist = total_cost = 0.0
    total_setup = total_service = total_wait = 0.0
    priority = 0
    delivered = [0.0] * dims
    picked = [0.0] * dims
    dep = cumuls[0]
    if v.start is not None:
        steps.append(Step(type="start", location=v.start, arrival=cumuls[0], load=tuple(load)))
    prev = start_node
    prev_loc = v.start.index if v.start is not None else None
    pending = list(breaks)
    last_break_end = -math.inf
    for pos, n in enumerate([*seq, end_node]):
        node = model.nodes[n]
        target_cumul = cumuls[pos + 1]
        is_end = n == end_node
        if is_end and v.end is None:
            leg = dist = cst = 0.0
        else:
            leg = float(travel[prev, n])
            dist = float(metres[prev, n]) if metres is not None else 0.0
            cst = float(costs[prev, n])
        if prev == start_node and v.start is None:
            dep = target_cumul - leg  # an open start begins where its first task is
        taken = 0.0
        while pending and pending[0][0] < target_cumul:
            b_start_raw, b = pending.pop(0)
            window = next(
                (w for w in b.time_windows if w.start - 1e-9 <= b_start_raw <= w.end + 1e-9),
                b.time_windows[0],
            )
            b_start = max(dep, window.start, last_break_end)
            last_break_end = b_start + b.service
            taken += b.service
            steps.append(
                Step(
                    type="break",
                    id=b.id,
                    arrival=b_start,
                    service=b.service,
                    duration=total_travel,
                    distance=total_dist,
                    load=tuple(load),
                    description=b.description,
                )
            )
        if model.break_reading == "at_stop":
            # at a stop: the ride to this stop starts when the breaks before it end
            arrival = (max(dep, last_break_end) if taken else dep) + leg
        else:
            # on the road: the ride may be split around the breaks
            arrival = max(dep + leg + taken, last_break_end)
        total_travel += leg
        total_dist += dist
        total_cost += cst
        if is_end:
            if v.end is not None:
                steps.append(
                    Step(
                        type="end",
                        location=v.end,
                        arrival=arrival,
                        duration=total_travel,
                        distance=total_dist,
                        load=tuple(load),
                    )
                )
            break
        task = node.task
        assert task is not None
        start = max(arrival, target_cumul)
        waiting = start - arrival
        setup = task.setup if node.loc != prev_loc else 0.0
        if node.kind == "job":
            for i, x in enumerate(pad(task.delivery, dims)):
                load[i] -= x
                delivered[i] += x
            for i, x in enumerate(pad(task.pickup, dims)):
                load[i] += x
                picked[i] += x
            priority += task.priority
        else:
            shipment = p.shipments[model.units[node.unit or 0].index]
            sign = 1.0 if node.kind == "pickup" else -1.0
            for i, x in enumerate(pad(shipment.amount, dims)):
                load[i] += sign * x
                if sign > 0:
                    picked[i] += x
                else:
                    delivered[i] += x
            if node.kind == "pickup":
                priority += shipment.priority
        steps.append(
            Step(
                type=node.kind,
                id=task.id,
                location=task.location,
                arrival=arrival,
                duration=total_travel,
                setup=setup,
                service=task.service,
                waiting_time=waiting,
                load=tuple(load),
                distance=total_dist,
                description=task.description,
            )
        )
        total_setup += setup
        total_service += task.service
        total_wait += waiting
        dep = start + setup + task.service
        prev = n
        prev_loc = node.loc
    return Route(
        vehicle=v.id,
        steps=tuple(steps),
        cost=v.costs.fixed + total_cost,
        setup=total_setup,
        service=total_service,
        duration=total_travel,
        waiting_time=total_wait,
        priority=priority,
        delivery=tuple(delivered),
        pickup=tuple(picked),
        distance=total_dist,
        description=v.description,
    )
