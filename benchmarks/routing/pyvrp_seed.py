"""How good is PyVRP's seed? Li & Lim instances, the seed alone, against the best-known plans.

    python -m benchmarks.routing.pyvrp_seed            # lr102 lrc103 lr205, 3 s each
    python -m benchmarks.routing.pyvrp_seed --time-limit 3 --instances lc101 lr205 lc1_2_1

Each plan is PyVRP's on louise's relaxed model (``louise.routing.engines.pyvrp_seed``; Li & Lim
needs no relaxation), timed by the validator's rules (``seed_to_solution``), checked by
``louise.routing.validate`` on the ×1000 integer problem and, re-timed in floats, on the exact
one. Distances are recomputed in float on the original coordinates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.routing.lilim_data import (
    data_dir,
    float_distance,
    read_instance,
    retime_float,
    to_problem,
)
from louise.routing import validate
from louise.routing.engines import seed_routes, seed_to_solution

DEFAULT_INSTANCES = ("lr102", "lrc103", "lr205")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.routing.pyvrp_seed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--instances", nargs="+", default=list(DEFAULT_INSTANCES))
    parser.add_argument("--time-limit", type=float, default=3.0, help="seconds per instance")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data", type=Path, default=data_dir(), help="the Li & Lim folder (README, bks.csv)"
    )
    args = parser.parse_args(argv)
    if not (args.data / "bks.csv").is_file():
        print(f"Li & Lim data not found at {args.data} (expected ../shared/benchmarks/lilim)")
        return 2
    bks = _read_bks(args.data / "bks.csv")
    print(f"PyVRP seed, {args.time_limit:g} s per instance, seed {args.seed}")
    print(
        f"{'instance':10} {'veh':>4} {'distance':>10} {'BKS veh':>8} {'BKS dist':>10} "
        f"{'gap':>7} {'valid':>6} {'iters':>7} {'relaxed':>8}"
    )
    for name in args.instances:
        size = "200" if "_" in name else "100"
        inst = read_instance(args.data / "instances" / size / f"{name}.txt")
        problem = to_problem(inst)
        exact = to_problem(inst, scaled=False)
        seed = seed_routes(problem, args.time_limit, seed=args.seed)
        solution = seed_to_solution(problem, seed)
        retimed = retime_float(inst, exact, solution)
        ok = validate(problem, solution).ok and validate(exact, retimed).ok
        dist = float_distance(retimed)
        bv, bd = bks[name]
        gap = 100 * (dist / bd - 1)
        print(
            f"{name:10} {solution.vehicles_used:>4} {dist:>10.2f} {bv:>8} {bd:>10.2f} "
            f"{gap:>+6.2f}% {ok!s:>6} {seed.iterations:>7} {','.join(seed.relaxed) or '-':>8}"
            + ("" if not seed.unserved else f"  unserved {len(seed.unserved)}")
        )
    return 0


def _read_bks(path: Path) -> dict[str, tuple[int, float]]:
    import csv

    with path.open() as f:
        return {
            r["instance"]: (int(r["vehicles"]), float(r["distance"])) for r in csv.DictReader(f)
        }


if __name__ == "__main__":
    sys.exit(main())
