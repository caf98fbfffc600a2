"""VROOM's documented example inputs round-trip and solve; bad input is refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from louise.routing import (
    HaversineProvider,
    Problem,
    ProblemError,
    ProfileSpeed,
    Solution,
    solve,
    validate,
    with_matrices,
)

from .conftest import ITERATIONS


def load(data_dir: Path, name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((data_dir / name).read_text())
    return data


@pytest.mark.parametrize("name", ["vroom_docs_example.json", "vroom_docs_matrix_example.json"])
def test_vroom_docs_examples_round_trip_and_solve(data_dir: Path, name: str) -> None:
    data = load(data_dir, name)
    problem = Problem.from_vroom(data)
    again = Problem.from_vroom(json.dumps(problem.to_vroom()))
    assert again.to_vroom() == problem.to_vroom()
    solution = solve(problem, time_limit=10, iteration_limit=ITERATIONS)
    assert validate(problem, solution).ok, str(validate(problem, solution))
    out = solution.to_vroom()
    assert {"code", "summary", "routes", "unassigned"} <= set(out)
    assert {"cost", "routes", "unassigned", "distance", "duration", "computing_times"} <= set(
        out["summary"]
    )
    read_back = Solution.from_vroom(json.dumps(out))
    assert validate(problem, read_back).ok
    for route in out["routes"]:
        for step in route["steps"]:
            assert {"type", "arrival", "duration", "waiting_time", "distance"} <= set(step)


def test_documented_example_serves_everything_at_car_speed(data_dir: Path) -> None:
    problem = Problem.from_vroom(load(data_dir, "vroom_docs_example.json"))
    # at the default 25 km/h the far tasks cannot be reached within the 4-hour shifts
    slow = solve(problem, time_limit=1)
    assert {u.reason for u in slow.unassigned} == {"outside_time_windows"}
    fast = HaversineProvider(speeds={"car": ProfileSpeed(speed_kmh=60, detour=1.3)})
    solution = solve(problem, time_limit=1, matrix_provider=fast)
    assert not solution.unassigned
    assert solution.summary.routes == 2
    assert validate(with_matrices(problem, fast), solution).ok


def test_matrix_example_keeps_matrix_costs(data_dir: Path) -> None:
    problem = Problem.from_vroom(load(data_dir, "vroom_docs_matrix_example.json"))
    solution = solve(problem, time_limit=10, iteration_limit=ITERATIONS)
    [route] = solution.routes
    assert [s.type for s in route.steps] == ["start", "job", "job", "end"]
    # start 0 → 2 → 1 → end 3 would be 197 + 2256 + 3152; 0 → 1 → 2 → 3: 2104 + 2255 + 1102
    assert solution.summary.cost == 2104 + 2255 + 1102


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"vehicles": [{"id": 1, "start": [7, 51], "colour": "red"}], "jobs": []}, "unknown field"),
        (
            {
                "vehicles": [{"id": 1, "start_index": 0}],
                "jobs": [{"id": 1, "location_index": 5}],
                "matrices": {"car": {"durations": [[0, 1], [1, 0]]}},
            },
            "out of range",
        ),
        (
            {
                "vehicles": [{"id": 1, "start_index": 0}],
                "jobs": [{"id": 1, "location_index": 1}],
                "matrices": {"car": {"durations": [[0, 1], [1, 0, 3]]}},
            },
            "square",
        ),
        (
            {
                "vehicles": [{"id": 1, "start_index": 0}],
                "jobs": [{"id": 1, "location_index": 1}],
                "matrices": {
                    "car": {
                        "durations": [[0, 1], [1, 0]],
                        "distances": [[0, 1, 1], [1, 0, 1], [1, 1, 0]],
                    }
                },
            },
            "differs",
        ),
        (
            {
                "vehicles": [{"id": 1, "start": [7, 51], "capacity": [1, 2]}],
                "jobs": [{"id": 1, "location": [7, 51], "delivery": [1]}],
            },
            "different lengths",
        ),
        ({"vehicles": [{"id": 1, "start": [7, 51]}], "jobs": [{"id": 1}]}, "location"),
        (
            {
                "vehicles": [{"id": 1, "start": [7, 51]}],
                "jobs": [{"id": 1, "location": [7, 51]}, {"id": 1, "location": [7, 51]}],
            },
            "duplicate job id",
        ),
        (
            {
                "vehicles": [{"id": 1, "start": [7, 51]}],
                "jobs": [{"id": 1, "location": [7, 51], "time_windows": [[10, 5]]}],
            },
            "ends before",
        ),
    ],
)
def test_malformed_problems_are_refused_with_a_clear_message(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(ProblemError, match=message):
        Problem.from_vroom(data)
