"""Construction: a first plan to start the search from."""

from __future__ import annotations

import time

from louise.routing.problem import Problem
from louise.routing.solver.model import Model
from louise.routing.solver.options import SolveOptions
from louise.routing.solver.precheck import build_units
from louise.routing.solver.search import Plan, Search, debug

WARM_START_UNITS = 500


def warm_start(model: Model, options: SolveOptions, search: Search, seconds: float) -> Plan | None:
    """Large problems: plan a subset first, then insert the rest by local search.

    On a 1000-shipment evening with breaks no insertion heuristic produced a first plan within
    30 s; a plan for 300 shipments takes about a second and seeds the full model.
    """
    p = model.problem
    subset = model.units[:WARM_START_UNITS]
    sub = Problem(
        vehicles=p.vehicles,
        jobs=[p.jobs[u.index] for u in subset if u.kind == "job"],
        shipments=[p.shipments[u.index] for u in subset if u.kind == "shipment"],
        matrices=p.matrices,
    )
    sub_model = Model(sub, build_units(sub), model.objective, 0)
    sub_search = Search(sub_model, time.monotonic() + 0.4 * seconds, search.t0)
    sub_plan, _ = sub_search.run(0.4 * seconds, ils=True)
    search.first_feasible = sub_search.first_feasible
    debug(search, "warm start subset", sub_plan)
    if sub_plan is None:
        return None
    node_of = {(n.kind, n.task.id): i for i, n in enumerate(model.nodes) if n.task is not None}
    routes = [
        [node_of[(sub_model.nodes[k].kind, t.id)] for k in r if (t := sub_model.nodes[k].task)]
        for r in sub_plan.routes
    ]
    plan, _ = search.run(
        seconds - (time.monotonic() - search.t0), start=Plan(routes, 0, 0, 0), ils=False
    )
    return plan
