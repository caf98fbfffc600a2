"""The OR-Tools model: nodes, matrices per vehicle class, dimensions and disjunctions."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp

from louise.routing.problem import FloatMatrix, Problem, Task, Vehicle, capacity_of, pad
from louise.routing.solver.options import BreakReading, Objective
from louise.routing.solver.precheck import Unit

BIG_CAPACITY = 2**40
TIME_SCALE_LIMIT = 2**50


@dataclass
class Node:
    loc: int | None  # matrix index; None for the free start/end of an open route
    service: int = 0
    setup: int = 0
    windows: tuple[tuple[int, int], ...] = ()
    demand: tuple[int, ...] = ()
    unit: int | None = None
    kind: str = ""
    task: Task | None = None


def iceil(x: float) -> int:
    return math.ceil(x - 1e-9)


def ifloor(x: float) -> int:
    return math.floor(x + 1e-9)


class Model:
    """Everything needed to build (and rebuild) the routing model for a problem."""

    def __init__(
        self,
        problem: Problem,
        units: list[Unit],
        objective: Objective,
        seed: int,
        break_reading: BreakReading = "at_stop",
    ) -> None:
        self.problem = problem
        self.break_reading = break_reading
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
        nodes: list[Node] = []
        self.pairs: list[tuple[int, int]] = []
        self.singles: list[int] = []
        self.unit_nodes: list[list[int]] = []
        for ui, u in enumerate(self.units):
            idxs = []
            for kind, t in u.tasks:
                if u.kind == "job":
                    j = problem.jobs[u.index]
                    demand = tuple(
                        iceil((p - d) * s) if p >= d else -iceil((d - p) * s)
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
                        sign * iceil(a * s) for a, s in zip(u.load, self.amount_scale, strict=True)
                    )
                assert t.location.index is not None
                nodes.append(
                    Node(
                        loc=t.location.index,
                        service=iceil(t.service),
                        setup=iceil(t.setup),
                        windows=tuple((iceil(w.start), ifloor(w.end)) for w in t.time_windows),
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
            nodes.append(Node(loc=v.start.index if v.start is not None else None))
            self.starts.append(len(nodes) - 1)
            nodes.append(Node(loc=v.end.index if v.end is not None else None))
            self.ends.append(len(nodes) - 1)
        self.nodes = nodes
        self._arc_costs: dict[tuple[Any, ...], FloatMatrix] = {}
        self._lists: dict[tuple[Any, ...], Any] = {}
        self._penalty_base: int | None = None
        # the construction's Builder (stateless, 0.4 s to build at 1,000 tasks): built once,
        # shared by the construction, the repair and the at-stop re-timing
        self.builder: Any = None
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
            max((iceil(v.time_window.end) for v in p.vehicles if v.time_window), default=0),
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
                routing.SetFixedCostOfVehicle(iceil(v.costs.fixed), vi)
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
                lo, hi = iceil(v.time_window.start), ifloor(v.time_window.end)
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
        # OR-Tools' own reading: a break may interrupt a ride, it only may not overlap a visit.
        # Its Python API (9.15) has only this form, not the one with a post-travel evaluator
        # that would keep a whole ride after the break; the at-stop reading is restored when
        # the plan is extracted (construction.at_stop). Indexed by routing index: Size()
        # covers tasks and starts, the ends follow
        total = routing.Size() + len(self.problem.vehicles)
        node_visit = [visit[manager.IndexToNode(i)] for i in range(total)]
        intervals: dict[int, list[tuple[Any, Any]]] = {}
        for vi, v in enumerate(self.problem.vehicles):
            if not v.breaks:
                continue
            ivs = []
            for b in v.breaks:
                lo = iceil(b.time_windows[0].start)
                hi = ifloor(b.time_windows[-1].end)
                iv = solver.FixedDurationIntervalVar(
                    lo, hi, iceil(b.service), False, f"b{vi}_{b.id}"
                )
                for w1, w2 in zip(b.time_windows, b.time_windows[1:], strict=False):
                    if ifloor(w1.end) + 1 <= iceil(w2.start) - 1:
                        iv.StartExpr().Var().RemoveInterval(ifloor(w1.end) + 1, iceil(w2.start) - 1)
                # a used vehicle takes its breaks during its shift (as VROOM does)
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
                min(ifloor(c * self.amount_scale[d]), BIG_CAPACITY)
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
                        dels[i] = iceil(pad(n.task.delivery, self.dims)[d] * self.amount_scale[d])
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
                    ifloor(v.max_travel_time) if v.max_travel_time is not None else BIG_CAPACITY
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
                    ifloor(v.max_distance) if v.max_distance is not None else BIG_CAPACITY
                    for v in p.vehicles
                ],
                True,
                "distance",
            )
