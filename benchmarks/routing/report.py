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


SOLVERS = ("louise", "vroom", "pyvrp")
LABEL = {"louise": "louise", "vroom": "VROOM -x5", "pyvrp": "PyVRP 0.14.1"}


def solvers_in(rows: list[dict[str, Any]]) -> list[str]:
    return [s for s in SOLVERS if f"{s}_vehicles" in rows[0]]


def lilim_line(r: dict[str, Any]) -> str:
    s = f"{r['instance']:>10}  BKS {r['bks_vehicles']:>2} {r['bks_distance']:9.2f}"
    for solver in SOLVERS:
        if f"{solver}_vehicles" in r:
            s += (
                f" | {solver} {r[f'{solver}_vehicles']:>2} {r[f'{solver}_distance']:9.2f} "
                f"{'ok' if r[f'{solver}_valid'] else 'INVALID'} {r[f'{solver}_wall']:5.1f}s"
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
    for solver in solvers_in(rows):
        t = lilim_totals(rows, solver)
        lines.append(
            f"{solver}: {t['vehicles']} vehicles (BKS {t['bks_vehicles']}, "
            f"{t['vehicle_gap']:+.2f} %), distance {t['distance']:.1f}, {t['hits']}/"
            f"{t['instances']} hits, mean gap on hits {t['mean_gap_on_hits']:+.2f} %, "
            f"valid {t['valid']}/{t['instances']}, unassigned {t['unassigned']}"
        )
    return "\n".join(lines)


def _command(meta: dict[str, Any], default: str) -> str:
    return f"`{meta.get('command', default)}`"


def _lilim_how(meta: dict[str, Any], solvers: list[str], relaxed: list[str]) -> str:
    if "command" not in meta:  # a two-way run from before PyVRP joined (issue 9)
        return (
            f"Two-way run from before PyVRP joined the comparison (`make bench-routing` replaces "
            f"it with the three-way one). Run {meta['date']} on {meta['cpu']}: louise "
            f"{meta['time_limit']:g} s per instance, one thread; VROOM exploration level 5, one "
            f"thread, no timeout; {meta['jobs']} instance(s) in parallel processes. Distances "
            "recomputed in float; *valid* = accepted by `louise.routing.validate` on the scaled "
            "integer problem and on the exact float one."
        )
    pyvrp = ""
    if "pyvrp" in solvers:
        pyvrp = "; PyVRP: `MaxRuntime`, model building included" + (
            f"; PyVRP model: {'; '.join(relaxed)}" if relaxed else ", exact model"
        )
    return (
        f"Command: {_command(meta, 'python -m benchmarks.routing.lilim')}. Run {meta['date']} "
        f"on {meta['cpu']}: every solver gets the same problem, {meta['time_limit']:g} s per "
        "instance and one thread (louise: OR-Tools; VROOM: exploration level 5 with the same "
        f"timeout{pyvrp}); {meta['jobs']} instance(s) in parallel processes. Distances "
        "recomputed in float; *valid* = accepted by `louise.routing.validate` on the scaled "
        "integer problem and on the exact float one."
    )


def _lilim_section(title: str, data: dict[str, Any]) -> list[str]:
    meta, rows = data["meta"], data["rows"]
    solvers = solvers_in(rows)
    relaxed = sorted({x for r in rows for x in r.get("pyvrp_relaxed", [])})
    out = [
        f"## Li & Lim, {title} ({len(rows)} instances"
        + (", a subset" if meta.get("subset") else "")
        + ")",
        "",
        _lilim_how(meta, solvers, relaxed),
        "",
        "| solver | vehicles | BKS vehicles | vehicle gap | fleet hits | mean distance gap on "
        "hits | total distance | valid | unassigned | mean wall time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in solvers:
        t = lilim_totals(rows, s)
        out.append(
            f"| {LABEL[s]} | {t['vehicles']} | {t['bks_vehicles']} | {t['vehicle_gap']:+.2f} % | "
            f"{t['hits']}/{t['instances']} | {t['mean_gap_on_hits']:+.2f} % | "
            f"{t['distance']:.1f} | {t['valid']}/{t['instances']} | {t['unassigned']} | "
            f"{t['mean_wall']:.2f} s |"
        )
    out += ["", "<details><summary>per instance</summary>", ""]
    head = "| instance | BKS veh. | BKS dist. |"
    sep = "| --- | ---: | ---: |"
    for s in solvers:
        head += f" {LABEL[s]} veh. | dist. | gap | valid | wall |"
        sep += " ---: | ---: | ---: | :-: | ---: |"
    out += [head, sep]
    for r in rows:
        line = f"| {r['instance']} | {r['bks_vehicles']} | {r['bks_distance']:.2f} |"
        for s in solvers:
            line += (
                f" {r[f'{s}_vehicles']} | {r[f'{s}_distance']:.2f} | "
                f"{_gap(r[f'{s}_distance'], r['bks_distance']):+.2f} % | "
                f"{'yes' if r[f'{s}_valid'] else 'NO'} | {r[f'{s}_wall']:.1f} s |"
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
        (f"Command: `{meta['command']}`. " if "command" in meta else "")
        + f"Run {meta['date']} on {meta['cpu']}, seed {meta['seed']}: shipments between real "
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


def _evenings_section(data: dict[str, Any]) -> list[str]:
    meta, rows = data["meta"], data["rows"]
    solvers = [x for x in SOLVERS if any(x in r for r in rows)]
    relaxed = sorted({x for r in rows for x in r.get("pyvrp", {}).get("relaxed", [])})
    out = [
        "## Mixed evenings (Essen addresses): louise, VROOM and PyVRP",
        "",
        f"Command: {_command(meta, 'python -m benchmarks.routing.evenings')}. Run "
        f"{meta['date']} on {meta['cpu']}, seed {meta['seed']}: two thirds resident ↔ shop "
        "shipments (resident side one or two windows), one third hub parcels (jobs with "
        "`delivery` amounts), `bike` and `car` profiles with their own matrices, skills sending "
        "the outer districts (> 6 km) to the e-car, one 15-minute break per shift inside "
        "18:00–19:30, capacities in litres and kg; see `benchmarks/routing/evenings.py`. Every "
        f"solver gets the same VROOM JSON, the same time limit ({meta['time_limit']:g} s, "
        f"{meta.get('large_time_limit', meta['time_limit']):g} s from 1000 tasks on) and one "
        "thread (VROOM: "
        "exploration level 5 with that timeout). *unassigned* counts jobs and shipments (hub "
        "parcels in brackets); *cost* is recomputed the same way for every plan (fixed costs + "
        "travel seconds); *valid* = accepted by `louise.routing.validate` on the real problem, "
        "under the break reading the solver plans with: louise and PyVRP (re-timed by louise) "
        "at a stop, VROOM on the road (a break may split a ride, as VROOM's maintainer "
        "describes its breaks in VROOM issue #568); *yes\\** marks a VROOM plan that would not "
        "pass under the stricter at-stop reading. "
        f"{meta['jobs']} evening(s) in parallel processes.",
        "",
    ]
    if "pyvrp" in solvers:
        out += [
            "PyVRP 0.14.1 cannot express the whole evening, so its model is relaxed: "
            + "; ".join(relaxed)
            + ". Its plan is then re-timed on the real problem, and counted only if valid "
            "there; *dropped in repair* are the tasks removed from its routes when the breaks "
            "were put back.",
            "",
        ]
    head = "| tasks (shipments + hub parcels) | vehicles | limit |"
    sep = "| ---: | ---: | ---: |"
    for x in solvers:
        head += f" {LABEL[x]} unassigned | used | cost | valid | wall |"
        sep += " ---: | ---: | ---: | :-: | ---: |"
    if "pyvrp" in solvers:
        head += " PyVRP dropped in repair |"
        sep += " ---: |"
    if "vroom" in solvers:
        head += " louise vs VROOM |"
        sep += " --- |"
    out += [head, sep]
    for r in rows:
        limit = r.get("time_limit", meta["time_limit"])
        line = (
            f"| {r['tasks']} ({r['shipments']} + {r['hub_parcels']}) | {r['fleet']} | {limit:g} s |"
        )
        for x in solvers:
            f = r.get(x)
            if f is None:
                line += " – | – | – | – | – |"
                continue
            line += (
                f" {f['unassigned']} ({f['hub_unassigned']}) | {f['vehicles']} | "
                f"{f['cost']:.0f} | {_valid(f)} | {f['wall']:.1f} s |"
            )
        if "pyvrp" in solvers:
            line += f" {r.get('pyvrp', {}).get('repair_dropped', '–')} |"
        if "vroom" in solvers and "vroom" in r:
            lo, vr = r["louise"], r["vroom"]
            if lo["unassigned"] == vr["unassigned"]:
                verdict = f"same served, cost {_gap(lo['cost'], vr['cost']):+.2f} %"
            else:
                verdict = f"unassigned {lo['unassigned'] - vr['unassigned']:+d}"
            line += f" {verdict} |"
        out.append(line)
    out += ["", ESSEN_CREDIT + ".", ""]
    return out


def write_markdown() -> None:
    out = [
        "# Routing benchmarks",
        "",
        "Generated by `python -m benchmarks.routing.lilim`, "
        "`python -m benchmarks.routing.evenings` and "
        "`python -m benchmarks.routing.scaling` (or `python -m benchmarks.routing.report`) "
        "from the files in "
        "`benchmarks/routing/results/`; do not edit by hand. Targets and what was tried: "
        "see docs/routing.md.",
        "",
    ]
    for size in ("100", "200"):
        path = RESULTS_DIR / f"lilim_{size}.json"
        if path.exists():
            out += _lilim_section(f"{size}-task set", json.loads(path.read_text()))
    path = RESULTS_DIR / "lilim_sample.json"
    if path.exists():
        out += _lilim_section("sample", json.loads(path.read_text()))
    path = RESULTS_DIR / "evenings.json"
    if path.exists():
        out += _evenings_section(json.loads(path.read_text()))
    path = RESULTS_DIR / "scaling.json"
    if path.exists():
        out += _scaling_section(json.loads(path.read_text()))
    out += [
        "## Credits",
        "",
        "- Li & Lim PDPTW instances (Li and Lim, 2001) and best-known solutions as listed by "
        "SINTEF TOP (https://www.sintef.no/projectweb/top/pdptw/li-lim-benchmark/), via the "
        "public-domain copy in rogalski-wmii-uni-lodz-pl/vrp-benchmarks.",
        "- VROOM (BSD-2-Clause) through pyvroom 1.15.2; PyVRP 0.14.1 (MIT).",
        f"- Essen house addresses: {ESSEN_CREDIT}.",
        "",
    ]
    MARKDOWN.parent.mkdir(parents=True, exist_ok=True)
    MARKDOWN.write_text("\n".join(out))


if __name__ == "__main__":
    write_markdown()


def _valid(f: dict[str, Any]) -> str:
    """yes / NO, and yes\\* for a plan valid only under the on-road reading of breaks."""
    if not f["valid"]:
        return "NO"
    return "yes\\*" if f.get("valid_at_stop") is False else "yes"
