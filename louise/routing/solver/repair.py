"""Repair: left-out tasks into a final plan with true reasons, and OR-Tools' routes re-timed
with their breaks taken at a stop. Both use the construction's exact checks (``Builder``).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

from louise.routing.solver.construction import Builder, RouteState, builder_of
from louise.routing.solver.model import Model
from louise.routing.solver.search import Plan


@dataclass
class Repair:
    changed: dict[int, RouteState]  # vehicle -> its new route (with schedule)
    placed: set[int]
    reasons: dict[int, str]  # unit -> reason, for the units still out


def repair(
    model: Model, routes: list[list[int]], out: list[int], deadline: float | None = None
) -> Repair:
    """Insert left-out units into a final plan; say truly why the rest stays out.

    Every left-out unit is tried on every route it may use and on every unused vehicle (one
    per kind). What fits is inserted. What fits nowhere is ``fleet_saturated`` if it would
    fit on an empty vehicle, else ``outside_time_windows`` (its windows do not go with the
    shift and the breaks). Routes this check cannot reproduce (a break placed on the road by
    OR-Tools that the stop-based reading cannot match) are left as they are.
    """
    b = builder_of(model)
    states = [RouteState(vi, list(r)) for vi, r in enumerate(routes)]
    usable = [b.refresh(r) for r in states]
    if os.environ.get("LOUISE_ROUTING_DEBUG"):
        print(f"repair: {usable.count(False)} routes not reproduced", file=sys.stderr)
    empty = [RouteState(vi) for vi in range(len(routes))]
    for r in empty:
        b.refresh(r)
    result = Repair({}, set(), {})
    order = sorted(out, key=lambda ui: (-model.units[ui].priority, ui))
    for ui in order:
        u = model.units[ui]
        nodes = model.unit_nodes[ui]
        allowed = [vi for vi in u.allowed if usable[vi]]
        late = deadline is not None and time.monotonic() > deadline
        changed = None if late else b.insert(states, nodes, allowed, thorough=True)
        if changed is not None:
            result.placed.add(ui)
            result.changed[changed.vi] = changed
            continue
        alone = late or any(
            b.fits(empty[vi], nodes, 1, 1 if len(nodes) == 2 else 0) is not None for vi in u.allowed
        )
        result.reasons[ui] = "fleet_saturated" if alone else "outside_time_windows"
    return result


def at_stop(model: Model, plan: Plan, deadline: float | None = None) -> Plan:
    """The plan with every OR-Tools route re-timed with its breaks taken at a stop.

    OR-Tools may put a break in the middle of a ride (its Python API cannot ask for the whole
    ride after the break). Each break is moved to the stop before it: the route is simulated
    with the break taken after the stop OR-Tools took it after, else where the construction's
    rule puts it, else after any stop (one break). A route that cannot be timed so loses the
    units whose removal makes it feasible (lowest priority first); those are inserted again
    wherever they fit (``repair``), the rest stays out with a true reason. Routes with their
    own schedule (construction, repair) already follow this reading and are kept.
    """
    p = model.problem
    timing = dict(plan.info.get("timing", {}))
    todo = [
        vi
        for vi, r in enumerate(plan.routes)
        if r and vi not in timing and p.vehicles[vi].breaks and "assignment" in plan.info
    ]
    if not todo:
        return plan
    b = builder_of(model)
    routes = [list(r) for r in plan.routes]
    removed: list[int] = []
    retimed = 0
    for vi in todo:
        r = RouteState(vi, list(routes[vi]))
        r.force = _ortools_stops(model, plan, vi, b)
        ok = b.refresh(r)
        if not ok and r.force:
            r.force = {}
            ok = b.refresh(r)
        retimed += 1
        while not ok and r.tasks:
            units = list(dict.fromkeys(model.nodes[n].unit for n in r.tasks))
            order = sorted(
                (ui for ui in units if ui is not None), key=lambda ui: model.units[ui].priority
            )
            for ui in order:
                trial = RouteState(vi, [n for n in r.tasks if model.nodes[n].unit != ui])
                if b.refresh(trial):
                    r, ok = trial, True
                    removed.append(ui)
                    break
            if not ok:  # no single unit makes it feasible: drop the last one, try again
                last = model.nodes[r.tasks[-1]].unit
                assert last is not None
                removed.append(last)
                r = RouteState(vi, [n for n in r.tasks if model.nodes[n].unit != last])
                ok = b.refresh(r)
        routes[vi] = list(r.tasks)
        timing[vi] = ([float(c) for c in r.cumul], [(float(bs), br) for bs, br in r.breaks])
    reasons = dict(plan.info.get("reasons", {}))
    if removed:
        fix = repair(model, routes, removed, deadline)
        for vi, fr in fix.changed.items():
            routes[vi] = list(fr.tasks)
            timing[vi] = ([float(c) for c in fr.cumul], [(float(bs), br) for bs, br in fr.breaks])
        reasons.update(fix.reasons)
        for ui in fix.placed:
            reasons.pop(ui, None)
    if os.environ.get("LOUISE_ROUTING_DEBUG"):
        print(
            f"at_stop: {retimed} routes re-timed, {len(removed)} units taken out, "
            f"{len(removed) - len(reasons.keys() & set(removed))} put back",
            file=sys.stderr,
        )
    served = {model.nodes[n].unit for r in routes for n in r}
    dropped = sum(1 + u.priority for ui, u in enumerate(model.units) if ui not in served)
    info = {**plan.info, "timing": timing, "reasons": reasons}
    return Plan(routes, plan.objective, dropped, plan.found_at, info)


def _ortools_stops(model: Model, plan: Plan, vi: int, b: Builder) -> dict[int, int]:
    """Break index -> the node of the route after which OR-Tools took that break."""
    a = plan.info["assignment"]
    routing = plan.info["routing"]
    time_dim = plan.info["time"]
    ivs = {br.id: iv for br, iv in plan.info.get("breaks", {}).get(vi, [])}
    seq = [model.starts[vi], *plan.routes[vi]]
    cumuls = [int(a.Value(time_dim.CumulVar(routing.Start(vi))))]
    idx = a.Value(routing.NextVar(routing.Start(vi)))
    while not routing.IsEnd(idx):
        cumuls.append(int(a.Value(time_dim.CumulVar(idx))))
        idx = a.Value(routing.NextVar(idx))
    force: dict[int, int] = {}
    for bi, (_, _, br) in enumerate(b.vbreaks[vi]):
        iv = ivs.get(br.id)
        if iv is None or not a.PerformedValue(iv):
            continue
        start = int(a.StartValue(iv))
        k = max((k for k, c in enumerate(cumuls) if c <= start), default=0)
        force[bi] = seq[k]
    return force
