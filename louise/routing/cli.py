"""``louise`` on the command line, used like ``vroom -i``.

    louise solve problem.json -o solution.json --time-limit 10 [--seed N] [--threads N]
    louise solve - < problem.json            # stdin to stdout
    louise validate problem.json solution.json

Subcommands are registered in ``COMMANDS``; add one with a ``configure(parser)`` and a
``run(args) -> int``. Bad input ends with a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from louise.routing.matrix import HaversineProvider, MatrixProvider, OsrmProvider, with_matrices
from louise.routing.problem import Problem, ProblemError
from louise.routing.solution import Solution
from louise.routing.solver import SolveOptions, solve
from louise.routing.validate import validate
from louise.routing.vroom_json import dumps

EXIT_OK = 0
EXIT_INVALID_SOLUTION = 1
EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A problem with the user's input: printed as one line, never as a traceback."""


def _read_json(source: str, stdin: TextIO) -> Any:
    try:
        text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"{source} is not UTF-8 text") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc


def _write(text: str, target: str | None, stdout: TextIO) -> None:
    if target in (None, "-"):
        stdout.write(text + "\n")
        return
    assert target is not None
    try:
        Path(target).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _positive(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not x > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return x


# -- solve -------------------------------------------------------------------------------------
def configure_solve(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="problem in VROOM's JSON format ('-' for stdin)")
    p.add_argument("-o", "--output", help="where to write the solution (default: stdout)")
    p.add_argument("-t", "--time-limit", type=_positive, default=10.0, help="seconds (wall)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="multi-start over this many cores")
    p.add_argument(
        "--objective",
        choices=("cost", "duration", "distance"),
        default="cost",
        help="what travel minimises after tasks and fixed costs (default: VROOM's cost)",
    )
    p.add_argument(
        "--break-reading",
        choices=("at_stop", "on_road"),
        default="at_stop",
        help="breaks at the stop before them (default) or also on the road (VROOM's own)",
    )
    p.add_argument("--osrm", metavar="URL", help="OSRM table service for coordinates")
    p.add_argument("--check", action="store_true", help="validate the answer, report on stderr")


def run_solve(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    if args.threads < 1:
        raise CliError("--threads must be >= 1")
    problem = Problem.from_vroom(_read_json(args.input, stdin))
    provider: MatrixProvider = OsrmProvider(url=args.osrm) if args.osrm else HaversineProvider()
    options = SolveOptions(
        time_limit=args.time_limit,
        seed=args.seed,
        threads=args.threads,
        objective=args.objective,
        break_reading=args.break_reading,
    )
    solution = solve(problem, options, matrix_provider=provider)
    _write(dumps(solution.to_vroom()), args.output, stdout)
    if args.check:
        report = validate(with_matrices(problem, provider), solution)
        if not report.ok:
            stderr.write(f"louise: the solution violates constraints:\n{report}\n")
            return EXIT_INVALID_SOLUTION
    return EXIT_OK


# -- validate ----------------------------------------------------------------------------------
def configure_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("problem", help="problem in VROOM's JSON format")
    p.add_argument("solution", help="solution in VROOM's output format ('-' for stdin)")
    p.add_argument(
        "--break-reading",
        choices=("at_stop", "on_road"),
        help="read breaks this way (default: as the solution declares; none: at_stop)",
    )


def run_validate(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    problem = Problem.from_vroom(_read_json(args.problem, stdin))
    solution = Solution.from_vroom(_read_json(args.solution, stdin))
    report = validate(problem, solution, reading=args.break_reading)
    stdout.write(str(report) + "\n")
    return EXIT_OK if report.ok else EXIT_INVALID_SOLUTION


Runner = Callable[[argparse.Namespace, TextIO, TextIO, TextIO], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Runner]] = {
    "solve": ("plan routes for a VROOM-format problem", configure_solve, run_solve),
    "validate": ("check a solution against its problem", configure_validate, run_validate),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="louise", description="louise routing: plan and check routes")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (help_text, configure, _) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; return the exit code (0 ok, 1 infeasible plan, 2 bad input)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
        return COMMANDS[args.command][2](args, stdin, stdout, stderr)
    except (CliError, ProblemError) as exc:
        stderr.write(f"louise: error: {exc}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        stderr.write("louise: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
