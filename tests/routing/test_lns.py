"""Ruin and recreate (solver/lns.py): serves more than the construction, stays valid, repeats."""

from __future__ import annotations

from dataclasses import replace

from louise.routing import Problem, Solution, solve, validate
from louise.routing.matrix import with_matrices
from louise.routing.solver.construction import Builder, construct
from louise.routing.solver.lns import Lns
from louise.routing.solver.model import Model
from louise.routing.solver.precheck import build_units

from .evenings import evening


def served(s: Solution) -> set[tuple[str, int]]:
    return {(st.type, st.id) for r in s.routes for st in r.tasks if st.type in ("job", "pickup")}


def routes(s: Solution) -> list[tuple[int, list[tuple[str, int | None]]]]:
    return [(r.vehicle, [(st.type, st.id) for st in r.tasks]) for r in s.routes]


def test_ruin_and_recreate_serves_more_than_the_construction_and_passes_the_validator() -> None:
    p = evening(50, 25, 3, 1, seed=5)
    first = solve(p, start="construction_only")
    s = solve(p, start="lns", iteration_limit=300, time_limit=60)
    assert validate(p, s).ok, str(validate(p, s))
    assert s.stats["improve"] == "lns"
    assert len(served(s)) > len(served(first))
    assert s.summary.break_reading == "at_stop"


def test_auto_uses_it_on_evenings_with_breaks_but_not_for_pauses_on_the_road() -> None:
    p = evening(10, 5, 2, 1, seed=6)
    assert solve(p, time_limit=1).stats.get("improve") == "lns"
    assert solve(p, time_limit=1, break_reading="on_road").stats.get("improve") is None
    no_breaks = Problem(
        vehicles=[replace(v, breaks=()) for v in p.vehicles],
        jobs=p.jobs,
        shipments=p.shipments,
        matrices=p.matrices,
    )
    assert solve(no_breaks, time_limit=1, engine="ortools").stats.get("improve") is None


def test_an_iteration_limit_makes_runs_repeat_exactly() -> None:
    p = evening(30, 15, 2, 1, seed=7)
    a = solve(p, start="lns", iteration_limit=80, time_limit=60, seed=3)
    b = solve(p, start="lns", iteration_limit=80, time_limit=60, seed=3)
    assert routes(a) == routes(b)
    assert a.stats["lns"]["iterations"] == 80


def test_the_search_never_loses_a_served_task_and_keeps_capacities_and_skills() -> None:
    p = with_matrices(evening(30, 30, 2, 1, seed=8, outer_share=0.2))
    units = build_units(p)
    model = Model(p, units, "cost", 0, "at_stop")
    builder = Builder(model)
    start = construct(model, builder=builder)
    result = Lns(builder, 0).run(start.routes, deadline=float("inf"), iteration_limit=150)
    assert len(result.placed) >= len(start.placed)
    for r in result.routes:
        assert builder.refresh(r)  # the exact feasibility check of the construction
        for n in r.tasks:
            unit = model.nodes[n].unit
            assert unit is not None and r.vi in model.units[unit].allowed


def test_it_stops_early_once_everything_is_served_and_nothing_improves() -> None:
    p = evening(6, 3, 2, 1, seed=9)
    s = solve(p, time_limit=120)
    assert not s.unassigned
    assert s.stats["lns"]["stopped"] == "stall"
    assert validate(p, s).ok
