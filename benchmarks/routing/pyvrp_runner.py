"""Run PyVRP (the ``bench`` extra) on the same VROOM JSON louise reads, and check its plan.

PyVRP 0.14 cannot express everything a LOUISE evening has, so the model it gets is relaxed or
restricted, and its plan is turned back into a louise ``Solution`` **on the real problem**:

- *breaks*: PyVRP has none. They are left out of its model and each shift ends earlier by
  the length of its breaks. Back on the real problem each route's break is put at the best
  stop (VROOM's reading: a break starts at the stop before it); a route where no position fits
  loses whole tasks until one does, and those are reported unassigned (``repair_dropped``).
  This is the relaxation. (Breaks as placeholder clients at a free-to-reach pseudo place were
  tried and left more tasks out: 23 vs 12 at 90 tasks, 82 vs 60 at 300, 10 s, one run each.)
- *skills*: exact, through profiles. Each (profile, skill set) of the fleet gets a PyVRP
  profile in which the locations of tasks needing a skill the vehicles lack are copies that
  cannot be reached (edges longer than any shift).
- *several time windows*: one window per client in PyVRP; the longest is kept (a restriction:
  what it plans stays inside a real window).
- *setup*: added to the service time (a restriction: louise skips setup at a repeated place).
- *jobs with delivery/pickup amounts*: PyVRP clients with delivery/pickup, loaded at the
  depot, which is VROOM's meaning: exact.
- integer matrices: durations rounded up, costs rounded.

Every plan is re-timed by ``benchmarks.routing.plans`` and then checked by
``louise.routing.validate`` on the real problem by the caller.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.routing.plans import Key, Lookup, route_from_order, unassigned_of
from louise.routing import Problem, Route, Solution, Summary, Task, TimeWindow, with_matrices

UNREACHABLE = 10**9
HORIZON = 2**40


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


def _window(task: Task) -> tuple[int, int]:
    if not task.time_windows:
        return 0, HORIZON
    w: TimeWindow = max(task.time_windows, key=lambda w: (w.end - w.start, -w.start))
    return math.ceil(w.start), math.floor(w.end)


def _ints(values: tuple[float, ...], dims: int, up: bool = True) -> list[int]:
    vals = tuple(values) + (0.0,) * (dims - len(values))
    return [math.ceil(x) if up else math.floor(x) for x in vals]


def to_pyvrp(
    problem: Problem, *, required: bool, fixed_cost_cap: float | None = None
) -> tuple[Any, dict[str, Any], list[str]]:
    """PyVRP ``ProblemData`` for ``problem``, the maps to read its answer back, what was relaxed.

    ``fixed_cost_cap`` lowers larger fixed costs to it: PyVRP's penalties struggle with 10⁹
    next to distances of 10⁶ (``PenaltyBoundWarning``); any cap above a whole plan's travel
    cost keeps "vehicles first".
    """
    import pyvrp

    problem = with_matrices(problem)
    dims = problem.dimensions
    vehicles = problem.vehicles
    relaxed: list[str] = []
    if any(v.breaks for v in vehicles):
        relaxed.append(
            "no breaks (shifts shortened by them); breaks put back at the best stop, tasks that "
            "no longer fit dropped"
        )
    if any(len(t.time_windows) > 1 for t in _all_tasks(problem)):
        relaxed.append("one time window per task (the longest)")
    if any(t.setup for t in _all_tasks(problem)):
        relaxed.append("setup added to service")
    if any(v.max_travel_time is not None or v.max_tasks is not None for v in vehicles):
        relaxed.append("max_travel_time/max_tasks not modelled")
    if any(v.start is None or v.end is None for v in vehicles):
        raise ValueError("PyVRP runner: every vehicle needs a start and an end")

    size = next(iter(problem.matrices.values())).size
    all_skills = [v.skills for v in vehicles]

    def needs_copy(skills: frozenset[int]) -> bool:
        return bool(skills) and not all(skills <= s for s in all_skills)

    rows: list[int] = list(range(size))  # pyvrp location -> matrix row
    copy_skills: list[frozenset[int]] = []  # for copied locations (index size + k)

    def place(task: Task, skills: frozenset[int]) -> int:
        assert task.location.index is not None
        if not needs_copy(skills):
            return task.location.index
        rows.append(task.location.index)
        copy_skills.append(skills)
        return len(rows) - 1

    prize = 0
    if not required:
        top = max((v.costs.fixed for v in vehicles), default=0)
        longest = max(
            float(np.max(np.asarray(m.costs if m.costs is not None else m.durations)))
            for m in problem.matrices.values()
        )
        # above a task's travel and a vehicle of its own, not far above: a prize far beyond
        # PyVRP's penalties for time warp makes it chase infeasible plans
        prize = int(top + 4 * longest) + 1

    clients = []
    for j in problem.jobs:
        early, late = _window(j)
        clients.append(
            pyvrp.Client(
                location=place(j, j.skills),
                delivery=_ints(j.delivery, dims),
                pickup=_ints(j.pickup, dims),
                service_duration=math.ceil(j.setup + j.service),
                tw_early=early,
                tw_late=late,
                prize=prize,
                required=required,
            )
        )
    shipments = []
    for s in problem.shipments:
        pe, pl = _window(s.pickup)
        de, dl = _window(s.delivery)
        shipments.append(
            pyvrp.Shipment(
                pickup_location=place(s.pickup, s.skills),
                delivery_location=place(s.delivery, s.skills),
                pickup_tw_early=pe,
                pickup_tw_late=pl,
                pickup_service_duration=math.ceil(s.pickup.setup + s.pickup.service),
                delivery_tw_early=de,
                delivery_tw_late=dl,
                delivery_service_duration=math.ceil(s.delivery.setup + s.delivery.service),
                amount=_ints(s.amount, dims),
                prize=prize,
                required=required,
            )
        )

    depot_rows = sorted(
        {v.start.index for v in vehicles if v.start and v.start.index is not None}
        | {v.end.index for v in vehicles if v.end and v.end.index is not None}
    )
    depot_of = {r: i for i, r in enumerate(depot_rows)}
    depots = [pyvrp.Depot(location=r) for r in depot_rows]

    idx = np.asarray(rows)
    # "cannot reach": later than any shift ends (so a visit means time warp), without numbers
    # so large that PyVRP's penalties saturate
    ends = [v.time_window.end for v in vehicles if v.time_window is not None]
    far_duration = int(max(ends)) + 1 if len(ends) == len(vehicles) else UNREACHABLE
    profile_of: dict[tuple[str, float, frozenset[int]], int] = {}
    durations: list[Any] = []
    distances: list[Any] = []
    for v in vehicles:
        key = (v.profile, v.speed_factor, v.skills)
        if key in profile_of:
            continue
        m = problem.matrices[v.profile]
        assert m.durations is not None
        dur = np.ceil(np.asarray(m.durations)[np.ix_(idx, idx)] / v.speed_factor - 1e-9)
        cost_src = m.costs if m.costs is not None else np.asarray(m.durations) / v.speed_factor
        cost = np.rint(np.asarray(cost_src)[np.ix_(idx, idx)])
        dur = dur.astype(np.int64)
        cost = cost.astype(np.int64)
        far_cost = 10 * int(cost.max()) + 1
        for k, skills in enumerate(copy_skills):
            if not skills <= v.skills:
                c = size + k
                for mat, far in ((dur, far_duration), (cost, far_cost)):
                    mat[c, :] = far
                    mat[:, c] = far
                    mat[c, c] = 0
        profile_of[key] = len(durations)
        durations.append(dur)
        distances.append(cost)

    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for v in vehicles:
        assert v.start is not None and v.end is not None
        tw = v.time_window
        vkey = (
            profile_of[(v.profile, v.speed_factor, v.skills)],
            tuple(_ints(v.capacity, dims, up=False) if v.capacity else [HORIZON] * dims),
            depot_of[v.start.index],  # type: ignore[index]
            depot_of[v.end.index],  # type: ignore[index]
            # the shift less its breaks: room for them when they are put back
            (math.ceil(tw.start), math.floor(tw.end - sum(b.service for b in v.breaks)))
            if tw
            else (0, HORIZON),
            round(v.costs.fixed if fixed_cost_cap is None else min(v.costs.fixed, fixed_cost_cap)),
            v.max_distance,
        )
        groups[vkey].append(v.id)
    vehicle_types = []
    type_ids: list[list[int]] = []
    for (prof, cap, start, end, (early, late), fixed, _max_d), ids in groups.items():
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(ids),
                capacity=list(cap),
                start_depot=start,
                end_depot=end,
                fixed_cost=fixed,
                tw_early=early,
                tw_late=late,
                unit_distance_cost=1,
                unit_duration_cost=0,
                profile=prof,
            )
        )
        type_ids.append(ids)
    if fixed_cost_cap is not None and any(v.costs.fixed > fixed_cost_cap for v in vehicles):
        relaxed.append(f"fixed cost per vehicle {fixed_cost_cap:.0e} (vehicles still first)")
    if any(v.max_distance is not None for v in vehicles):
        relaxed.append("max_distance not modelled")

    locations = [pyvrp.Location(x=0.0, y=0.0) for _ in rows]
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=distances,
        duration_matrices=durations,
        shipments=shipments,
    )
    return data, {"type_ids": type_ids, "problem": problem}, relaxed


def _all_tasks(problem: Problem) -> list[Task]:
    return [*problem.jobs, *(t for s in problem.shipments for t in (s.pickup, s.delivery))]


def solve_with_pyvrp(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    required: bool = False,
    fixed_cost_cap: float | None = None,
) -> PyvrpRun:
    """PyVRP on ``problem`` within ``time_limit`` seconds (model building included), one core."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    t0 = time.monotonic()
    data, maps, relaxed = to_pyvrp(problem, required=required, fixed_cost_cap=fixed_cost_cap)
    real: Problem = maps["problem"]
    left = max(0.1, time_limit - (time.monotonic() - t0))
    result = pyvrp.solve(data, stop=MaxRuntime(left), seed=seed, collect_stats=False)
    best = result.best
    look = Lookup.of(real)
    vehicles = {v.id: v for v in real.vehicles}
    free = [list(ids) for ids in maps["type_ids"]]
    routes: list[Route] = []
    served: set[Key] = set()
    dropped = 0
    for r in best.routes():
        order: list[Key] = []
        for act in r.schedule():
            if act.is_depot():
                continue
            if act.is_shipment():
                s = real.shipments[act.idx]
                order.append(
                    ("pickup", s.pickup.id) if act.is_pickup() else ("delivery", s.delivery.id)
                )
            else:
                order.append(("job", real.jobs[act.idx].id))
        vid = free[r.vehicle_type()].pop(0)
        route, lost = route_from_order(real, vehicles[vid], order, look)
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
        pyvrp_feasible=bool(best.is_feasible()),
    )
