"""Run PyVRP (the ``bench`` extra) on the same VROOM JSON louise reads, and check its plan.

The model is louise's own PyVRP converter, ``louise.routing.engines.pyvrp_seed`` (see
docs/routing.md, "PyVRP as a seed engine", for what it relaxes). What is benchmark-specific
lives here: the Li & Lim options (every task required, a fixed-cost cap) and turning PyVRP's
visiting orders back into a louise ``Solution`` **on the real problem**:

- *breaks*: PyVRP has none; the converter shortens each shift by its breaks. Back on the real
  problem each route's break is put at the best stop (the at-stop reading: a break starts at the
  stop before it); a route where no position fits loses whole tasks until one does, and those
  are reported unassigned (``repair_dropped``). (Breaks as placeholder clients at a
  free-to-reach pseudo place were tried and left more tasks out: 23 vs 12 at 90 tasks, 82 vs
  60 at 300, 10 s, one run each.)

Every plan is re-timed by ``benchmarks.routing.plans`` and then checked by
``louise.routing.validate`` on the real problem by the caller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from benchmarks.routing.plans import Key, Lookup, route_from_order, unassigned_of
from louise.routing import Problem, Route, Solution, Summary, with_matrices

# what the converter's relaxation codes mean, as the benchmark tables say it
RELAXED = {
    "breaks": "no breaks (shifts shortened by them); breaks put back at the best stop, tasks "
    "that no longer fit dropped",
    "shipment_windows": "one time window per shipment step (the longest pair that fits "
    "together); a job's several windows exact",
    "max_distance": "max_distance not modelled",
    "max_travel_time": "max_travel_time not modelled",
    "max_tasks": "max_tasks not modelled",
}


def pyvrp_available() -> bool:
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class PyvrpRun:
    """PyVRP's plan on the real problem, what was relaxed, and the run's facts."""

    solution: Solution
    wall: float
    relaxed: list[str] = field(default_factory=list)
    repair_dropped: int = 0  # units dropped when breaks were put back
    pyvrp_feasible: bool = True


def solve_with_pyvrp(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    required: bool = False,
    fixed_cost_cap: float | None = None,
) -> PyvrpRun:
    """PyVRP on ``problem`` within ``time_limit`` seconds (model building included), one core."""
    from louise.routing.engines.pyvrp_seed import seed_routes

    t0 = time.monotonic()
    real = with_matrices(problem)
    run = seed_routes(
        real,
        time_limit,
        seed=seed,
        required=required,
        fixed_cost_cap=fixed_cost_cap,
        limit_includes_build=True,
    )
    relaxed = [RELAXED.get(code, code) for code in run.relaxed if code != "fixed_cost"]
    look = Lookup.of(real)
    if any(t.setup for t in look.tasks.values()):
        relaxed.append("setup added to service")
    if "fixed_cost" in run.relaxed:
        relaxed.append(f"fixed cost per vehicle {fixed_cost_cap:.0e} (vehicles still first)")
    routes: list[Route] = []
    served: set[Key] = set()
    dropped = 0
    for vehicle, order in zip(real.vehicles, run.routes, strict=True):
        if not order:
            continue
        route, lost = route_from_order(real, vehicle, list(order), look)
        dropped += sum(1 for k in lost if k[0] != "delivery")
        if route is not None:
            routes.append(route)
            served |= {(s.type, s.id) for s in route.tasks if s.id is not None}
    wall = time.monotonic() - t0
    unassigned = unassigned_of(look, served, "fleet_saturated")
    solution = Solution(
        routes=tuple(routes),
        unassigned=unassigned,
        summary=Summary(
            cost=sum(r.cost for r in routes),
            routes=len(routes),
            unassigned=len(unassigned),
            distance=sum(r.distance for r in routes),
            duration=sum(r.duration for r in routes),
        ),
    )
    return PyvrpRun(
        solution=solution,
        wall=wall,
        relaxed=relaxed,
        repair_dropped=dropped,
        pyvrp_feasible=run.feasible,
    )
