"""Li & Lim PDPTW benchmark: louise (OR-Tools), VROOM and PyVRP side by side.

    python -m benchmarks.routing.lilim --set 100 --time-limit 10 --jobs 2
    python -m benchmarks.routing.lilim --set 200 --instances lc1_2_1 lr1_2_1   # a quick subset
    python -m benchmarks.routing.lilim --set all --sample 12                    # every n-th

Objective: vehicles first, then distance. Distances and times are scaled ×1000 to integers
(times rounded up, so an integer-feasible plan stays feasible in float). All three solvers
get the same problem (VROOM JSON), the same time limit and one core each; PyVRP 0.14 models
these instances exactly (shipments, one window per side, a fixed cost per vehicle). The reported
distances are recomputed in float on the original coordinates, and every solver's plan is
checked by ``louise.routing.validate`` on the integer problem and on the exact float one.
Instances: Li & Lim (2001), via SINTEF TOP's list of best-known solutions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.routing import report
from benchmarks.routing.lilim_data import (
    data_dir,
    float_distance,
    read_bks,
    read_instance,
    retime_float,
    to_problem,
)
from benchmarks.routing.pyvrp_runner import pyvrp_available, solve_with_pyvrp
from benchmarks.routing.vroom_runner import solve_with_vroom, vroom_available
from louise.routing import SolveOptions, solve, validate

SETS = ("100", "200")
# PyVRP's fixed cost per vehicle (the usual 10⁷ for these sets). The problem's
# 10⁹ trips PyVRP's penalty bound; 10⁷ is still above any plan's distance (×1000) here.
PYVRP_FIXED_COST = 10**7


def run_instance(args: tuple[str, str, float, bool, bool]) -> dict[str, Any]:
    size, name, time_limit, with_vroom, with_pyvrp = args
    inst = read_instance(data_dir() / "instances" / size / f"{name}.txt")
    problem = to_problem(inst)
    exact = to_problem(inst, scaled=False)
    row: dict[str, Any] = {"set": size, "instance": name}
    t0 = time.monotonic()
    sol = solve(problem, SolveOptions(time_limit=time_limit, seed=0, threads=1))
    row["louise_wall"] = time.monotonic() - t0
    row.update(_measure("louise", inst, problem, exact, sol))
    if with_vroom:
        vsol, wall = solve_with_vroom(problem, exploration_level=5, threads=1, timeout=time_limit)
        row["vroom_wall"] = wall
        row.update(_measure("vroom", inst, problem, exact, vsol))
    if with_pyvrp:
        run = solve_with_pyvrp(
            problem, time_limit=time_limit, seed=0, required=True, fixed_cost_cap=PYVRP_FIXED_COST
        )
        row["pyvrp_wall"] = run.wall
        row["pyvrp_relaxed"] = run.relaxed
        row.update(_measure("pyvrp", inst, problem, exact, run.solution))
    return row


def _measure(prefix: str, inst: Any, problem: Any, exact: Any, sol: Any) -> dict[str, Any]:
    ok = validate(problem, sol).ok
    retimed = retime_float(inst, exact, sol)
    ok_float = validate(exact, retimed).ok
    return {
        f"{prefix}_vehicles": sol.vehicles_used,
        f"{prefix}_distance": float_distance(retimed),
        f"{prefix}_unassigned": len(sol.unassigned),
        f"{prefix}_valid": ok and ok_float,
    }


def instances(size: str) -> list[str]:
    return sorted(p.stem for p in (data_dir() / "instances" / size).glob("*.txt"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.routing.lilim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", choices=[*SETS, "all"], default="100")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--jobs", type=int, default=1, help="instances solved in parallel")
    parser.add_argument("--instances", nargs="*", help="only these instance names")
    parser.add_argument("--sample", type=int, default=0, help="every n-th instance only")
    parser.add_argument("--no-vroom", action="store_true", help="skip the VROOM column")
    parser.add_argument("--no-pyvrp", action="store_true", help="skip the PyVRP column")
    parser.add_argument(
        "--no-report", action="store_true", help="do not rewrite docs/benchmarks.md"
    )
    parser.add_argument("--results", type=Path, default=report.RESULTS_DIR)
    args = parser.parse_args(argv)

    if not data_dir().is_dir():
        print(
            f"Li & Lim data not found at {data_dir()} (expected ../shared/benchmarks/lilim "
            "next to the repository); nothing to do.",
            file=sys.stderr,
        )
        return 2
    with_vroom = not args.no_vroom
    if with_vroom and not vroom_available():
        print(
            "pyvroom is not installed (pip install -e '.[bench]'); running without VROOM.",
            file=sys.stderr,
        )
        with_vroom = False
    with_pyvrp = not args.no_pyvrp
    if with_pyvrp and not pyvrp_available():
        print(
            "pyvrp is not installed (pip install -e '.[bench]'); running without PyVRP.",
            file=sys.stderr,
        )
        with_pyvrp = False
    sets = SETS if args.set == "all" else (args.set,)
    bks = read_bks()
    work = []
    for size in sets:
        names = instances(size)
        if args.instances:
            names = [n for n in names if n in set(args.instances)]
        if args.sample:
            names = names[:: args.sample]
        work += [(size, n, args.time_limit, with_vroom, with_pyvrp) for n in names]
    if not work:
        print("no instance selected", file=sys.stderr)
        return 2
    jobs = max(1, min(args.jobs, os.cpu_count() or 1))
    print(
        f"{len(work)} instances, {args.time_limit:g} s each, one core per instance, "
        f"{jobs} in parallel processes",
        file=sys.stderr,
    )
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for row in pool.map(run_instance, work):
            row["bks_vehicles"], row["bks_distance"] = bks[row["instance"]]
            rows.append(row)
            print(report.lilim_line(row), file=sys.stderr, flush=True)
    meta = {
        "time_limit": args.time_limit,
        "jobs": jobs,
        "vroom": with_vroom,
        "pyvrp": with_pyvrp,
        "command": "python -m benchmarks.routing.lilim " + " ".join(argv or sys.argv[1:]),
        "subset": bool(args.instances or args.sample),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": report.cpu_name(),
    }
    if meta["subset"]:  # a subset never overwrites a full set's results
        out = args.results / "lilim_sample.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
        print(report.lilim_totals_text(rows), file=sys.stderr)
    else:
        for size in sets:
            part = [r for r in rows if r["set"] == size]
            out = args.results / f"lilim_{size}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({"meta": meta, "rows": part}, indent=1))
            print(report.lilim_totals_text(part), file=sys.stderr)
    if not args.no_report:
        report.write_markdown()
        print(f"wrote {report.MARKDOWN}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
