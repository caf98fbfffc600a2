"""Breaks read the same way everywhere: at the stop before them by default.

On a line (60 s per km) a courier with a 300 s break inside 600–700 serves job 1
(1 km out), then job 2 (11 km out, 600 s further). Pausing on the road after 600 s would reach
job 2 at 960 (VROOM's own reading, VROOM issue #568); at a stop the break is taken at job 1
and job 2 is reached at 1500.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from louise.routing import (
    Break,
    Costs,
    Problem,
    Route,
    Solution,
    SolveOptions,
    Step,
    TimeWindow,
    solve,
    validate,
)
from louise.routing.cli import main

from .conftest import ITERATIONS, at, job, problem, vehicle

BREAK = Break(id=9, time_windows=(TimeWindow(600, 700),), service=300)


def line(window: tuple[float, float], second_vehicle: bool = False) -> Problem:
    vehicles = [vehicle(1, time_window=TimeWindow(0, 10_000), breaks=(BREAK,))]
    if second_vehicle:
        vehicles.append(vehicle(2, time_window=TimeWindow(0, 10_000), costs=Costs(fixed=100_000)))
    return problem(vehicles, jobs=[job(1, 1), job(2, 11, windows=[window])])


def on_road_plan(reading: str = "at_stop") -> Solution:
    """Job 1 at 60, a pause on the road at 600–900, job 2 at 960 (11 km, 600 s after job 1)."""
    steps = (
        Step(type="start", location=at(0), arrival=0),
        Step(type="job", id=1, location=at(1), arrival=60),
        Step(type="break", id=9, arrival=600, service=300),
        Step(type="job", id=2, location=at(11), arrival=960),
        Step(type="end", location=at(0), arrival=1620),
    )
    s = Solution(routes=(Route(vehicle=1, steps=steps),))
    return replace(s, summary=replace(s.summary, break_reading=reading))


def served_by(s: Solution) -> dict[int, int]:
    return {st.id: r.vehicle for r in s.routes for st in r.tasks if st.id is not None}


def test_the_default_reading_is_vroom_s() -> None:
    assert SolveOptions().break_reading == "at_stop"
    assert Solution(routes=()).summary.break_reading == "at_stop"
    with pytest.raises(ValueError):
        SolveOptions(break_reading="anywhere")  # type: ignore[arg-type]


def test_validator_at_stop_rejects_a_pause_on_the_road_and_on_road_accepts_it() -> None:
    p = line((900, 1600))
    report = validate(p, on_road_plan())
    assert "travel_time" in report.kinds(), str(report)
    assert validate(p, on_road_plan("on_road")).ok
    assert validate(p, on_road_plan(), reading="on_road").ok
    assert not validate(p, on_road_plan("on_road"), reading="at_stop").ok


def test_at_stop_plan_follows_vroom_s_reading() -> None:
    p = line((900, 1600))
    s = solve(p, time_limit=10, iteration_limit=ITERATIONS)
    assert s.summary.break_reading == "at_stop"
    assert validate(p, s).ok, str(validate(p, s))
    assert validate(p, s, reading="at_stop").ok
    assert served_by(s) == {1: 1, 2: 1}
    steps = s.routes[0].steps
    k = next(i for i, st in enumerate(steps) if st.type == "break")
    after = steps[k + 1]
    # the ride to the next stop follows the break (no ride hidden before it)
    leg = 60.0 * abs((after.location.index or 0) - (steps[k - 1].location.index or 0))  # type: ignore[union-attr]
    assert after.arrival >= steps[k].start_time + steps[k].service + leg - 1e-6


def test_a_stop_reachable_only_by_pausing_on_the_road_moves_to_another_vehicle() -> None:
    # job 2 must start by 1000: only a pause on the road lets vehicle 1 serve both
    p = line((900, 1000), second_vehicle=True)
    at_stop = solve(p, time_limit=10, iteration_limit=ITERATIONS)
    assert validate(p, at_stop).ok, str(validate(p, at_stop))
    assert served_by(at_stop)[2] == 2  # job 1 may ride along on vehicle 2
    on_road = solve(p, time_limit=10, iteration_limit=ITERATIONS, break_reading="on_road")
    assert on_road.summary.break_reading == "on_road"
    assert validate(p, on_road).ok, str(validate(p, on_road))
    assert served_by(on_road) == {1: 1, 2: 1}
    assert not validate(p, on_road, reading="at_stop").ok


def test_vroom_json_states_the_reading_and_without_it_means_vroom_s_on_the_road() -> None:
    p = line((900, 1600))
    out = on_road_plan("on_road").to_vroom()
    assert out["summary"]["break_reading"] == "on_road"
    back = Solution.from_vroom(json.dumps(out))
    assert back.summary.break_reading == "on_road"
    assert validate(p, back).ok
    del out["summary"]["break_reading"]  # as VROOM writes it
    plain = Solution.from_vroom(json.dumps(out))
    assert plain.summary.break_reading == "on_road"
    assert validate(p, plain).ok
    assert not validate(p, plain, reading="at_stop").ok


def test_cli_validate_reads_the_declared_reading_or_the_one_asked(tmp_path: Path) -> None:
    p = line((900, 1600))
    (tmp_path / "problem.json").write_text(json.dumps(p.to_vroom()))
    (tmp_path / "plan.json").write_text(json.dumps(on_road_plan("on_road").to_vroom()))
    argv = ["validate", str(tmp_path / "problem.json"), str(tmp_path / "plan.json")]
    assert main(argv, stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO()) == 0
    asked = [*argv, "--break-reading", "at_stop"]
    assert main(asked, stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO()) == 1
