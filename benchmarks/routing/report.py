"""Turns the benchmark result files into docs/benchmarks.md (generated, never hand-edited)."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from statistics import mean
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "benchmarks" / "routing" / "results"
MARKDOWN = ROOT / "docs" / "benchmarks.md"

ESSEN_CREDIT = (
    "Datenquelle: Stadt Essen, Amt für Geoinformation, Vermessung und Kataster (dl-de/by-2-0)"
)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gap(value: float, ref: float) -> float:
    return 100.0 * (value - ref) / ref if ref else 0.0


def lilim_line(r: dict[str, Any]) -> str:
    s = (
        f"{r['instance']:>10}  BKS {r['bks_vehicles']:>2} {r['bks_distance']:9.2f} | louise "
        f"{r['louise_vehicles']:>2} {r['louise_distance']:9.2f} "
        f"{'ok' if r['louise_valid'] else 'INVALID'} {r['louise_wall']:5.1f}s"
    )
    if "vroom_vehicles" in r:
        s += (
            f" | vroom {r['vroom_vehicles']:>2} {r['vroom_distance']:9.2f} "
            f"{'ok' if r['vroom_valid'] else 'INVALID'} {r['vroom_wall']:5.1f}s"
        )
    return s


def lilim_totals(rows: list[dict[str, Any]], solver: str) -> dict[str, Any]:
    hits = [r for r in rows if r[f"{solver}_vehicles"] == r["bks_vehicles"]]
    vehicles = sum(r[f"{solver}_vehicles"] for r in rows)
    bks = sum(r["bks_vehicles"] for r in rows)
    gaps = [_gap(r[f"{solver}_distance"], r["bks_distance"]) for r in hits]
    return {
        "instances": len(rows),
        "vehicles": vehicles,
        "bks_vehicles": bks,
        "vehicle_gap": _gap(vehicles, bks),
        "hits": len(hits),
        "mean_gap_on_hits": mean(gaps) if gaps else float("nan"),
        "distance": sum(r[f"{solver}_distance"] for r in rows),
        "valid": sum(1 for r in rows if r[f"{solver}_valid"]),
        "unassigned": sum(r[f"{solver}_unassigned"] for r in rows),
        "mean_wall": mean(r[f"{solver}_wall"] for r in rows),
    }


def lilim_totals_text(rows: list[dict[str, Any]]) -> str:
    lines = []
    for solver in ("louise", "vroom"):
        if f"{solver}_vehicles" not in rows[0]:
            continue
        t = lilim_totals(rows, solver)
        lines.append(
            f"{solver}: {t['vehicles']} vehicles (BKS {t['bks_vehicles']}, "
            f"{t['vehicle_gap']:+.2f} %), {t['hits']}/{t['instances']} hits, mean gap on hits "
            f"{t['mean_gap_on_hits']:+.2f} %, valid {t['valid']}/{t['instances']}"
        )
    return "\n".join(lines)


def _lilim_section(size: str, data: dict[str, Any]) -> list[str]:
    meta, rows = data["meta"], data["rows"]
    solvers = ["louise"] + (["vroom"] if "vroom_vehicles" in rows[0] else [])
    out = [
        f"## Li & Lim, {size}-task set ({len(rows)} instances"
        + (", a subset" if meta.get("subset") else "")
        + ")",
        "",
        f"Run {meta['date']} on {meta['cpu']}: louise {meta['time_limit']:g} s per instance, "
        f"one thread; VROOM exploration level 5, one thread; {meta['jobs']} instance(s) in "
        "parallel processes. Distances recomputed in float; *valid* = accepted by "
        "`louise.routing.validate` on the scaled integer problem and on the exact float one.",
        "",
        "| solver | vehicles | BKS vehicles | vehicle gap | fleet hits | mean distance gap on "
        "hits | total distance | valid | unassigned | mean wall time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in solvers:
        t = lilim_totals(rows, s)
        out.append(
            f"| {s} | {t['vehicles']} | {t['bks_vehicles']} | {t['vehicle_gap']:+.2f} % | "
            f"{t['hits']}/{t['instances']} | {t['mean_gap_on_hits']:+.2f} % | "
            f"{t['distance']:.1f} | {t['valid']}/{t['instances']} | {t['unassigned']} | "
            f"{t['mean_wall']:.2f} s |"
        )
    out += ["", "<details><summary>per instance</summary>", ""]
    head = "| instance | BKS veh. | BKS dist. | louise veh. | louise dist. | gap | valid | wall |"
    sep = "| --- | ---: | ---: | ---: | ---: | ---: | :-: | ---: |"
    if "vroom" in solvers:
        head += " VROOM veh. | VROOM dist. | gap | valid | wall |"
        sep += " ---: | ---: | ---: | :-: | ---: |"
    out += [head, sep]
    for r in rows:
        line = (
            f"| {r['instance']} | {r['bks_vehicles']} | {r['bks_distance']:.2f} | "
            f"{r['louise_vehicles']} | {r['louise_distance']:.2f} | "
            f"{_gap(r['louise_distance'], r['bks_distance']):+.2f} % | "
            f"{'yes' if r['louise_valid'] else 'NO'} | {r['louise_wall']:.1f} s |"
        )
        if "vroom" in solvers:
            line += (
                f" {r['vroom_vehicles']} | {r['vroom_distance']:.2f} | "
                f"{_gap(r['vroom_distance'], r['bks_distance']):+.2f} % | "
                f"{'yes' if r['vroom_valid'] else 'NO'} | {r['vroom_wall']:.1f} s |"
            )
        out.append(line)
    out += ["", "</details>", ""]
    return out


def _scaling_section(data: dict[str, Any]) -> list[str]:
    meta, rows = data["meta"], data["rows"]
    checkpoints = meta["checkpoints"]
    out = [
        "## Realistic evenings (Essen addresses, northern districts)",
        "",
        f"Run {meta['date']} on {meta['cpu']}, seed {meta['seed']}: shipments between real "
        "house addresses with lat > 51.48, one City-Station, 17:30–20:00 evening windows, "
        "bikes (200 l / 100 kg, 15 km/h) plus one e-car (outer districts), a 15-minute "
        "break per courier, haversine × 1.35 matrices. louise one thread, "
        f"{meta['time_limit']:g} s; cost after *t* s is the best plan's cost at that moment "
        "of the same run (VROOM-style cost: travel seconds + fixed costs; in brackets the "
        "shipments still unassigned then). VROOM exploration level 5, one thread, capped at "
        f"{meta.get('vroom_timeout', 0):g} s. {meta['jobs']} size(s) in parallel processes.",
        "",
        "| shipments | vehicles | first plan | "
        + " | ".join(f"cost @ {c:g} s" for c in checkpoints)
        + " | unassigned | valid | peak memory | VROOM cost | VROOM unassigned | VROOM valid "
        "| VROOM time |",
        "| ---: | ---: | ---: | "
        + " | ".join("---:" for _ in checkpoints)
        + " | ---: | :-: | ---: | ---: | ---: | :-: | ---: |",
    ]
    for r in rows:
        costs = " | ".join(
            f"{r['cost_at'][str(c)]:.0f} ({r['cost_at'][f'{c}_dropped']})"
            if r["cost_at"].get(str(c)) is not None
            else "–"
            for c in checkpoints
        )
        first = f"{r['first_feasible']:.2f} s" if r["first_feasible"] is not None else "–"
        vroom = (
            f"{r['vroom_cost']:.0f} | {r['vroom_unassigned']} | "
            f"{'yes' if r['vroom_valid'] else 'NO'} | {r['vroom_wall']:.1f} s"
            if "vroom_cost" in r
            else "– | – | – | –"
        )
        out.append(
            f"| {r['shipments']} | {r['vehicles']} | {first} | {costs} | {r['unassigned']} | "
            f"{'yes' if r['valid'] else 'NO'} | {r['peak_mb']:.0f} MB | {vroom} |"
        )
    out += ["", ESSEN_CREDIT + ".", ""]
    return out


def write_markdown() -> None:
    out = [
        "# Routing benchmarks",
        "",
        "Generated by `python -m benchmarks.routing.lilim` and "
        "`python -m benchmarks.routing.scaling` from the files in "
        "`benchmarks/routing/results/`; do not edit by hand. Targets and what was tried: "
        "see docs/routing.md.",
        "",
    ]
    for size in ("100", "200"):
        path = RESULTS_DIR / f"lilim_{size}.json"
        if path.exists():
            out += _lilim_section(size, json.loads(path.read_text()))
    path = RESULTS_DIR / "scaling.json"
    if path.exists():
        out += _scaling_section(json.loads(path.read_text()))
    out += [
        "## Credits",
        "",
        "- Li & Lim PDPTW instances (Li and Lim, 2001) and best-known solutions as listed by "
        "SINTEF TOP (https://www.sintef.no/projectweb/top/pdptw/li-lim-benchmark/), via the "
        "public-domain copy in rogalski-wmii-uni-lodz-pl/vrp-benchmarks.",
        f"- Essen house addresses: {ESSEN_CREDIT}.",
        "",
    ]
    MARKDOWN.parent.mkdir(parents=True, exist_ok=True)
    MARKDOWN.write_text("\n".join(out))


if __name__ == "__main__":
    write_markdown()
