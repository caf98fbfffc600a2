"""The entry point: ``solve`` runs the stages on one deadline (and N processes if asked)."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

from louise.routing.matrix import MatrixProvider, with_matrices
from louise.routing.problem import Problem
from louise.routing.solution import Solution, Summary
from louise.routing.solver.construction import (
    ORDERS,
    Builder,
    Construction,
    RouteState,
    as_plan,
    construct,
)
from louise.routing.solver.extract import to_solution
from louise.routing.solver.lns import Lns, lns_stats
from louise.routing.solver.model import Model
from louise.routing.solver.options import Engine, SolveOptions
from louise.routing.solver.precheck import Unit, build_units
from louise.routing.solver.repair import repair
from louise.routing.solver.search import Plan, Search, debug
from louise.routing.solver.seeding import (
    plan_objective,
    pyvrp_available,
    run_pyvrp,
    seed_construction,
)

SMALL_UNITS = 150
PYVRP_ITERATIONS = 100  # PyVRP iterations per unit of SolveOptions.iteration_limit


def _solve_single(problem: Problem, options: SolveOptions, t0: float, loaded: float) -> Solution:
    deadline = t0 + options.time_limit
    units = build_units(problem)
    model = Model(problem, units, options.objective, options.seed, options.break_reading)
    if not model.units:
        return to_solution(model, None, units, t0, loaded)
    engine = _engine(problem, options, 1)
    seeded: tuple[tuple[tuple[str, int], ...], ...] | None = None
    extra: dict[str, Any] = {"engine": "ortools", "start_plan": "construction"}
    if engine == "pyvrp+ortools":
        share = options.pyvrp_share
        if share is None:
            share = 0.4 if any(v.breaks for v in problem.vehicles) else 0.8
        budget = share * options.time_limit - (time.monotonic() - t0)
        # with an iteration limit PyVRP stops by count as well (PYVRP_ITERATIONS per unit)
        count = options.iteration_limit and options.iteration_limit * PYVRP_ITERATIONS
        seeded, extra["pyvrp"] = run_pyvrp(
            problem, budget, options.seed, options.objective, count or None
        )
    # the search leaves a little time to insert left-out tasks into the final plan (repair)
    tail = min(0.3, 0.03 * options.time_limit)
    search = Search(model, deadline - tail, t0, options.iteration_limit)
    builder = Builder(model)
    # The first plan tries every task once whatever the clock says: cut short by the
    # deadline it left out every task it had not reached, and on a busy machine a short
    # limit (a solver process forked late gets 0.2 s) gave a plan that served nothing. One
    # cheapest-insertion pass takes milliseconds on a day of the service (docs/routing.md).
    cons = construct(model, None, builder=builder)
    # a second insertion order while it is cheap (up to 5 % of the limit): keep the better
    for order in ORDERS[1:]:
        # with an iteration limit always (runs repeat exactly), else while it is cheap
        cheap = time.monotonic() + cons.seconds < t0 + 0.05 * options.time_limit
        if cons.complete and (cheap or options.iteration_limit):
            other = construct(model, deadline, order, builder)
            if other.complete and (len(other.placed), -other.objective) > (
                len(cons.placed),
                -cons.objective,
            ):
                cons = other
    first = as_plan(model, cons, time.monotonic() - t0)
    search.found(first)
    debug(search, f"construction ({cons.seconds:.2f}s)", first)
    if seeded is not None:
        # PyVRP's plan on the full model: breaks at stops, what does not fit out, then the
        # left-out units inserted where they fit (the final repair's insertion)
        sc, removed = seed_construction(model, builder, seeded, time.monotonic() - t0)
        splan, placed = _repaired(model, as_plan(model, sc, time.monotonic() - t0), deadline)
        splan.objective = plan_objective(model, builder, splan.routes)
        extra["pyvrp"].update(removed=removed, reinserted=placed, dropped=splan.dropped_weight)
        debug(search, f"pyvrp seed (removed {removed}, reinserted {placed})", splan)
        if _key(splan) < _key(first):
            first = splan
            search.found(first)
            extra.update(engine="pyvrp+ortools", start_plan="pyvrp")
    if options.start == "construction_only" or search.left() <= 0.1:
        return _finish(model, first, units, t0, loaded, search, deadline, extra)
    # with an iteration limit, stages end by count, not by clock: runs repeat exactly
    reserve = 0.0 if options.iteration_limit else 0.2
    total = search.left()
    reduce_fleet = options.fleet_reduction and any(v.costs.fixed > 0 for v in problem.vehicles)
    first_stage = total * (0.5 if reduce_fleet else 1.0)
    mode = options.start
    if (
        mode == "auto"
        and any(v.breaks for v in problem.vehicles)
        and options.break_reading == "at_stop"
    ):
        # our ruin and recreate keeps breaks at stops; a pause on the road is OR-Tools' reading
        mode = "lns"
    if mode == "lns":
        improved = _lns(model, builder, first, search, options)
        extra.update(improve="lns", lns=improved.info.get("lns"))
        return _finish(model, improved, units, t0, loaded, search, deadline, extra)
    if mode == "auto":
        # OR-Tools' own first plan and iterated local search where they find a plan fast:
        # without breaks up to 500 units (Li & Lim, as before), and small evenings (four
        # 90-task evenings, 10 s: 3/1/2/4 left out, from the construction 2/3/2/3 — a draw);
        # on a 300-task evening with breaks the construction left 27 out where ILS left 40
        # (or, without fixed costs, found no plan in 10 s)
        small = len(model.units) <= SMALL_UNITS
        easy = not any(v.breaks for v in problem.vehicles) and len(model.units) <= 500
        mode = "ortools" if small or easy else "construction"
        if extra["start_plan"] == "pyvrp":
            mode = "construction"  # guided local search from PyVRP's plan
    best: Plan | None = None
    if mode == "ortools":
        best, _ = search.run(first_stage, ils=True)
        debug(search, "ils", best)
        if best is not None and not _key(first) < _key(best):
            extra["start_plan"] = "ortools"
    if best is None or _key(first) < _key(best):
        seconds = first_stage if best is None and mode == "construction" else search.left()
        stop = time.monotonic() + seconds
        plan, _ = search.run(seconds / 2, start=first, ils=False)
        debug(search, "gls from construction", plan)
        best = min((p for p in (best, plan, first) if p is not None), key=_key)
        # what guided local search moved may make room: insert, then search on from there
        fixed, placed = _repaired(model, best, stop)
        if placed and stop - time.monotonic() > 0.5:
            debug(search, f"repair placed {placed}", fixed)
            plan, _ = search.run(stop - time.monotonic(), start=fixed, ils=False)
            debug(search, "gls after repair", plan)
            best = min((p for p in (fixed, plan) if p is not None), key=_key)
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
            start = Plan(
                [[] if vi == victim else r for vi, r in enumerate(incumbent.routes)], 0, 0, 0
            )
            plan, _ = search.run(
                search.left() if options.iteration_limit else 0.5 * search.left(),
                closed=closed,
                start=start,
                ils=False,
                stop_when_all_served=True,
            )
            debug(search, f"reduce {victim}", plan)
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
            debug(search, "polish", plan)
            if plan is not None and (plan.dropped_weight, plan.objective) < (
                best.dropped_weight,
                best.objective,
            ):
                best = plan
    if _key(first) < _key(best):
        best = first
    return _finish(model, best, units, t0, loaded, search, deadline, extra)


def _lns(
    model: Model,
    builder: Builder,
    first: Plan,
    search: Search,
    options: SolveOptions,
) -> Plan:
    """Ruin and recreate (``lns``) from the first plan, up to the search's deadline."""
    start = [RouteState(vi, list(r)) for vi, r in enumerate(first.routes)]
    for r in start:
        if not builder.refresh(r):
            # a route the stop-based reading cannot time (should not happen): start it empty
            r.tasks = []
            builder.refresh(r)
    lns = Lns(builder, options.seed)
    base = model.penalty_base()

    def record(left_out: int, cost: int) -> None:  # the objective over time, as OR-Tools'
        search.history.append((time.monotonic() - search.t0, float(left_out * base + cost)))

    res = lns.run(start, search.deadline, options.iteration_limit, on_best=record)
    served = {model.nodes[n].unit for r in res.routes for n in r.tasks}
    placed = {ui for ui in served if ui is not None}
    cons = Construction(
        res.routes,
        placed,
        set(range(len(model.units))),
        True,
        plan_objective(model, builder, [r.tasks for r in res.routes]),
    )
    plan = as_plan(model, cons, time.monotonic() - search.t0)
    plan.info["lns"] = lns_stats(res)
    search.found(plan)
    debug(search, f"lns ({res.iterations} iterations)", plan)
    if _key(first) < _key(plan):  # cannot happen: the search keeps its best, the start too
        first.info["lns"] = plan.info["lns"]
        return first
    return plan


def _repaired(model: Model, plan: Plan, deadline: float) -> tuple[Plan, int]:
    """The plan with left-out units inserted where they fit after all, and how many were."""
    served = {model.nodes[n].unit for r in plan.routes for n in r}
    out = [ui for ui in range(len(model.units)) if ui not in served]
    if not out:
        return plan, 0
    fix = repair(model, plan.routes, out, deadline)
    routes = [list(r) for r in plan.routes]
    timing = dict(plan.info.get("timing", {}))
    for vi, r in fix.changed.items():
        routes[vi] = list(r.tasks)
        timing[vi] = ([float(c) for c in r.cumul], [(float(bs), b) for bs, b in r.breaks])
    info = {**plan.info, "timing": timing, "reasons": fix.reasons}
    # the inserted units no longer pay their penalty; their travel is not counted here
    gained = sum(1 + model.units[ui].priority for ui in fix.placed)
    objective = plan.objective - gained * model.penalty_base()
    repaired = Plan(routes, objective, plan.dropped_weight - gained, plan.found_at, info)
    return repaired, len(fix.placed)


def _finish(
    model: Model,
    plan: Plan,
    units: list[Unit],
    t0: float,
    loaded: float,
    search: Search,
    deadline: float,
    extra: dict[str, Any] | None = None,
) -> Solution:
    """Insert what was left out where it fits after all, give the rest a true reason."""
    plan, placed = _repaired(model, plan, deadline)
    if placed:
        debug(search, f"repair placed {placed}", plan)
    return to_solution(model, plan, units, t0, loaded, {**search.stats(), **(extra or {})})


def _engine(problem: Problem, options: SolveOptions, threads: int) -> str:
    """The engine one process runs: "ortools" or "pyvrp+ortools"."""
    if options.engine == "ortools" or options.start == "construction_only":
        return "ortools"
    if not pyvrp_available():
        return "ortools"
    if options.engine == "pyvrp+ortools":
        return "pyvrp+ortools"
    # auto, one process: PyVRP first where it measured better (docs/routing.md, Engines):
    # without breaks (Li & Lim). With breaks our ruin and recreate from the construction
    # did better on its own (mixed evenings, 10 s: 600 tasks 83 left out against 92 from
    # PyVRP's seed; 1000 tasks, 30 s: 122 against 129)
    breaks = any(v.breaks for v in problem.vehicles)
    return "ortools" if breaks else "pyvrp+ortools"


def _key(plan: Plan) -> tuple[int, int]:
    return plan.dropped_weight, plan.objective


def _worker(args: tuple[Problem, SolveOptions, float]) -> Solution:
    problem, options, deadline = args
    t0 = time.monotonic()
    # the deadline is wall-clock time shared with the parent: start-up time counts too
    budget = max(0.2, deadline - time.time())
    return _solve_single(problem, replace(options, time_limit=budget, threads=1), t0, 0.0)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """A pool process ends with the process that started it. Without this, a planning
    worker killed mid-search (SIGKILL, OOM) left its solver processes running, orphaned
    (Linux only: elsewhere the process pool's own shutdown is all there is)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


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
    # engine "auto": the engines side by side — one process OR-Tools alone (from the
    # construction or its own first plan), one PyVRP then OR-Tools from the better plan
    engines: list[Engine] = [options.engine] * threads
    if options.engine == "auto" and pyvrp_available() and options.start != "construction_only":
        engines = ["ortools", "pyvrp+ortools"]
        engines += ["ortools"] * (threads - 2)
    jobs = [
        (problem, replace(options, seed=options.seed + k, threads=1, engine=e), deadline)
        for k, e in enumerate(engines)
    ]
    with ProcessPoolExecutor(
        max_workers=threads,
        mp_context=ctx,
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        results = list(pool.map(_worker, jobs))
    ranks = [_rank(problem, sol) for sol in results]
    win = min(range(len(results)), key=lambda k: ranks[k])
    best = results[win]
    workers = [
        {"engine": sol.stats.get("engine"), "dropped": r[0], "cost": r[1]}
        for sol, r in zip(results, ranks, strict=True)
    ]
    times = dict(best.summary.computing_times)
    times["loading"] = round(loaded * 1000)
    times["solving"] = round((time.monotonic() - t0 - loaded) * 1000)
    return Solution(
        routes=best.routes,
        unassigned=best.unassigned,
        summary=Summary(**{**best.summary.__dict__, "computing_times": times}),
        stats={**best.stats, "workers": workers, "winner": win},
    )
