"""Search: OR-Tools runs (iterated local search, guided local search from a plan)."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from louise.routing.solver.model import Model

SISR_RUIN_SIZE = 25


def search_params(
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
class Plan:
    """A solved assignment reduced to plain data: the node sequence of each vehicle."""

    routes: list[list[int]]  # node numbers per vehicle (tasks only)
    objective: int
    dropped_weight: int  # sum of (1 + priority) over dropped units
    found_at: float
    info: dict[str, Any] = field(default_factory=dict)


class Search:
    def __init__(
        self, model: Model, deadline: float, t0: float, solution_limit: int | None = None
    ) -> None:
        self.model = model
        self.solution_limit = solution_limit
        self.deadline = deadline
        self.t0 = t0
        self.first_feasible: float | None = None
        self.history: list[tuple[float, float]] = []  # (seconds since t0, objective)

    def stats(self) -> dict[str, Any]:
        """Time to the first plan and the objective over time (seconds since the start)."""
        return {
            "first_feasible": self.first_feasible,
            "history": list(self.history),
            "penalty_base": self.model.penalty_base(),
        }

    def found(self, plan: Plan) -> None:
        """Record a plan found outside OR-Tools (the construction)."""
        if self.first_feasible is None:
            self.first_feasible = plan.found_at
        self.history.append((plan.found_at, float(plan.objective)))

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def run(
        self,
        seconds: float,
        *,
        closed: frozenset[int] = frozenset(),
        start: Plan | None = None,
        ils: bool = True,
        stop_when_all_served: bool = False,
        mandatory: bool = False,
    ) -> tuple[Plan | None, dict[str, Any]]:
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
        params = search_params(seconds, ils, self.solution_limit, ratio)
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
            if "timing" in start.info:
                # the routes alone, not restored here: ReadAssignmentFromRoutes spent 8 s and
                # gave up on a 1,000-task evening with breaks; the restore below gets the
                # break times as well
                initial = routing.solver().Assignment()
                if not routing.RoutesToAssignment(routes, True, True, initial):
                    debug(self, "initial routes rejected", None)
                    return None, info
            else:
                initial = routing.ReadAssignmentFromRoutes(routes, True)
            if initial is None:
                debug(self, "initial routes rejected", None)
                return None, info
            # a plan with its own schedule (the construction) says when the breaks are: the
            # restore step of OR-Tools does not search for break times on long routes
            for vi, (_, brks) in start.info.get("timing", {}).items():
                ivs = {b.id: iv for b, iv in info.get("breaks", {}).get(vi, [])}
                for b_start, b in brks:
                    iv = ivs.get(b.id)
                    if iv is not None and vi not in closed:
                        initial.Add(iv)
                        initial.SetStartValue(iv, int(b_start))
                        initial.SetDurationValue(iv, iv.DurationMin())
                        initial.SetEndValue(iv, int(b_start) + iv.DurationMin())
                        initial.SetPerformedValue(iv, 1)
            # OR-Tools 9.15 has no ILS from a given assignment: continue with GLS
            params.local_search_metaheuristic = (
                routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
            )
            # completing the given routes (times, breaks) runs under the LNS time limit; at
            # the default 100 ms it failed on 200-shipment evenings with breaks (15 vehicles)
            # (300 ms was not enough either; 1 s was)
            # and grows with the problem: restoring a 1,000-task evening (1,700 nodes, 50
            # vehicles with breaks) took 12 s
            lns = min(max(1.0, n / 100), max(0.1, seconds / 2))
            params.lns_time_limit.FromMilliseconds(int(1000 * lns))
            # a sub-search may run past the overall limit by a part of it: stop that much earlier
            guard = 0.4 * min(lns, 1.0)
            params.time_limit.FromMilliseconds(max(1, int(1000 * (seconds - guard))))
            assignment = routing.SolveFromAssignmentWithParameters(initial, params)
            debug(self, f"from assignment: status {routing.status()}", None)
            if assignment is None:
                if "timing" in start.info:
                    return None, info  # the caller keeps the plan with its own schedule
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
    ) -> Plan:
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
        return Plan(routes, int(a.ObjectiveValue()), dropped, time.monotonic() - self.t0)


def debug(search: Search, stage: str, plan: Plan | None) -> None:
    if os.environ.get("LOUISE_ROUTING_DEBUG"):
        used = sum(1 for r in plan.routes if r) if plan else None
        print(
            f"[{time.monotonic() - search.t0:6.2f}s] {stage}: vehicles={used} "
            f"objective={plan.objective if plan else None} "
            f"dropped={plan.dropped_weight if plan else None}",
            file=sys.stderr,
        )
