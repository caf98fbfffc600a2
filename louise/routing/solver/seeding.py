"""A second engine: PyVRP's plan for the relaxed problem as a starting plan for OR-Tools.

PyVRP (``louise.routing.engines.pyvrp_seed``) knows no breaks (it shortens the shift instead)
and keeps one window per pickup/delivery. Its routes are read into the construction's route
states on the full model: breaks are taken at a stop the way the construction takes them,
and a route that does not fit the full model loses units until it does (those go back to the
left-out units, which ``repair`` then tries everywhere). The result is a plan with its own
schedule, handed to OR-Tools like the construction's.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from louise.routing.problem import Problem
from louise.routing.solver.construction import Builder, Construction, RouteState
from louise.routing.solver.model import Model
from louise.routing.solver.options import Objective


def pyvrp_available() -> bool:
    return importlib.util.find_spec("pyvrp") is not None


def run_pyvrp(
    problem: Problem,
    seconds: float,
    seed: int,
    objective: Objective,
    max_iterations: int | None = None,
) -> tuple[tuple[tuple[tuple[str, int], ...], ...] | None, dict[str, Any]]:
    """PyVRP's routes (per vehicle, as (kind, id) keys) and what to report; None on failure."""
    try:
        from louise.routing.engines.pyvrp_seed import seed_routes

        res = seed_routes(
            problem,
            max(0.05, seconds),
            seed,
            objective=objective,
            max_iterations=max_iterations,
        )
    except Exception as exc:  # pragma: no cover - a broken engine must not break planning
        return None, {"error": f"{type(exc).__name__}: {exc}"}
    info = {
        "seconds": round(res.build_time + res.runtime, 3),
        "iterations": res.iterations,
        "served": res.served,
        "feasible": res.feasible,
        "relaxed": list(res.relaxed),
    }
    return res.routes, info


def seed_construction(
    model: Model,
    builder: Builder,
    routes: tuple[tuple[tuple[str, int], ...], ...],
    seconds: float,
) -> tuple[Construction, int]:
    """The seed's routes on the full model, and how many units had to come out of them."""
    key_to_node: dict[tuple[str, int], int] = {}
    for n, node in enumerate(model.nodes):
        if node.unit is not None and node.task is not None:
            key_to_node[(node.kind, node.task.id)] = n
    states = [RouteState(vi) for vi in range(len(model.problem.vehicles))]
    placed: set[int] = set()
    removed = 0
    for vi, keys in enumerate(routes[: len(states)]):
        r = states[vi]
        nodes = [key_to_node[k] for k in keys if k in key_to_node]
        # a unit counts only if all its nodes are on this route and the vehicle may serve it
        units: dict[int, list[int]] = {}
        for n in nodes:
            ui = model.nodes[n].unit
            assert ui is not None
            units.setdefault(ui, []).append(n)
        ok = {
            ui
            for ui, ns in units.items()
            if len(ns) == len(model.unit_nodes[ui]) and vi in model.units[ui].allowed
        }
        removed += len(units) - len(ok)
        r.tasks = [n for n in nodes if model.nodes[n].unit in ok]
        while r.tasks and not builder.refresh(r):
            # drop the unit whose removal makes the route fit, else the one visited last
            present = list(dict.fromkeys(model.nodes[n].unit for n in r.tasks))
            full = r.tasks
            victim = present[-1]
            for ui in reversed(present):
                r.tasks = [n for n in full if model.nodes[n].unit != ui]
                if builder.refresh(r):
                    victim = ui
                    break
            r.tasks = [n for n in full if model.nodes[n].unit != victim]
            removed += 1
        if not r.tasks:
            r.tasks = []
            builder.refresh(r)
        placed.update(model.nodes[n].unit for n in r.tasks)  # type: ignore[misc]
    objective = 0
    base = model.penalty_base()
    for r in states:
        if r.tasks:
            s = np.array(builder.seq(r), dtype=np.int64)
            objective += int(builder.cls[r.vi].cost[s[:-1], s[1:]].sum()) + builder.fixed[r.vi]
    for ui, u in enumerate(model.units):
        if ui not in placed:
            objective += base * (1 + u.priority)
    tried = set(range(len(model.units)))
    return Construction(states, placed, tried, True, objective, seconds), removed


def plan_objective(model: Model, builder: Builder, routes: list[list[int]]) -> int:
    """Travel and fixed costs of node routes plus the penalties of the units left out."""
    objective = 0
    served: set[int | None] = set()
    for vi, r in enumerate(routes):
        if r:
            s = np.array([model.starts[vi], *r, model.ends[vi]], dtype=np.int64)
            objective += int(builder.cls[vi].cost[s[:-1], s[1:]].sum()) + builder.fixed[vi]
            served.update(model.nodes[n].unit for n in r)
    base = model.penalty_base()
    for ui, u in enumerate(model.units):
        if ui not in served:
            objective += base * (1 + u.priority)
    return objective
