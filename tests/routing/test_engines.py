"""PyVRP as louise's second engine: its plan, repaired on the full model, validated."""

from __future__ import annotations

import pytest

from louise.routing import Problem, Solution, SolveOptions, solve, validate

from .evenings import evening
from .test_pyvrp_seed import lilim_like


def assert_valid(p: Problem, s: Solution) -> None:
    report = validate(p, s)
    assert report.ok, str(report)


def test_engine_option_is_checked() -> None:
    with pytest.raises(ValueError):
        SolveOptions(engine="vroom")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SolveOptions(pyvrp_share=1.0)


def test_a_lilim_like_instance_from_the_pyvrp_seed_gets_a_valid_plan() -> None:
    p = lilim_like()
    s = solve(p, time_limit=2, engine="pyvrp+ortools")
    assert_valid(p, s)
    assert s.unassigned == ()
    # capacity 10, amounts 6: one shipment on board at a time, all four fit one vehicle
    assert s.vehicles_used == 1
    assert s.stats["pyvrp"]["served"] == 8
    assert s.stats["engine"] in ("pyvrp+ortools", "ortools")


def test_an_evening_with_breaks_and_skills_from_the_pyvrp_seed_gets_a_valid_plan() -> None:
    p = evening(40, 20, 4, 1, seed=3)
    assert any(v.breaks for v in p.vehicles) and any(s.skills for s in p.shipments)
    s = solve(p, time_limit=3, engine="pyvrp+ortools")
    assert_valid(p, s)
    assert "breaks" in s.stats["pyvrp"]["relaxed"]
    assert s.routes
    # every route of a vehicle with a break has its break in the plan
    for r in s.routes:
        assert any(st.type == "break" for st in r.steps)
    assert not any(u.reason == "no_solution_in_time" for u in s.unassigned)


def test_two_threads_run_both_engines_and_say_which_plan_won() -> None:
    p = evening(40, 20, 4, 1, seed=4)
    s = solve(p, time_limit=3, threads=2)
    assert_valid(p, s)
    assert s.routes
    workers = s.stats.get("workers")
    if workers is None:  # one core: one process
        pytest.skip("one CPU")
    assert sorted(w["engine"] is not None for w in workers) == [True, True]
    assert s.stats["engine"] in ("ortools", "pyvrp+ortools")
    assert s.stats["start_plan"] in ("construction", "ortools", "pyvrp")
    assert s.stats["engine"] == workers[s.stats["winner"]]["engine"]


def test_without_the_seed_engine_ortools_runs_alone() -> None:
    p = lilim_like()
    s = solve(p, time_limit=1, engine="ortools")
    assert_valid(p, s)
    assert s.stats["engine"] == "ortools"
    assert "pyvrp" not in s.stats
