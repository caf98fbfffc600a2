"""Realistic evenings on real Essen addresses: how louise scales, next to VROOM.

    python -m benchmarks.routing.scaling                      # 50 … 1000 shipments, 30 s
    python -m benchmarks.routing.scaling --sizes 50 100 --time-limit 10   # a quick check

Shipments between real house addresses of Essen's northern districts (lat > 51.48, next to
Bottrop): 60 % collected at a shop and delivered the same evening, 40 % waiting at the
City-Station; 17:30–20:00 windows; 3 to 15 bikes (200 l / 100 kg, 15 km/h) plus one e-car
(the only vehicle for addresses more than 7 km from the station); a 15-minute break per
shift. Each size is solved in a fresh process (one thread), so peak memory is its own.

Datenquelle: Stadt Essen, Amt für Geoinformation, Vermessung und Kataster (dl-de/by-2-0).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.routing import report
from benchmarks.routing.paths import shared_dir
from benchmarks.routing.vroom_runner import solve_with_vroom, vroom_available
from louise.routing import (
    Break,
    Costs,
    Location,
    Problem,
    Shipment,
    SolveOptions,
    Task,
    TimeWindow,
    Vehicle,
    solve,
    validate,
    with_matrices,
)

SIZES = (50, 100, 200, 500, 1000)
CHECKPOINTS = (1, 5, 10, 30)
H = 3600


def data_file() -> Path:
    return shared_dir() / "data" / "essen-addresses" / "hauskoordinaten_essen_2022-10-05_4326.zip"


def northern_addresses() -> list[tuple[float, float]]:
    with zipfile.ZipFile(data_file()) as z:
        name = next(n for n in z.namelist() if n.endswith(".geojson"))
        data = json.loads(z.read(name))
    points = []
    for f in data["features"]:
        if "unbekannt" in f["properties"].get("strname", ""):
            continue
        lon, lat = f["geometry"]["coordinates"][:2]
        if lat > 51.48:
            points.append((round(lon, 6), round(lat, 6)))
    return sorted(set(points))


def _metres_from(origin: tuple[float, float], points: list[tuple[float, float]]) -> Any:
    """Great-circle metres from one point to many (one row, not a full matrix)."""
    lon0, lat0 = np.radians(origin)
    pts = np.radians(np.asarray(points))
    dlat, dlon = pts[:, 1] - lat0, pts[:, 0] - lon0
    a = np.sin(dlat / 2) ** 2 + np.cos(lat0) * np.cos(pts[:, 1]) * np.sin(dlon / 2) ** 2
    return 2 * 6_371_000.0 * np.arcsin(np.sqrt(a))


def evening(addresses: list[tuple[float, float]], n: int, seed: int = 7) -> Problem:
    rng = random.Random(seed * 100_003 + n)
    pts = np.array(addresses)
    centre = pts.mean(axis=0)
    station = tuple(pts[np.argmin(((pts - centre) ** 2).sum(axis=1))])
    shops = rng.sample(addresses, 25)
    bikes = {50: 3, 100: 5, 200: 8, 500: 12}.get(n, max(3, min(15, round(n / 40))))
    shift = TimeWindow(17 * H, 21 * H)

    def brk() -> tuple[Break, ...]:
        return (Break(id=1, time_windows=(TimeWindow(18.5 * H, 19.5 * H),), service=15 * 60),)

    vehicles = [
        Vehicle(
            id=i + 1,
            profile="bike",
            start=Location.at(*station),
            end=Location.at(*station),
            capacity=(200, 100),
            skills=frozenset({0}),
            time_window=shift,
            breaks=brk(),
            costs=Costs(fixed=3600),
            description=f"bike {i + 1}",
        )
        for i in range(bikes)
    ]
    vehicles.append(
        Vehicle(
            id=100,
            profile="ecar",
            start=Location.at(*station),
            end=Location.at(*station),
            capacity=(1000, 400),
            skills=frozenset({0, 1}),
            time_window=shift,
            breaks=brk(),
            costs=Costs(fixed=7200),
            description="e-car",
        )
    )
    far = _metres_from(station, addresses) > 7000
    index = {a: i for i, a in enumerate(addresses)}
    shipments = []
    for k in range(n):
        customer = rng.choice(addresses)
        from_shop = rng.random() < 0.6
        origin = rng.choice(shops) if from_shop else station
        start = rng.choice([17.5, 18.0, 18.5, 19.0])
        windows = (
            (TimeWindow(start * H, (start + 1) * H),)
            if rng.random() < 0.7
            else (TimeWindow(17.5 * H, 20 * H),)
        )
        shipments.append(
            Shipment(
                pickup=Task(
                    id=k,
                    location=Location.at(*origin),
                    service=60 if from_shop else 0,
                    time_windows=(TimeWindow(17.5 * H, 19 * H),) if from_shop else (),
                ),
                delivery=Task(
                    id=k,
                    location=Location.at(*customer),
                    setup=30,
                    service=60,
                    time_windows=windows,
                ),
                amount=(rng.randint(2, 20), rng.randint(1, 8)),
                skills=frozenset({1 if far[index[customer]] else 0}),
            )
        )
    return Problem(vehicles=vehicles, shipments=shipments)


def _cost_at(history: list[tuple[float, float]], base: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in CHECKPOINTS:
        seen = [obj for t, obj in history if t <= c]
        if not seen:
            out[str(c)] = None
            continue
        best = min(seen)
        out[str(c)] = best % base
        out[f"{c}_dropped"] = int(best // base)
    return out


def peak_memory_mb() -> float:
    """This process's high-water mark of resident memory (VmHWM; fresh after exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(args: tuple[str, int, float, bool, float]) -> dict[str, Any]:
    path, n, time_limit, with_vroom, vroom_timeout = args
    problem = Problem.from_vroom(Path(path).read_text())
    t0 = time.monotonic()
    sol = solve(problem, SolveOptions(time_limit=time_limit, seed=0))
    wall = time.monotonic() - t0
    stats = sol.stats
    row: dict[str, Any] = {
        "shipments": n,
        "vehicles": len(problem.vehicles),
        "wall": wall,
        "first_feasible": stats.get("first_feasible"),
        "cost_at": _cost_at(stats.get("history", []), stats.get("penalty_base", 1)),
        "cost": sol.summary.cost,
        "unassigned": len(sol.unassigned) // 2,
        "valid": validate(problem, sol).ok,
        "peak_mb": peak_memory_mb(),
    }
    if with_vroom:
        vsol, vwall = solve_with_vroom(
            problem, exploration_level=5, threads=1, timeout=vroom_timeout
        )
        row.update(
            vroom_cost=vsol.summary.cost,
            vroom_unassigned=len(vsol.unassigned) // 2,
            vroom_valid=validate(problem, vsol).ok,
            vroom_wall=vwall,
        )
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.routing.scaling",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=1, help="sizes solved in parallel")
    parser.add_argument("--seed", type=int, default=7, help="which evening to draw")
    parser.add_argument("--no-vroom", action="store_true")
    parser.add_argument(
        "--vroom-timeout", type=float, default=300.0, help="cap on VROOM's time, seconds"
    )
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--results", type=Path, default=report.RESULTS_DIR)
    args = parser.parse_args(argv)
    if not data_file().is_file():
        print(
            f"Essen address data not found at {data_file()} (expected ../shared/data/"
            "essen-addresses next to the repository); nothing to do.",
            file=sys.stderr,
        )
        return 2
    with_vroom = not args.no_vroom and vroom_available()
    if not args.no_vroom and not with_vroom:
        print("pyvroom is not installed; running without VROOM.", file=sys.stderr)
    addresses = northern_addresses()
    print(f"{len(addresses)} addresses north of lat 51.48", file=sys.stderr)
    work = []
    tmpdir = tempfile.TemporaryDirectory(prefix="louise-evenings-")
    tmp = Path(tmpdir.name)  # matrices of 1000 shipments are tens of MB: not in the repo
    for n in args.sizes:
        problem = with_matrices(evening(addresses, n, args.seed))
        path = tmp / f"evening_{n}.json"
        path.write_text(json.dumps(problem.to_vroom()))
        work.append((str(path), n, args.time_limit, with_vroom, args.vroom_timeout))
    ctx = multiprocessing.get_context("spawn")  # a fresh process per size: honest peak memory
    rows = []
    with ctx.Pool(processes=max(1, args.jobs), maxtasksperchild=1) as pool:
        for row in pool.imap(run_size, work):
            rows.append(row)
            print(
                f"{row['shipments']:>5} shipments: cost {row['cost']:.0f}, unassigned "
                f"{row['unassigned']}, valid {row['valid']}, first plan "
                f"{row['first_feasible']}, peak {row['peak_mb']:.0f} MB"
                + (
                    f" | VROOM cost {row['vroom_cost']:.0f}, unassigned "
                    f"{row['vroom_unassigned']}, {row['vroom_wall']:.1f} s"
                    if "vroom_cost" in row
                    else ""
                ),
                file=sys.stderr,
                flush=True,
            )
    meta = {
        "time_limit": args.time_limit,
        "checkpoints": list(CHECKPOINTS),
        "seed": args.seed,
        "jobs": args.jobs,
        "vroom_timeout": args.vroom_timeout,
        "command": "python -m benchmarks.routing.scaling " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": report.cpu_name(),
    }
    tmpdir.cleanup()
    out = args.results / "scaling.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    if not args.no_report:
        report.write_markdown()
        print(f"wrote {report.MARKDOWN}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
