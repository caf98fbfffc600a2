"""PyVRP 0.14 as a seed engine: the relaxed problem, solved for a while, as louise routes.

``seed_routes(problem, time_limit, seed)`` builds PyVRP's model of ``problem``, runs PyVRP's
iterated local search for ``time_limit`` seconds and answers, per louise vehicle index, the
visiting order as ``(kind, task id)`` keys (``kind``: ``job``, ``pickup``, ``delivery``) — what
the OR-Tools model maps to its nodes for ``ReadAssignmentFromRoutes``. OR-Tools stays the
model of record: it repairs what the relaxation got wrong and improves the plan.

What PyVRP 0.14 cannot say is relaxed or approximated; ``SeedResult.relaxed`` lists what a
problem actually needed:

- ``breaks``: not modelled. A vehicle's shift end moves earlier by the length of its breaks,
  so its route keeps room for them.
- ``shipment_windows``: a pickup or delivery with several windows keeps one (a restriction):
  of the pairs that fit together (the delivery window ends after the pickup one opens), the
  longest pair by default, or the first (``shipment_windows="first"``). A shipment without
  such a pair is excluded (``outside_time_windows``). A job's several windows are exact: one
  client per window in a mutually exclusive client group.
- ``max_travel_time``, ``max_tasks``: dropped. ``max_distance``: exact where the vehicle's
  arc costs are its distances, else dropped.
- Skills are exact: one PyVRP profile per skill set, whose edges into and out of a task the
  vehicle lacks the skills for cost more than leaving the task out and take longer than any
  shift (time warp).
- ``fixed_cost`` (only with ``fixed_cost_cap``): fixed costs above the cap are lowered to it.

Numbers are the OR-Tools model's integers: travel divided by the speed factor and rounded up,
setup + service rounded up (setup always counted), windows rounded inwards, amounts ×1000 in a
dimension with fractions (rounded up, capacities down), arc costs rounded. So a route PyVRP
finds feasible is feasible for OR-Tools too, up to the relaxed aspects. Tasks are optional
with a prize above a vehicle's fixed cost and four of the costliest arcs, ×(1 + priority):
serving comes first; or all required (``required=True``, as for Li & Lim).

The benchmark's PyVRP column (``benchmarks/routing/pyvrp_runner.py``) uses this converter too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from louise.routing.matrix import MatrixProvider, with_matrices
from louise.routing.problem import (
    FloatMatrix,
    Location,
    Problem,
    Shipment,
    Task,
    TimeWindow,
    Vehicle,
    capacity_of,
    pad,
)
from louise.routing.solution import Reason

TaskKey = tuple[str, int]  # ("job" | "pickup" | "delivery", task id)
Objective = Literal["cost", "duration", "distance"]
WindowPolicy = Literal["first", "longest"]
BIG_CAPACITY = 2**40
UNLIMITED = int(np.iinfo(np.int64).max)  # PyVRP's own default for open windows and limits


def _ceil(x: float) -> int:
    return math.ceil(x - 1e-9)


def _floor(x: float) -> int:
    return math.floor(x + 1e-9)


@dataclass(frozen=True)
class SeedResult:
    """PyVRP's plan for the relaxed problem, in louise's terms.

    ``routes[i]`` is the visiting order of louise vehicle ``i`` (empty if unused). ``unserved``
    were in the model but left out; ``excluded`` could not be in it (no vehicle with the skills
    or the capacity), with the reason code. ``cost`` is travel plus fixed costs in the model's
    integers; ``build_time`` and ``runtime`` are seconds (model, search).
    """

    routes: tuple[tuple[TaskKey, ...], ...]
    cost: int
    feasible: bool
    build_time: float
    runtime: float
    iterations: int
    relaxed: tuple[str, ...]
    unserved: tuple[TaskKey, ...] = ()
    excluded: Mapping[TaskKey, str] = field(default_factory=dict)

    @property
    def served(self) -> int:
        return sum(len(r) for r in self.routes)


@dataclass(frozen=True)
class _Unit:
    kind: str  # "job" or "shipment"
    index: int
    keys: tuple[TaskKey, ...]
    load: tuple[float, ...]
    skills: frozenset[int]
    priority: int


def _units(problem: Problem) -> list[_Unit]:
    dims = problem.dimensions
    units = []
    for i, j in enumerate(problem.jobs):
        peak = tuple(
            max(d, p) for d, p in zip(pad(j.delivery, dims), pad(j.pickup, dims), strict=True)
        )
        units.append(_Unit("job", i, (("job", j.id),), peak, j.skills, j.priority))
    for i, s in enumerate(problem.shipments):
        keys = (("pickup", s.pickup.id), ("delivery", s.delivery.id))
        units.append(_Unit("shipment", i, keys, pad(s.amount, dims), s.skills, s.priority))
    return units


def _exclusion(problem: Problem, unit: _Unit) -> str | None:
    """Why no vehicle can carry the unit at all (skills, then capacity); None if one can."""
    dims = problem.dimensions
    skilled = [v for v in problem.vehicles if unit.skills <= v.skills]
    if not skilled:
        return str(Reason.NO_VEHICLE_WITH_SKILLS)
    for v in skilled:
        cap = capacity_of(v, dims)
        if all(a <= c + 1e-9 for a, c in zip(unit.load, cap, strict=False)):
            return None
    return str(Reason.OVER_CAPACITY)


class _Relaxed:
    """The PyVRP 0.14 data for a problem, and the way back from its indices to louise's."""

    def __init__(
        self,
        problem: Problem,
        objective: Objective,
        *,
        required: bool = False,
        fixed_cost_cap: float | None = None,
        shipment_windows: WindowPolicy = "longest",
    ) -> None:
        self.problem = p = problem
        dims = p.dimensions
        self.relaxed: set[str] = set()
        self.excluded: dict[TaskKey, str] = {}
        self.units: list[_Unit] = []
        self._tasks: dict[TaskKey, Task] = {("job", j.id): j for j in p.jobs}
        for s in p.shipments:
            self._tasks[("pickup", s.pickup.id)] = s.pickup
            self._tasks[("delivery", s.delivery.id)] = s.delivery
        self.windows: dict[int, tuple[TimeWindow | None, TimeWindow | None]] = {}
        for u in _units(p):
            reason = _exclusion(p, u)
            if reason is None and u.kind == "shipment":
                pair = _shipment_windows(p.shipments[u.index], shipment_windows)
                if pair is None:
                    reason = str(Reason.OUTSIDE_TIME_WINDOWS)
                else:
                    self.windows[u.index] = pair
            if reason is None:
                self.units.append(u)
            else:
                self.excluded.update((k, reason) for k in u.keys)
        amounts = [u.load for u in self.units] + [v.capacity for v in p.vehicles]
        scale = [
            1 if all(float(a[d]).is_integer() for a in amounts if len(a) > d) else 1000
            for d in range(dims)
        ]

        def scaled(values: Sequence[float]) -> list[int]:
            return [_ceil(a * s) for a, s in zip(pad(tuple(values), dims), scale, strict=True)]

        # locations: the depots first, then one location per client and shipment step
        self.src: list[int] = []  # the louise matrix row of each PyVRP location, -1: anywhere
        coords: list[tuple[float, float]] = []
        depot_of: dict[int, int] = {}

        def depot(loc: Location | None) -> int:
            row = -1 if loc is None or loc.index is None else loc.index
            if row not in depot_of:
                depot_of[row] = len(self.src)
                self.src.append(row)
                coords.append(loc.coordinates if loc and loc.coordinates else (0.0, 0.0))
            return depot_of[row]

        ends = [(depot(v.start), depot(v.end)) for v in p.vehicles]
        n_depots = len(self.src)
        loc_skills: list[frozenset[int]] = [frozenset()] * n_depots

        def location(task: Task, skills: frozenset[int]) -> int:
            assert task.location.index is not None
            self.src.append(task.location.index)
            coords.append(task.location.coordinates or (0.0, 0.0))
            loc_skills.append(skills)
            return len(self.src) - 1

        worst = 0.0  # the costliest arc over all vehicles, for prizes
        cost_cache: dict[tuple[str, float, float, float], FloatMatrix] = {}
        for v in p.vehicles:
            key = (v.profile, v.speed_factor, v.costs.per_hour, v.costs.per_km)
            if key not in cost_cache:
                cost_cache[key] = self._arc_costs(v, objective)
                worst = max(worst, float(cost_cache[key].max(initial=0.0)))

        def fixed_cost(v: Vehicle) -> int:
            if fixed_cost_cap is not None and v.costs.fixed > fixed_cost_cap:
                self.relaxed.add("fixed_cost")
                return _ceil(fixed_cost_cap)
            return _ceil(v.costs.fixed)

        max_fixed = max((fixed_cost(v) for v in p.vehicles), default=0)
        prize_base = max_fixed + 4 * _ceil(worst) + 1

        clients: list[pyvrp.Client] = []
        groups: list[pyvrp.ClientGroup] = []
        shipments: list[pyvrp.Shipment] = []
        self.client_key: list[TaskKey] = []
        self.shipment_keys: list[tuple[TaskKey, TaskKey]] = []
        max_prize = 0
        for u in self.units:
            max_prize = max(max_prize, prize_base * (1 + u.priority))
            prize = 0 if required else prize_base * (1 + u.priority)
            if u.kind == "job":
                j = p.jobs[u.index]
                windows: Sequence[TimeWindow | None] = j.time_windows or (None,)
                group = len(groups) if len(windows) > 1 else None
                members = []
                for w in windows:
                    members.append(len(clients))
                    early, late = _window(w)
                    clients.append(
                        pyvrp.Client(
                            location=location(j, u.skills),
                            delivery=scaled(j.delivery),
                            pickup=scaled(j.pickup),
                            service_duration=_ceil(j.setup) + _ceil(j.service),
                            tw_early=early,
                            tw_late=late,
                            prize=prize,
                            required=required and group is None,
                            group=group,
                        )
                    )
                    self.client_key.append(("job", j.id))
                if group is not None:
                    groups.append(  # mutually exclusive in 0.14
                        pyvrp.ClientGroup(members, required=required)
                    )
            else:
                s = p.shipments[u.index]
                if len(s.pickup.time_windows) > 1 or len(s.delivery.time_windows) > 1:
                    self.relaxed.add("shipment_windows")
                pw, dw = (_window(w) for w in self.windows[u.index])
                shipments.append(
                    pyvrp.Shipment(
                        pickup_location=location(s.pickup, u.skills),
                        delivery_location=location(s.delivery, u.skills),
                        pickup_tw_early=pw[0],
                        pickup_tw_late=pw[1],
                        pickup_service_duration=_ceil(s.pickup.setup) + _ceil(s.pickup.service),
                        delivery_tw_early=dw[0],
                        delivery_tw_late=dw[1],
                        delivery_service_duration=_ceil(s.delivery.setup)
                        + _ceil(s.delivery.service),
                        amount=scaled(s.amount),
                        prize=prize,
                        required=required,
                    )
                )
                self.shipment_keys.append((("pickup", s.pickup.id), ("delivery", s.delivery.id)))
        prohibitive = max_prize + 1
        # a time past every shift and window: an arc into a task the vehicle lacks the skills
        # for also means time warp (far better for PyVRP's search than the cost alone:
        # 12 vs 13 unassigned at 90 tasks of the mixed evening, 10 s)
        closes = [v.time_window.end for v in p.vehicles if v.time_window is not None]
        closes += [w.end for u in self.units for k in u.keys for w in self._task(k).time_windows]
        far = _floor(max(closes)) + 1 if closes else 10**9

        # one PyVRP profile per (matrix, speed, costs, skills that matter)
        needed = frozenset().union(*(u.skills for u in self.units))
        rows = np.array(self.src)
        known = rows >= 0
        safe = np.where(known, rows, 0)

        def sub(m: FloatMatrix) -> FloatMatrix:
            out: FloatMatrix = np.asarray(m, dtype=np.float64)[np.ix_(safe, safe)]
            out[~known, :] = 0.0
            out[:, ~known] = 0.0
            np.fill_diagonal(out, 0.0)
            return out

        profile_of: dict[tuple[object, ...], int] = {}
        distance_matrices: list[Any] = []  # int64 matrices (PyVRP's stubs say ndarray[int])
        duration_matrices: list[Any] = []
        type_of: dict[tuple[object, ...], int] = {}
        self.type_vehicles: list[list[int]] = []
        vehicle_types: list[pyvrp.VehicleType] = []
        for vi, v in enumerate(p.vehicles):
            m = p.matrices[v.profile]
            assert m.durations is not None
            cost_key = (v.profile, v.speed_factor, v.costs.per_hour, v.costs.per_km)
            skills = v.skills & needed
            pkey = (*cost_key, skills)
            if pkey not in profile_of:
                profile_of[pkey] = len(distance_matrices)
                dur = np.ceil(sub(m.durations) / v.speed_factor - 1e-9).astype(np.int64)
                dist = np.rint(sub(cost_cache[cost_key])).astype(np.int64)
                lacking = np.array([not s <= skills for s in loc_skills], dtype=bool)
                for mat, value in ((dist, prohibitive), (dur, far)):
                    mat[lacking, :] = value
                    mat[:, lacking] = value
                    np.fill_diagonal(mat, 0)
                distance_matrices.append(dist)
                duration_matrices.append(dur)
            early, late, max_distance = 0, UNLIMITED, UNLIMITED
            if v.time_window is not None:
                early = _ceil(v.time_window.start)
                late = _floor(v.time_window.end)
                if v.breaks:
                    late -= sum(_ceil(b.service) for b in v.breaks)
                late = max(early, late)
            if v.breaks:
                self.relaxed.add("breaks")
            if v.max_tasks is not None:
                self.relaxed.add("max_tasks")
            if v.max_travel_time is not None:
                self.relaxed.add("max_travel_time")
            if v.max_distance is not None:
                if self._cost_is_distance(v, cost_cache[cost_key]):
                    max_distance = _floor(v.max_distance)
                else:
                    self.relaxed.add("max_distance")
            caps = [
                min(_floor(c * s), BIG_CAPACITY) if math.isfinite(c) else BIG_CAPACITY
                for c, s in zip(capacity_of(v, dims), scale, strict=True)
            ]
            fixed = fixed_cost(v)
            tkey = (*ends[vi], tuple(caps), early, late, max_distance, fixed, pkey)
            if tkey not in type_of:
                type_of[tkey] = len(vehicle_types)
                self.type_vehicles.append([])
                vehicle_types.append(
                    pyvrp.VehicleType(
                        num_available=1,
                        capacity=caps,
                        start_depot=ends[vi][0],
                        end_depot=ends[vi][1],
                        fixed_cost=fixed,
                        unit_distance_cost=1,
                        unit_duration_cost=0,
                        profile=profile_of[pkey],
                        tw_early=early,
                        tw_late=late,
                        max_distance=max_distance,
                    )
                )
            self.type_vehicles[type_of[tkey]].append(vi)
        vehicle_types = [
            vt.replace(num_available=len(vs))
            for vt, vs in zip(vehicle_types, self.type_vehicles, strict=True)
        ]
        self.data = pyvrp.ProblemData(
            locations=[pyvrp.Location(x=x, y=y) for x, y in coords],
            clients=clients,
            depots=[pyvrp.Depot(location=i) for i in range(n_depots)],
            vehicle_types=vehicle_types,
            distance_matrices=distance_matrices,
            duration_matrices=duration_matrices,
            groups=groups,
            shipments=shipments,
        )

    def _task(self, key: TaskKey) -> Task:
        return self._tasks[key]

    def _arc_costs(self, v: Vehicle, objective: Objective) -> FloatMatrix:
        """What one arc costs the vehicle, as in the OR-Tools model (float, matrix rows)."""
        m = self.problem.matrices[v.profile]
        assert m.durations is not None
        travel: FloatMatrix = np.asarray(m.durations, dtype=np.float64) / v.speed_factor
        metres = m.distances
        if objective == "duration":
            return travel
        if objective == "distance":
            return travel if metres is None else np.asarray(metres, dtype=np.float64)
        if m.costs is not None:
            return np.asarray(m.costs, dtype=np.float64)
        cost = travel * (v.costs.per_hour / 3600.0)
        if metres is not None and v.costs.per_km:
            cost = cost + np.asarray(metres) * (v.costs.per_km / 1000.0)
        return cost

    def _cost_is_distance(self, v: Vehicle, cost: FloatMatrix) -> bool:
        metres = self.problem.matrices[v.profile].distances
        return metres is not None and bool(np.array_equal(np.rint(cost), np.rint(metres)))

    def routes(self, solution: pyvrp.Solution) -> list[list[TaskKey]]:
        """Per louise vehicle index, the visiting order of a PyVRP solution."""
        out: list[list[TaskKey]] = [[] for _ in self.problem.vehicles]
        pools = [list(vs) for vs in self.type_vehicles]
        for route in solution.routes():
            vi = pools[route.vehicle_type()].pop(0)
            for act in route.schedule():
                if act.is_depot():
                    continue
                if act.is_pickup():
                    out[vi].append(self.shipment_keys[act.idx][0])
                elif act.is_delivery():
                    out[vi].append(self.shipment_keys[act.idx][1])
                else:
                    out[vi].append(self.client_key[act.idx])
        return out


def _shipment_windows(
    s: Shipment, policy: WindowPolicy
) -> tuple[TimeWindow | None, TimeWindow | None] | None:
    """The one window each step of a shipment keeps, or None if no pair fits together.

    Only pairs whose delivery window ends after the pickup window opens (in the model's
    integers) count; of those, ``"first"`` keeps the first in the listed order, ``"longest"``
    the longest pair (the earliest of equals).
    """
    pickups: Sequence[TimeWindow | None] = s.pickup.time_windows or (None,)
    deliveries: Sequence[TimeWindow | None] = s.delivery.time_windows or (None,)
    pairs = [(pw, dw) for pw in pickups for dw in deliveries if _window(dw)[1] >= _window(pw)[0]]
    if not pairs:
        return None
    if policy == "first":
        return pairs[0]

    def length(w: TimeWindow | None) -> float:
        return math.inf if w is None else w.end - w.start

    def start(w: TimeWindow | None) -> float:
        return 0.0 if w is None else w.start

    return max(pairs, key=lambda pd: (length(pd[0]) + length(pd[1]), -start(pd[0]), -start(pd[1])))


def _window(w: TimeWindow | None) -> tuple[int, int]:
    if w is None:
        return 0, UNLIMITED
    return _ceil(w.start), _floor(w.end)


def seed_routes(
    problem: Problem,
    time_limit: float,
    seed: int = 0,
    *,
    objective: Objective = "cost",
    matrix_provider: MatrixProvider | None = None,
    required: bool = False,
    fixed_cost_cap: float | None = None,
    shipment_windows: WindowPolicy = "longest",
    limit_includes_build: bool = False,
    max_iterations: int | None = None,
) -> SeedResult:
    """PyVRP's plan for the relaxed ``problem`` after ``time_limit`` seconds of search.

    ``required``: every task must be served (no prizes; for instances where that is possible,
    e.g. Li & Lim) instead of optional with a prize. ``fixed_cost_cap`` lowers larger fixed
    costs to it (PyVRP's penalties saturate with 10⁹ next to distances of 10⁶; any cap above
    a whole plan's travel keeps "vehicles first"); relaxed ``fixed_cost`` when it does.
    ``shipment_windows``: which window a shipment step with several keeps, ``"first"`` or
    ``"longest"``. ``limit_includes_build``: the search gets ``time_limit`` less the time
    spent building the model (at least 0.1 s), so the whole call keeps to the limit.
    ``max_iterations``: stop after that many iterations too (runs repeat exactly when the
    time limit is not reached first).
    """
    if not time_limit > 0:
        raise ValueError("time_limit must be > 0")
    t0 = time.monotonic()
    problem = with_matrices(problem, matrix_provider)
    model = _Relaxed(
        problem,
        objective,
        required=required,
        fixed_cost_cap=fixed_cost_cap,
        shipment_windows=shipment_windows,
    )
    built = time.monotonic()
    if limit_includes_build:
        time_limit = max(0.1, time_limit - (built - t0))
    empty: tuple[tuple[TaskKey, ...], ...] = tuple(() for _ in problem.vehicles)
    if not model.units:
        return SeedResult(
            empty, 0, True, built - t0, 0.0, 0, tuple(sorted(model.relaxed)), (), model.excluded
        )
    stop: StoppingCriterion = MaxRuntime(time_limit)
    if max_iterations is not None:
        stop = MultipleCriteria([MaxIterations(max_iterations), stop])
    result = pyvrp.solve(model.data, stop, seed=seed, collect_stats=False, display=False)
    best = result.best
    routes = model.routes(best)
    served = {k for r in routes for k in r}
    unserved = tuple(k for u in model.units for k in u.keys if k not in served)
    return SeedResult(
        routes=tuple(tuple(r) for r in routes),
        cost=int(best.distance_cost() + best.fixed_vehicle_cost()),
        feasible=bool(best.is_feasible()),
        build_time=built - t0,
        runtime=time.monotonic() - built,
        iterations=int(result.num_iterations),
        relaxed=tuple(sorted(model.relaxed)),
        unserved=unserved,
        excluded=model.excluded,
    )
