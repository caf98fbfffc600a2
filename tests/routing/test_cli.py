"""The command line: solve files like `vroom -i`, refuse bad input without a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from louise.routing import Problem, Solution, validate
from louise.routing.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_solve_writes_a_valid_solution_file(data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "solution.json"
    src = data_dir / "vroom_docs_example.json"
    code, _, err = run(["solve", str(src), "-o", str(target), "--time-limit", "1", "--seed", "3"])
    assert code == 0, err
    problem = Problem.from_vroom(src.read_text())
    solution = Solution.from_vroom(target.read_text())
    assert validate(problem, solution).ok


def test_solve_reads_stdin_and_writes_stdout(data_dir: Path) -> None:
    text = (data_dir / "vroom_docs_matrix_example.json").read_text()
    code, out, _ = run(["solve", "-", "-t", "1", "--check"], stdin=text)
    assert code == 0
    assert json.loads(out)["code"] == 0


def test_validate_command(data_dir: Path, tmp_path: Path) -> None:
    src = data_dir / "vroom_docs_matrix_example.json"
    target = tmp_path / "s.json"
    assert run(["solve", str(src), "-o", str(target), "-t", "1"])[0] == 0
    code, out, _ = run(["validate", str(src), str(target)])
    assert code == 0 and "feasible" in out


BAD = {
    "invalid_json": ('{"vehicles": [', "invalid JSON"),
    "unknown_field": (
        json.dumps(
            {
                "vehicles": [{"id": 1, "start": [7, 51]}],
                "jobs": [{"id": 1, "location": [7, 51], "colour": 3}],
            }
        ),
        "unknown field",
    ),
    "index_out_of_range": (
        json.dumps(
            {
                "vehicles": [{"id": 1, "start_index": 0}],
                "jobs": [{"id": 1, "location_index": 7}],
                "matrices": {"car": {"durations": [[0, 1], [1, 0]]}},
            }
        ),
        "out of range",
    ),
    "inconsistent_matrix": (
        json.dumps(
            {
                "vehicles": [{"id": 1, "start_index": 0}],
                "jobs": [{"id": 1, "location_index": 1}],
                "matrices": {"car": {"durations": [[0, 1], [1]]}},
            }
        ),
        "square",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gives_a_message_and_exit_code_2(case: str) -> None:
    text, message = BAD[case]
    code, out, err = run(["solve", "-", "-t", "1"], stdin=text)
    assert code == 2
    assert message in err and err.startswith("louise: error:")
    assert "Traceback" not in err + out


def test_missing_file_and_bad_options_are_clear() -> None:
    code, _, err = run(["solve", "/nonexistent/problem.json"])
    assert code == 2 and "cannot read" in err
    code, _, err = run(["solve", "-", "--time-limit", "-3"])
    assert code == 2 and "time-limit" in err
    code, _, err = run(["frobnicate"])
    assert code == 2 and "invalid choice" in err


def test_subprocess_never_prints_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"vehicles": 3}')
    result = subprocess.run(
        [sys.executable, "-m", "louise.routing.cli", "solve", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "expected an array" in result.stderr
    assert "Traceback" not in result.stderr
