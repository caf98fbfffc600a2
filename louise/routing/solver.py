"""The engine: OR-Tools routing behind ``solve(problem) -> Solution``.

Objective (documented in docs/routing.md): every task not served costs a penalty larger than
any plan's travel and fixed costs together, so serving tasks comes first (higher priority,
higher penalty); then the vehicles' fixed costs; then travel, measured as ``objective`` says:
``"cost"`` (VROOM's: the profile's cost matrix, else per_hour × time + per_km × distance),
``"duration"`` or ``"distance"``.

Search: a first plan by parallel cheapest insertion, then iterated local search (ruin and
recreate with SISR, greedy descent inside). When vehicles have fixed costs, a fleet-reduction
loop empties the shortest route and tries to fit its tasks elsewhere, and the remaining time
polishes the best plan. Every stage shares one deadline, so the time limit holds.
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from louise.routing.matrix import MatrixProvider, with_matrices
from louise.routing.problem import FloatMatrix, Problem, Task, Vehicle, capacity_of, pad
from louise.routing.solution import Reason, Route, Solution, Step, Summary, Unassigned

Objective = Literal["cost", "duration", "distance"]
BIG_CAPACITY = 2**40
TIME_SCALE_LIMIT = 2**50


@dataclass(frozen=True)
class SolveOptions:
    """How to search: time limit (seconds, wall clock, all-inclusive), seed, threads, objective."""

    time_limit: float = 10.0
    seed: int = 0
    threads: int = 1
    objective: Objective = "cost"
    fleet_reduction: bool = True
    iteration_limit: int | None = None

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise ValueError("time_limit must be > 0")
        if self.threads < 1:
            raise ValueError("threads must be >= 1")
        if self.iteration_limit is not None and self.iteration_limit < 1:
            raise ValueError("iteration_limit must be >= 1")
        if self.objective not in ("cost", "duration", "distance"):
            raise ValueError(f"unknown objective {self.objective!r}")


# ---------------------------------------------------------------------------------------------
# pre-check: which vehicle could serve each task alone, and why not


@dataclass
class _Unit:
    """A job or a shipment: what is planned or dropped as a whole."""

    kind: str  # "job" or "shipment"
    index: int
    tasks: tuple[tuple[str, Task], ...]
    skills: frozenset[int]
    priority: int
    load: tuple[float, ...]  # peak amount carried for it
    allowed: list[int] = field(default_factory=list)
    reason: str | None = None


_STAGES = [
    Reason.NO_VEHICLE_WITH_SKILLS,
    Reason.OVER_CAPACITY,
    Reason.MAX_TASKS,
    Reason.OUTSIDE_TIME_WINDOWS,
    Reason.MAX_TRAVEL_TIME,
    Reason.MAX_DISTANCE,
]


def _earliest_start(t: float, task: Task) -> float | None:
    if not task.time_windows:
        return t
    for w in task.time_windows:
        if t <= w.end:
            return max(t, w.start)
    return None


def _alone_stage(problem: Problem, v: Vehicle, unit: _Unit, dims: int) -> int:
    """How far the unit gets on vehicle ``v`` alone: len(_STAGES) means it fits."""
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
        start = _earliest_start(t, task)
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
    return len(_STAGES)


def _units(problem: Problem) -> list[_Unit]:
    dims = problem.dimensions
    units = []
    for i, j in enumerate(problem.jobs):
        peak = tuple(
            max(d, p) for d, p in zip(pad(j.delivery, dims), pad(j.pickup, dims), strict=True)
        )
        units.append(_Unit("job", i, (("job", j),), j.skills, j.priority, peak))
    for i, s in enumerate(problem.shipments):
        units.append(
            _Unit(
                "shipment",
                i,
                (("pickup", s.pickup), ("delivery", s.delivery)),
                s.skills,
                s.priority,
                pad(s.amount, dims),
            )
        )
    for u in units:
        best = -1
        for vi, v in enumerate(problem.vehicles):
            stage = _alone_stage(problem, v, u, dims)
            if stage >= 3:  # skills, capacity and max_tasks exclude a vehicle for good
                u.allowed.append(vi)
            best = max(best, stage)
        if best < len(_STAGES):
            u.reason = _STAGES[best]
            u.allowed = []
    return units


# ---------------------------------------------------------------------------------------------
# the OR-Tools model


@dataclass
class _Node:
    loc: int | None  # matrix index; None for the free start/end of an open route
    service: int = 0
    setup: int = 0
    windows: tuple[tuple[int, int], ...] = ()
    demand: tuple[int, ...] = ()
    unit: int | None = None
    kind: str = ""
    task: Task | None = None


def _ceil(x: float) -> int:
    return math.ceil(x - 1e-9)


def _floor(x: float) -> int:
    return math.floor(x + 1e-9)


class _Model:
    """Everything needed to build (and rebuild) the routing model for a problem."""

    def __init__(
        self, problem: Problem, units: list[_Unit], objective: Objective, seed: int
    ) -> None:
        self.problem = problem
        self.units = [u for u in units if u.reason is None]
        if seed:
            random.Random(seed).shuffle(self.units)
        self.objective = objective
        dims = problem.dimensions
        self.dims = dims
        amounts = [u.load for u in self.units] + [v.capacity for v in problem.vehicles]
        self.amount_scale = [
            1 if all(float(a[d]).is_integer() for a in amounts if len(a) > d) else 1000
            for d in range(dims)
        ]
        nodes: list[_Node] = []
        self.pairs: list[tuple[int, int]] = []
        self.singles: list[int] = []
        self.unit_nodes: list[list[int]] = []
        for ui, u in enumerate(self.units):
            idxs = []
            for kind, t in u.tasks:
                if u.kind == "job":
                    j = problem.jobs[u.index]
                    demand = tuple(
                        _ceil((p - d) * s) if p >= d else -_ceil((d - p) * s)
                        for p, d, s in zip(
                            pad(j.pickup, dims),
                            pad(j.delivery, dims),
                            self.amount_scale,
                            strict=True,
                        )
                    )
                else:
                    sign = 1 if kind == "pickup" else -1
                    demand = tuple(
                        sign * _ceil(a * s) for a, s in zip(u.load, self.amount_scale, strict=True)
                    )
                assert t.location.index is not None
                nodes.append(
                    _Node(
                        loc=t.location.index,
                        service=_ceil(t.service),
                        setup=_ceil(t.setup),
                        windows=tuple((_ceil(w.start), _floor(w.end)) for w in t.time_windows),
                        demand=demand,
                        unit=ui,
                        kind=kind,
                        task=t,
                    )
                )
                idxs.append(len(nodes) - 1)
            self.unit_nodes.append(idxs)
            if u.kind == "job":
                self.singles.append(idxs[0])
            else:
                self.pairs.append((idxs[0], idxs[1]))
        self.n_tasks = len(nodes)
        self.starts: list[int] = []
        self.ends: list[int] = []
        for v in problem.vehicles:
            nodes.append(_Node(loc=v.start.index if v.start is not None else None))
            self.starts.append(len(nodes) - 1)
            nodes.append(_Node(loc=v.end.index if v.end is not None else None))
            self.ends.append(len(nodes) - 1)
        self.nodes = nodes
        self._arc_costs: dict[tuple[Any, ...], FloatMatrix] = {}
        self._lists: dict[tuple[Any, ...], Any] = {}
        self._penalty_base: int | None = None
        # job deliveries are loaded at the start; see _add_capacities
        self.job_deliveries = any(
            d > 0 for u in self.units if u.kind == "job" for d in problem.jobs[u.index].delivery
        )
        self.job_pickups_or_shipments = any(
            u.kind == "shipment" or any(p > 0 for p in problem.jobs[u.index].pickup)
            for u in self.units
        )
        self._build_matrices()

    # -- matrices -----------------------------------------------------------------------------
    def _node_matrix(self, m: FloatMatrix) -> FloatMatrix:
        locs = np.array([n.loc if n.loc is not None else -1 for n in self.nodes])
        known = locs >= 0
        safe = np.where(known, locs, 0)
        out: FloatMatrix = np.asarray(m, dtype=np.float64)[np.ix_(safe, safe)]
        out[~known, :] = 0.0
        out[:, ~known] = 0.0
        return out

    def _build_matrices(self) -> None:
        p = self.problem
        self.travel: dict[tuple[str, float], FloatMatrix] = {}  # float seconds per class
        self.metres: dict[str, FloatMatrix | None] = {}
        for v in p.vehicles:
            m = p.matrices[v.profile]
            key = (v.profile, v.speed_factor)
            if key not in self.travel:
                assert m.durations is not None
                self.travel[key] = self._node_matrix(m.durations) / v.speed_factor
            if v.profile not in self.metres:
                self.metres[v.profile] = (
                    self._node_matrix(m.distances) if m.distances is not None else None
                )
        service = np.array([n.service + n.setup for n in self.nodes], dtype=np.float64)
        self.time_transit = {
            k: (np.ceil(t - 1e-9) + service[:, None]).astype(np.int64)
            for k, t in self.travel.items()
        }
        for t in self.time_transit.values():
            np.fill_diagonal(t, 0)
        ends = [
            max((w[1] for n in self.nodes for w in n.windows), default=0),
            max((_ceil(v.time_window.end) for v in p.vehicles if v.time_window), default=0),
        ]
        worst = max(int(t.max()) for t in self.time_transit.values())
        self.horizon = int(min(max(ends) + (len(self.nodes) + 2) * (worst + 1), TIME_SCALE_LIMIT))

    def arc_costs(self, v: Vehicle) -> FloatMatrix:
        key = (v.profile, v.speed_factor, v.costs.per_hour, v.costs.per_km)
        if key not in self._arc_costs:
            self._arc_costs[key] = self._arc_costs_uncached(v)
        return self._arc_costs[key]

    def as_lists(self, key: tuple[Any, ...], m: FloatMatrix | np.ndarray[Any, Any]) -> Any:
        """Rows as Python lists for RegisterTransitMatrix, built once per model (slow part)."""
        if key not in self._lists:
            self._lists[key] = np.asarray(m, dtype=np.int64).tolist()
        return self._lists[key]

    def _arc_costs_uncached(self, v: Vehicle) -> FloatMatrix:
        m = self.problem.matrices[v.profile]
        travel = self.travel[(v.profile, v.speed_factor)]
        metres = self.metres[v.profile]
        if self.objective == "duration":
            return travel
        if self.objective == "distance":
            if metres is None:
                return travel
            return metres
        if m.costs is not None:
            return self._node_matrix(m.costs)
        cost = travel * (v.costs.per_hour / 3600.0)
        if metres is not None and v.costs.per_km:
            cost = cost + metres * (v.costs.per_km / 1000.0)
        return cost

    def penalty_base(self) -> int:
        if self._penalty_base is not None:
            return self._penalty_base
        worst = 0.0
        for v in self.problem.vehicles:
            c = self.arc_costs(v)
            worst = max(worst, float(c.max(initial=0.0)))
        fixed = sum(v.costs.fixed for v in self.problem.vehicles)
        self._penalty_base = int(min(10 * (worst * (len(self.nodes) + 1) + fixed) + 1000, 2**52))
        return self._penalty_base

    # -- building the OR-Tools model ---------------------------------------------------------------
    def build(
        self, closed: frozenset[int] = frozenset(), mandatory: bool = False
    ) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel, dict[str, Any]]:
        p = self.problem
        nv = len(p.vehicles)
        manager = pywrapcp.RoutingIndexManager(len(self.nodes), nv, self.starts, self.ends)
        routing = pywrapcp.RoutingModel(manager)
        solver = routing.solver()
        info: dict[str, Any] = {}
        # cost evaluators (RegisterTransitMatrix is indexed by node numbers) per vehicle class
        cost_cb: dict[tuple[Any, ...], int] = {}
        for vi, v in enumerate(p.vehicles):
            key = (v.profile, v.speed_factor, v.costs.per_hour, v.costs.per_km)
            if key not in cost_cb:
                cost_cb[key] = routing.RegisterTransitMatrix(
                    self.as_lists(("cost", *key), np.rint(self.arc_costs(v)))
                )
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[key], vi)
            if v.costs.fixed:
                routing.SetFixedCostOfVehicle(_ceil(v.costs.fixed), vi)
        # time
        time_cb: dict[tuple[str, float], int] = {}
        for tkey, t in self.time_transit.items():
            time_cb[tkey] = routing.RegisterTransitMatrix(self.as_lists(("time", *tkey), t))
        routing.AddDimensionWithVehicleTransits(
            [time_cb[(v.profile, v.speed_factor)] for v in p.vehicles],
            self.horizon,
            self.horizon,
            False,
            "time",
        )
        time_dim = routing.GetDimensionOrDie("time")
        info["time"] = time_dim
        for n_i in range(self.n_tasks):
            node = self.nodes[n_i]
            if not node.windows:
                continue
            var = time_dim.CumulVar(manager.NodeToIndex(n_i))
            var.SetRange(node.windows[0][0], node.windows[-1][1])
            for (_, e1), (s2, _) in zip(node.windows, node.windows[1:], strict=False):
                if e1 + 1 <= s2 - 1:
                    var.RemoveInterval(e1 + 1, s2 - 1)
        for vi, v in enumerate(p.vehicles):
            if v.time_window is not None:
                lo, hi = _ceil(v.time_window.start), _floor(v.time_window.end)
                time_dim.CumulVar(routing.Start(vi)).SetRange(lo, hi)
                time_dim.CumulVar(routing.End(vi)).SetRange(lo, hi)
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(vi)))
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(vi)))
        self._add_breaks(routing, manager, time_dim, info)
        self._add_capacities(routing, manager)
        self._add_limits(routing)
        # pairs, skills, disjunctions
        base = self.penalty_base()
        for ui, u in enumerate(self.units):
            idxs = [manager.NodeToIndex(n) for n in self.unit_nodes[ui]]
            if len(u.allowed) < nv:
                # SetAllowedVehiclesForIndex does not take Python lists in 9.15
                forbidden = sorted(set(range(nv)) - set(u.allowed))
                for ix in idxs:
                    routing.VehicleVar(ix).RemoveValues(forbidden)
            penalty = base * (1 + u.priority)
            if len(idxs) == 2:
                pi, di = idxs
                routing.AddPickupAndDelivery(pi, di)
                solver.Add(routing.VehicleVar(pi) == routing.VehicleVar(di))
                solver.Add(time_dim.CumulVar(pi) <= time_dim.CumulVar(di))
                if not mandatory:
                    routing.AddDisjunction([pi, di], penalty, 2)
            elif not mandatory:
                routing.AddDisjunction(idxs, penalty)
        for vi in closed:
            routing.NextVar(routing.Start(vi)).SetValues([routing.End(vi)])
        info["penalty_base"] = base
        return manager, routing, info

    def _add_breaks(
        self,
        routing: pywrapcp.RoutingModel,
        manager: pywrapcp.RoutingIndexManager,
        time_dim: pywrapcp.RoutingDimension,
        info: dict[str, Any],
    ) -> None:
        solver = routing.solver()
        visit = [n.service + n.setup for n in self.nodes]
        # indexed by routing index: Size() covers tasks and starts, the ends follow
        total = routing.Size() + len(self.problem.vehicles)
        node_visit = [visit[manager.IndexToNode(i)] for i in range(total)]
        intervals: dict[int, list[tuple[Any, Any]]] = {}
        for vi, v in enumerate(self.problem.vehicles):
            if not v.breaks:
                continue
            ivs = []
            for b in v.breaks:
                lo = _ceil(b.time_windows[0].start)
                hi = _floor(b.time_windows[-1].end)
                iv = solver.FixedDurationIntervalVar(
                    lo, hi, _ceil(b.service), False, f"b{vi}_{b.id}"
                )
                for w1, w2 in zip(b.time_windows, b.time_windows[1:], strict=False):
                    if _floor(w1.end) + 1 <= _ceil(w2.start) - 1:
                        iv.StartExpr().Var().RemoveInterval(_floor(w1.end) + 1, _ceil(w2.start) - 1)
                # a used vehicle takes its breaks during its shift (VROOM's rule)
                active = routing.ActiveVehicleVar(vi)
                start_c = time_dim.CumulVar(routing.Start(vi))
                end_c = time_dim.CumulVar(routing.End(vi))
                solver.Add(iv.StartExpr() >= start_c - self.horizon * (1 - active))
                solver.Add(iv.EndExpr() <= end_c + self.horizon * (1 - active))
                ivs.append((b, iv))
            time_dim.SetBreakIntervalsOfVehicle([iv for _, iv in ivs], vi, node_visit)
            intervals[vi] = ivs
        info["breaks"] = intervals

    def _add_capacities(
        self, routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager
    ) -> None:
        p = self.problem
        for d in range(self.dims):
            caps = [
                min(_floor(c * self.amount_scale[d]), BIG_CAPACITY)
                if math.isfinite(c)
                else BIG_CAPACITY
                for c in (capacity_of(v, self.dims)[d] for v in p.vehicles)
            ]
            demand = [n.demand[d] if n.demand else 0 for n in self.nodes]
            if self.job_deliveries and not self.job_pickups_or_shipments:
                # only deliveries loaded at the start: the peak load is the route's total
                cb = routing.RegisterUnaryTransitVector([-x for x in demand])
                routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")
            elif not self.job_deliveries:
                cb = routing.RegisterUnaryTransitVector(demand)
                routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")
            else:
                # mixed: the start load is free, pinned to the route's job deliveries
                cb = routing.RegisterUnaryTransitVector(demand)
                routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, f"load{d}")
                dels = [
                    max(0, -x) if n.kind == "job" else 0
                    for x, n in zip(demand, self.nodes, strict=True)
                ]
                # pickups count positive in demand; a job's net may hide its delivery, use it
                for i, n in enumerate(self.nodes):
                    if n.kind == "job" and n.task is not None:
                        dels[i] = _ceil(pad(n.task.delivery, self.dims)[d] * self.amount_scale[d])
                cb2 = routing.RegisterUnaryTransitVector(dels)
                routing.AddDimension(cb2, 0, BIG_CAPACITY, True, f"deliveries{d}")
                load = routing.GetDimensionOrDie(f"load{d}")
                delivered = routing.GetDimensionOrDie(f"deliveries{d}")
                for vi in range(len(p.vehicles)):
                    routing.solver().Add(
                        load.CumulVar(routing.Start(vi)) == delivered.CumulVar(routing.End(vi))
                    )

    def _add_limits(self, routing: pywrapcp.RoutingModel) -> None:
        p = self.problem
        if any(v.max_tasks is not None for v in p.vehicles):
            cb = routing.RegisterUnaryTransitVector(
                [1 if i < self.n_tasks else 0 for i in range(len(self.nodes))]
            )
            routing.AddDimensionWithVehicleCapacity(
                cb,
                0,
                [v.max_tasks if v.max_tasks is not None else BIG_CAPACITY for v in p.vehicles],
                True,
                "tasks",
            )
        if any(v.max_travel_time is not None for v in p.vehicles):
            cbs = {
                k: routing.RegisterTransitMatrix(np.ceil(t - 1e-9).astype(np.int64).tolist())
                for k, t in self.travel.items()
            }
            routing.AddDimensionWithVehicleTransitAndCapacity(
                [cbs[(v.profile, v.speed_factor)] for v in p.vehicles],
                0,
                [
                    _floor(v.max_travel_time) if v.max_travel_time is not None else BIG_CAPACITY
                    for v in p.vehicles
                ],
                True,
                "travel_time",
            )
        if any(v.max_distance is not None for v in p.vehicles):
            dcb: dict[str, int] = {}
            for v in p.vehicles:
                metres = self.metres[v.profile]
                if v.profile not in dcb:
                    mat = metres if metres is not None else np.zeros((len(self.nodes),) * 2)
                    dcb[v.profile] = routing.RegisterTransitMatrix(
                        np.ceil(mat - 1e-9).astype(np.int64).tolist()
                    )
            routing.AddDimensionWithVehicleTransitAndCapacity(
                [dcb[v.profile] for v in p.vehicles],
                0,
                [
                    _floor(v.max_distance) if v.max_distance is not None else BIG_CAPACITY
                    for v in p.vehicles
                ],
                True,
                "distance",
            )


# ---------------------------------------------------------------------------------------------
# search


SISR_RUIN_SIZE = 25


def _params(
    seconds: float, ils: bool, solution_limit: int | None = None, neighbors_ratio: float = 1.0
) -> Any:
    params = pywrapcp.DefaultRoutingSearchParameters()
    if solution_limit is not None:
        params.solution_limit = solution_limit
    # Parallel cheapest insertion over all positions is fast on Li & Lim (no breaks, <= 400
    # nodes). With breaks it took 9.1 s for a 200-shipment evening; restricted to about 40
    # neighbours per node it took 0.23 s and left 32 instead of 97 shipments out after 30 s.
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    if neighbors_ratio < 1.0:
        gci = params.global_cheapest_insertion_first_solution_parameters
        gci.neighbors_ratio = neighbors_ratio
        gci.min_neighbors = 10
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if ils:
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        )
        ilsp = params.iterated_local_search_parameters
        ilsp.perturbation_strategy = 1  # RUIN_AND_RECREATE
        rr = ilsp.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        # measured on 12-instance Li & Lim samples, 10 s: ruins of 10 visits gave 91 vehicles
        # (100-task set) and 157 (200-task set), 25 gave 88 and 151, 40 gave 153 (200 set)
        sisr.max_removed_sequence_size = SISR_RUIN_SIZE
        sisr.avg_num_removed_visits = SISR_RUIN_SIZE
        sisr.bypass_factor = 0.01
        rr.recreate_strategy.heuristic = (
            routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        )
        ilsp.improve_perturbed_solution = True
        ilsp.reference_solution_acceptance_strategy.greedy_descent.SetInParent()
        ilsp.best_solution_acceptance_strategy.greedy_descent.SetInParent()
    else:
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
    return params


@dataclass
class _Plan:
    """A solved assignment reduced to plain data: the node sequence of each vehicle."""

    routes: list[list[int]]  # node numbers per vehicle (tasks only)
    objective: int
    dropped_weight: int  # sum of (1 + priority) over dropped units
    found_at: float
    info: dict[str, Any] = field(default_factory=dict)


class _Search:
    def __init__(
        self, model: _Model, deadline: float, t0: float, solution_limit: int | None = None
    ) -> None:
        self.model = model
        self.solution_limit = solution_limit
        self.deadline = deadline
        self.t0 = t0
        self.first_feasible: float | None = None
        self.history: list[tuple[float, float]] = []  # (seconds since t0, objective)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def run(
        self,
        seconds: float,
        *,
        closed: frozenset[int] = frozenset(),
        start: _Plan | None = None,
        ils: bool = True,
        stop_when_all_served: bool = False,
        mandatory: bool = False,
    ) -> tuple[_Plan | None, dict[str, Any]]:
        seconds = min(seconds, self.left())
        if seconds <= 0.05:
            return None, {}
        manager, routing, info = self.model.build(closed, mandatory)
        build_done = time.monotonic()
        seconds = min(seconds, self.deadline - build_done)
        if seconds <= 0.05:
            return None, info
        n = len(self.model.nodes)
        ratio = 1.0
        if n > 500 or any(v.breaks for v in self.model.problem.vehicles):
            ratio = min(1.0, max(40.0 / n, 0.005))
        params = _params(seconds, ils, self.solution_limit, ratio)
        base = info["penalty_base"]

        def on_solution() -> None:
            cost = routing.CostVar().Max()
            now = time.monotonic() - self.t0
            self.history.append((now, float(cost)))
            if self.first_feasible is None:
                self.first_feasible = now
            if stop_when_all_served and cost < base:
                routing.solver().FinishCurrentSearch()

        routing.AddAtSolutionCallback(on_solution)
        if start is not None:
            routing.CloseModelWithParameters(params)
            routes = [
                [manager.NodeToIndex(n) for n in r] if vi not in closed else []
                for vi, r in enumerate(start.routes)
            ]
            initial = routing.ReadAssignmentFromRoutes(routes, True)
            if initial is None:
                _debug(self, "initial routes rejected", None)
                return None, info
            # OR-Tools 9.15 has no ILS from a given assignment: continue with GLS
            params.local_search_metaheuristic = (
                routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
            )
            assignment = routing.SolveFromAssignmentWithParameters(initial, params)
            if assignment is None:
                # out of time before the first move: the starting plan is still a plan
                assignment = initial
        elif ils:
            assignment = routing.SolveWithIteratedLocalSearch(params)
        else:
            assignment = routing.SolveWithParameters(params)
        if assignment is None:
            return None, info
        info.update(assignment=assignment, manager=manager, routing=routing)
        plan = self._plan(manager, routing, assignment)
        plan.info = info
        return plan, info

    def _plan(
        self, manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel, a: Any
    ) -> _Plan:
        routes: list[list[int]] = []
        for vi in range(len(self.model.problem.vehicles)):
            idx = a.Value(routing.NextVar(routing.Start(vi)))
            r = []
            while not routing.IsEnd(idx):
                r.append(manager.IndexToNode(idx))
                idx = a.Value(routing.NextVar(idx))
            routes.append(r)
        served = {self.model.nodes[n].unit for r in routes for n in r}
        dropped = sum(1 + u.priority for ui, u in enumerate(self.model.units) if ui not in served)
        return _Plan(routes, int(a.ObjectiveValue()), dropped, time.monotonic() - self.t0)


# ---------------------------------------------------------------------------------------------
# from the assignment to a Solution


def _to_solution(
    model: _Model, plan: _Plan | None, units: list[_Unit], t0: float, loaded: float
) -> Solution:
    p = model.problem
    dims = p.dimensions
    routes: list[Route] = []
    served_units: set[int] = set()
    if plan is not None:
        a = plan.info["assignment"]
        routing = plan.info["routing"]
        time_dim = plan.info["time"]
        breaks = plan.info.get("breaks", {})
        for vi, seq in enumerate(plan.routes):
            if not seq:
                continue
            served_units.update(x for n in seq if (x := model.nodes[n].unit) is not None)
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
            routes.append(_route(model, vi, seq, cumuls, sorted(brk, key=lambda x: x[0])))
    unassigned: list[Unassigned] = []
    feasible_index = {id(u): i for i, u in enumerate(model.units)}
    for u in units:
        if u.reason is not None:
            reason = u.reason
        elif feasible_index[id(u)] in served_units:
            continue
        else:
            reason = Reason.FLEET_SATURATED if plan is not None else Reason.NO_SOLUTION_IN_TIME
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
    )
    return Solution(routes=tuple(routes), unassigned=tuple(unassigned), summary=summary)


def _route(
    model: _Model,
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


# ---------------------------------------------------------------------------------------------
# the public entry point


WARM_START_UNITS = 500


def _warm_start(
    model: _Model, options: SolveOptions, search: _Search, seconds: float
) -> _Plan | None:
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
    sub_model = _Model(sub, _units(sub), model.objective, 0)
    sub_search = _Search(sub_model, time.monotonic() + 0.4 * seconds, search.t0)
    sub_plan, _ = sub_search.run(0.4 * seconds, ils=True)
    search.first_feasible = sub_search.first_feasible
    _debug(search, "warm start subset", sub_plan)
    if sub_plan is None:
        return None
    node_of = {(n.kind, n.task.id): i for i, n in enumerate(model.nodes) if n.task is not None}
    routes = [
        [node_of[(sub_model.nodes[k].kind, t.id)] for k in r if (t := sub_model.nodes[k].task)]
        for r in sub_plan.routes
    ]
    plan, _ = search.run(
        seconds - (time.monotonic() - search.t0), start=_Plan(routes, 0, 0, 0), ils=False
    )
    return plan


def _solve_single(problem: Problem, options: SolveOptions, t0: float, loaded: float) -> Solution:
    deadline = t0 + options.time_limit
    units = _units(problem)
    model = _Model(problem, units, options.objective, options.seed)
    _LAST_STATS.clear()
    _LAST_STATS.update(first_feasible=None, history=[], penalty_base=1)
    if not model.units:
        return _to_solution(model, None, units, t0, loaded)
    search = _Search(model, deadline, t0, options.iteration_limit)
    # with an iteration limit, stages end by count, not by clock: runs repeat exactly
    reserve = 0.0 if options.iteration_limit else 0.2
    total = search.left()
    reduce_fleet = options.fleet_reduction and any(v.costs.fixed > 0 for v in problem.vehicles)
    first_stage = total * (0.5 if reduce_fleet else 1.0)
    if len(model.units) > WARM_START_UNITS:
        best = _warm_start(model, options, search, first_stage)
    else:
        best, _ = search.run(first_stage, ils=True)
    _debug(search, "ils", best)
    if best is None:
        return _to_solution(model, None, units, t0, loaded)
    if reduce_fleet:
        failed: set[int] = set()
        # emptying a route cannot help to serve more: only try when nothing is left out
        while best.dropped_weight == 0 and search.left() > max(reserve * total, 0.1):
            used = [vi for vi, r in enumerate(best.routes) if r and vi not in failed]
            if len([r for r in best.routes if r]) <= 1 or not used:
                break
            incumbent = best
            victim = min(used, key=lambda vi: (len(incumbent.routes[vi]), vi))
            closed = frozenset(vi for vi, r in enumerate(incumbent.routes) if not r) | {victim}
            start = _Plan(
                [[] if vi == victim else r for vi, r in enumerate(incumbent.routes)], 0, 0, 0
            )
            plan, _ = search.run(
                search.left() if options.iteration_limit else 0.5 * search.left(),
                closed=closed,
                start=start,
                ils=False,
                stop_when_all_served=True,
            )
            _debug(search, f"reduce {victim}", plan)
            if (
                plan is not None
                and plan.dropped_weight <= best.dropped_weight
                and plan.objective < best.objective
            ):
                best = plan
                failed.clear()
            else:
                failed.add(victim)
                if len(failed) >= 2:
                    break
        if search.left() > 0.1:
            closed = frozenset(vi for vi, r in enumerate(best.routes) if not r)
            plan, _ = search.run(search.left(), closed=closed, start=best, ils=False)
            _debug(search, "polish", plan)
            if plan is not None and (plan.dropped_weight, plan.objective) < (
                best.dropped_weight,
                best.objective,
            ):
                best = plan
    solution = _to_solution(model, best, units, t0, loaded)
    _LAST_STATS.clear()
    _LAST_STATS.update(
        first_feasible=search.first_feasible,
        history=list(search.history),
        penalty_base=model.penalty_base(),
    )
    return solution


_LAST_STATS: dict[str, Any] = {}


def _debug(search: _Search, stage: str, plan: _Plan | None) -> None:
    if os.environ.get("LOUISE_ROUTING_DEBUG"):
        used = sum(1 for r in plan.routes if r) if plan else None
        print(
            f"[{time.monotonic() - search.t0:6.2f}s] {stage}: vehicles={used} "
            f"objective={plan.objective if plan else None} "
            f"dropped={plan.dropped_weight if plan else None}",
            file=sys.stderr,
        )


def last_search_stats() -> dict[str, Any]:
    """Time to the first plan and the objective over time of the last single-thread solve."""
    return dict(_LAST_STATS)


def _worker(args: tuple[Problem, SolveOptions, float]) -> Solution:
    problem, options, deadline = args
    t0 = time.monotonic()
    # the deadline is wall-clock time shared with the parent: start-up time counts too
    budget = max(0.2, deadline - time.time())
    return _solve_single(problem, replace(options, time_limit=budget, threads=1), t0, 0.0)


def _rank(problem: Problem, solution: Solution) -> tuple[float, float]:
    prio = {("job", j.id): j.priority for j in problem.jobs}
    for s in problem.shipments:
        prio[("pickup", s.pickup.id)] = prio[("delivery", s.delivery.id)] = s.priority
    dropped = sum(1 + prio.get((u.type, u.id), 0) for u in solution.unassigned)
    return float(dropped), solution.summary.cost


def solve(
    problem: Problem,
    options: SolveOptions | None = None,
    *,
    matrix_provider: MatrixProvider | None = None,
    **kwargs: Any,
) -> Solution:
    """Plan routes for ``problem``; keyword arguments override ``options`` fields.

    ``solve(problem, time_limit=5, seed=1, threads=2, objective="distance")``. Locations
    given only as coordinates get matrices from ``matrix_provider`` (haversine by default).
    Never fails on a well-formed problem: what cannot be served is reported unassigned.
    """
    t0 = time.monotonic()
    if options is None:
        options = SolveOptions(**kwargs)
    elif kwargs:
        options = SolveOptions(**{**options.__dict__, **kwargs})
    problem = with_matrices(problem, matrix_provider)
    loaded = time.monotonic() - t0
    threads = min(options.threads, os.cpu_count() or 1)
    if threads <= 1:
        return _solve_single(problem, options, t0, loaded)
    import multiprocessing

    deadline = time.time() + options.time_limit - (time.monotonic() - t0) - 0.15
    # fork starts in milliseconds; spawn would re-import OR-Tools in every worker
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    jobs = [
        (problem, replace(options, seed=options.seed + k, threads=1), deadline)
        for k in range(threads)
    ]
    with ProcessPoolExecutor(max_workers=threads, mp_context=ctx) as pool:
        results = list(pool.map(_worker, jobs))
    best = min(results, key=lambda sol: _rank(problem, sol))
    times = dict(best.summary.computing_times)
    times["loading"] = round(loaded * 1000)
    times["solving"] = round((time.monotonic() - t0 - loaded) * 1000)
    return Solution(
        routes=best.routes,
        unassigned=best.unassigned,
        summary=Summary(**{**best.summary.__dict__, "computing_times": times}),
    )
