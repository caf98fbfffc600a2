"""VROOM's JSON format ⇄ Problem and Solution (the subset described in docs/routing.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from louise.routing.problem import (
    Break,
    Costs,
    Location,
    Problem,
    ProblemError,
    ProfileMatrices,
    Shipment,
    Task,
    TimeWindow,
    Vehicle,
)
from louise.routing.solution import Route, Solution, Step, Summary, Unassigned

TOP_KEYS = {"vehicles", "jobs", "shipments", "matrices"}
VEHICLE_KEYS = {
    "id", "profile", "description", "start", "start_index", "end", "end_index", "capacity",
    "costs", "skills", "time_window", "breaks", "speed_factor", "max_tasks", "max_travel_time",
    "max_distance",
}  # fmt: skip
JOB_KEYS = {
    "id", "description", "location", "location_index", "setup", "service", "delivery",
    "pickup", "amount", "skills", "priority", "time_windows",
}  # fmt: skip
SHIPMENT_KEYS = {"pickup", "delivery", "amount", "skills", "priority"}
STEP_KEYS = {"id", "description", "location", "location_index", "setup", "service", "time_windows"}
BREAK_KEYS = {"id", "time_windows", "service", "description"}
COSTS_KEYS = {"fixed", "per_hour", "per_km"}
MATRIX_KEYS = {"durations", "distances", "costs"}


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProblemError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def _keys(obj: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ProblemError(
            f"{what}: unknown field(s) {', '.join(map(repr, unknown))} "
            f"(supported: {', '.join(sorted(allowed))})"
        )


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(f"{what}: expected an integer, got {value!r}")
    return value


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProblemError(f"{what}: expected a number, got {value!r}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProblemError(f"{what}: expected an array, got {type(value).__name__}")
    return value


def _numbers(value: Any, what: str) -> tuple[float, ...]:
    return tuple(_num(v, what) for v in _list(value, what))


def _ints(value: Any, what: str) -> frozenset[int]:
    return frozenset(_int(v, what) for v in _list(value, what))


def _window(value: Any, what: str) -> TimeWindow:
    pair = _list(value, what)
    if len(pair) != 2:
        raise ProblemError(f"{what}: a time window is [start, end]")
    return TimeWindow(_num(pair[0], what), _num(pair[1], what))


def _location(obj: Mapping[str, Any], key: str, index_key: str, what: str) -> Location | None:
    coords = obj.get(key)
    index = obj.get(index_key)
    if coords is None and index is None:
        return None
    c: tuple[float, float] | None = None
    if coords is not None:
        pair = _list(coords, f"{what} {key}")
        if len(pair) != 2:
            raise ProblemError(f"{what} {key}: coordinates are [lon, lat]")
        c = (_num(pair[0], f"{what} {key}"), _num(pair[1], f"{what} {key}"))
    i = _int(index, f"{what} {index_key}") if index is not None else None
    return Location(index=i, coordinates=c)


def _task(obj: Mapping[str, Any], what: str, *, shipment_step: bool) -> Task:
    _keys(obj, STEP_KEYS if shipment_step else JOB_KEYS, what)
    if "id" not in obj:
        raise ProblemError(f"{what}: missing 'id'")
    tid = _int(obj["id"], f"{what} id")
    what = f"{what} {tid}"
    loc = _location(obj, "location", "location_index", what)
    if loc is None:
        raise ProblemError(f"{what}: needs a location or a location_index")
    delivery = _numbers(obj.get("delivery", []), f"{what} delivery") if not shipment_step else ()
    if not shipment_step and "amount" in obj:
        if "delivery" in obj:
            raise ProblemError(f"{what}: give 'delivery', not both 'amount' and 'delivery'")
        delivery = _numbers(obj["amount"], f"{what} amount")
    return Task(
        id=tid,
        location=loc,
        setup=_num(obj.get("setup", 0), f"{what} setup"),
        service=_num(obj.get("service", 0), f"{what} service"),
        delivery=delivery,
        pickup=_numbers(obj.get("pickup", []), f"{what} pickup") if not shipment_step else (),
        skills=_ints(obj.get("skills", []), f"{what} skills"),
        priority=_int(obj.get("priority", 0), f"{what} priority"),
        time_windows=tuple(
            _window(w, f"{what} time_windows")
            for w in _list(obj.get("time_windows", []), f"{what} time_windows")
        ),
        description=str(obj.get("description", "")),
    )


def _vehicle(obj: Mapping[str, Any]) -> Vehicle:
    _keys(obj, VEHICLE_KEYS, "vehicle")
    if "id" not in obj:
        raise ProblemError("vehicle: missing 'id'")
    vid = _int(obj["id"], "vehicle id")
    what = f"vehicle {vid}"
    costs_obj = _obj(obj.get("costs", {}), f"{what} costs")
    _keys(costs_obj, COSTS_KEYS, f"{what} costs")
    breaks = []
    for b in _list(obj.get("breaks", []), f"{what} breaks"):
        b = _obj(b, f"{what} break")
        _keys(b, BREAK_KEYS, f"{what} break")
        bid = _int(b.get("id"), f"{what} break id")
        breaks.append(
            Break(
                id=bid,
                time_windows=tuple(
                    _window(w, f"{what} break {bid}")
                    for w in _list(b.get("time_windows", []), f"{what} break {bid} time_windows")
                ),
                service=_num(b.get("service", 0), f"{what} break {bid} service"),
                description=str(b.get("description", "")),
            )
        )
    return Vehicle(
        id=vid,
        start=_location(obj, "start", "start_index", what),
        end=_location(obj, "end", "end_index", what),
        profile=str(obj.get("profile", "car")),
        capacity=_numbers(obj.get("capacity", []), f"{what} capacity"),
        skills=_ints(obj.get("skills", []), f"{what} skills"),
        time_window=_window(obj["time_window"], f"{what} time_window")
        if "time_window" in obj
        else None,
        breaks=tuple(breaks),
        max_tasks=_int(obj["max_tasks"], f"{what} max_tasks") if "max_tasks" in obj else None,
        max_travel_time=_num(obj["max_travel_time"], f"{what} max_travel_time")
        if "max_travel_time" in obj
        else None,
        max_distance=_num(obj["max_distance"], f"{what} max_distance")
        if "max_distance" in obj
        else None,
        speed_factor=_num(obj.get("speed_factor", 1.0), f"{what} speed_factor"),
        costs=Costs(
            fixed=_num(costs_obj.get("fixed", 0), f"{what} costs.fixed"),
            per_hour=_num(costs_obj.get("per_hour", 3600), f"{what} costs.per_hour"),
            per_km=_num(costs_obj.get("per_km", 0), f"{what} costs.per_km"),
        ),
        description=str(obj.get("description", "")),
    )


def _matrix(value: Any, what: str) -> list[list[float]]:
    rows = _list(value, what)
    n = len(rows)
    out = []
    for i, row in enumerate(_list(r, f"{what} row") for r in rows):
        if len(row) != n:
            raise ProblemError(f"{what}: row {i} has {len(row)} values, expected {n} (square)")
        out.append([_num(v, what) for v in row])
    return out


def problem_from_vroom(data: Mapping[str, Any] | str) -> Problem:
    """Parse VROOM input JSON; every problem is reported as ProblemError."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ProblemError(f"invalid JSON: {exc}") from exc
    root = _obj(data, "problem")
    _keys(root, TOP_KEYS, "problem")
    vehicles = tuple(_vehicle(_obj(v, "vehicle")) for v in _list(root.get("vehicles"), "vehicles"))
    jobs = tuple(
        _task(_obj(j, "job"), "job", shipment_step=False)
        for j in _list(root.get("jobs", []), "jobs")
    )
    shipments = []
    for s in _list(root.get("shipments", []), "shipments"):
        s = _obj(s, "shipment")
        _keys(s, SHIPMENT_KEYS, "shipment")
        if "pickup" not in s or "delivery" not in s:
            raise ProblemError("shipment: needs 'pickup' and 'delivery'")
        pickup = _task(_obj(s["pickup"], "shipment pickup"), "pickup", shipment_step=True)
        shipments.append(
            Shipment(
                pickup=pickup,
                delivery=_task(
                    _obj(s["delivery"], "shipment delivery"), "delivery", shipment_step=True
                ),
                amount=_numbers(s.get("amount", []), f"shipment {pickup.id} amount"),
                skills=_ints(s.get("skills", []), f"shipment {pickup.id} skills"),
                priority=_int(s.get("priority", 0), f"shipment {pickup.id} priority"),
            )
        )
    matrices = {}
    for profile, m in _obj(root.get("matrices", {}), "matrices").items():
        m = _obj(m, f"matrices {profile}")
        _keys(m, MATRIX_KEYS, f"matrices {profile}")
        matrices[str(profile)] = ProfileMatrices(
            **{k: _matrix(v, f"matrices {profile} {k}") for k, v in m.items()}  # type: ignore[arg-type]
        )
    if not jobs and not shipments:
        raise ProblemError("the problem has no jobs and no shipments")
    return Problem(vehicles=vehicles, jobs=jobs, shipments=shipments, matrices=matrices)


def _out(x: float) -> float:
    """Integers stay integers in the JSON (VROOM writes integers)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def _outs(xs: tuple[float, ...]) -> list[float]:
    return [_out(x) for x in xs]


def _location_json(loc: Location | None, key: str, index_key: str, out: dict[str, Any]) -> None:
    if loc is None:
        return
    if loc.coordinates is not None:
        out[key] = list(loc.coordinates)
    if loc.index is not None:
        out[index_key] = loc.index


def _task_json(t: Task, *, shipment_step: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": t.id}
    if t.description:
        out["description"] = t.description
    _location_json(t.location, "location", "location_index", out)
    if t.setup:
        out["setup"] = _out(t.setup)
    if t.service:
        out["service"] = _out(t.service)
    if not shipment_step:
        if t.delivery:
            out["delivery"] = _outs(t.delivery)
        if t.pickup:
            out["pickup"] = _outs(t.pickup)
        if t.skills:
            out["skills"] = sorted(t.skills)
        if t.priority:
            out["priority"] = t.priority
    if t.time_windows:
        out["time_windows"] = [[_out(w.start), _out(w.end)] for w in t.time_windows]
    return out


def problem_to_vroom(problem: Problem) -> dict[str, Any]:
    vehicles = []
    for v in problem.vehicles:
        out: dict[str, Any] = {"id": v.id, "profile": v.profile}
        if v.description:
            out["description"] = v.description
        _location_json(v.start, "start", "start_index", out)
        _location_json(v.end, "end", "end_index", out)
        if v.capacity:
            out["capacity"] = _outs(v.capacity)
        if v.costs != type(v.costs)():
            out["costs"] = {
                "fixed": _out(v.costs.fixed),
                "per_hour": _out(v.costs.per_hour),
                "per_km": _out(v.costs.per_km),
            }
        if v.skills:
            out["skills"] = sorted(v.skills)
        if v.time_window is not None:
            out["time_window"] = [_out(v.time_window.start), _out(v.time_window.end)]
        if v.breaks:
            out["breaks"] = [
                {
                    "id": b.id,
                    "time_windows": [[_out(w.start), _out(w.end)] for w in b.time_windows],
                    "service": _out(b.service),
                    **({"description": b.description} if b.description else {}),
                }
                for b in v.breaks
            ]
        if v.speed_factor != 1.0:
            out["speed_factor"] = v.speed_factor
        if v.max_tasks is not None:
            out["max_tasks"] = v.max_tasks
        if v.max_travel_time is not None:
            out["max_travel_time"] = _out(v.max_travel_time)
        if v.max_distance is not None:
            out["max_distance"] = _out(v.max_distance)
        vehicles.append(out)
    result: dict[str, Any] = {"vehicles": vehicles}
    if problem.jobs:
        result["jobs"] = [_task_json(j, shipment_step=False) for j in problem.jobs]
    if problem.shipments:
        shipments = []
        for s in problem.shipments:
            sj: dict[str, Any] = {
                "pickup": _task_json(s.pickup, shipment_step=True),
                "delivery": _task_json(s.delivery, shipment_step=True),
            }
            if s.amount:
                sj["amount"] = _outs(s.amount)
            if s.skills:
                sj["skills"] = sorted(s.skills)
            if s.priority:
                sj["priority"] = s.priority
            shipments.append(sj)
        result["shipments"] = shipments
    if problem.matrices:
        result["matrices"] = {
            profile: {
                name: [[_out(float(x)) for x in row] for row in arr.tolist()]
                for name in ("durations", "distances", "costs")
                if (arr := getattr(m, name)) is not None
            }
            for profile, m in problem.matrices.items()
        }
    return result


def solution_to_vroom(solution: Solution) -> dict[str, Any]:
    s = solution.summary
    out: dict[str, Any] = {
        "code": solution.code,
        "summary": {
            "cost": _out(s.cost),
            "routes": s.routes,
            "unassigned": s.unassigned,
            "setup": _out(s.setup),
            "service": _out(s.service),
            "duration": _out(s.duration),
            "waiting_time": _out(s.waiting_time),
            "priority": s.priority,
            "distance": _out(s.distance),
            "computing_times": dict(s.computing_times),
            # not VROOM's: how the breaks in this plan are read; VROOM's own output, which
            # has no such field, lets a break split a ride ("on_road", VROOM issue #568)
            "break_reading": s.break_reading,
        },
        "unassigned": [],
        "routes": [],
    }
    if s.delivery:
        out["summary"]["delivery"] = _outs(s.delivery)
        out["summary"]["pickup"] = _outs(s.pickup)
    for u in solution.unassigned:
        uj: dict[str, Any] = {"id": u.id, "type": u.type, "reason": u.reason}
        if u.description:
            uj["description"] = u.description
        _location_json(u.location, "location", "location_index", uj)
        out["unassigned"].append(uj)
    for r in solution.routes:
        rj: dict[str, Any] = {
            "vehicle": r.vehicle,
            "cost": _out(r.cost),
            "setup": _out(r.setup),
            "service": _out(r.service),
            "duration": _out(r.duration),
            "waiting_time": _out(r.waiting_time),
            "priority": r.priority,
            "distance": _out(r.distance),
            "steps": [],
        }
        if r.delivery:
            rj["delivery"] = _outs(r.delivery)
            rj["pickup"] = _outs(r.pickup)
        if r.description:
            rj["description"] = r.description
        for st in r.steps:
            sj: dict[str, Any] = {"type": st.type}
            if st.id is not None:
                sj["id"] = st.id
            if st.description:
                sj["description"] = st.description
            _location_json(st.location, "location", "location_index", sj)
            sj.update(
                arrival=_out(st.arrival),
                duration=_out(st.duration),
                setup=_out(st.setup),
                service=_out(st.service),
                waiting_time=_out(st.waiting_time),
                distance=_out(st.distance),
            )
            if st.load:
                sj["load"] = _outs(st.load)
            rj["steps"].append(sj)
        out["routes"].append(rj)
    return out


def _f(obj: Mapping[str, Any], key: str, default: float = 0) -> float:
    value = obj.get(key, default)
    if value is None:
        return default
    return _num(value, key)


def solution_from_vroom(data: Mapping[str, Any] | str) -> Solution:
    """Parse a VROOM output (ours, or VROOM's own, e.g. from pyvroom) into a Solution."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ProblemError(f"invalid JSON: {exc}") from exc
    root = _obj(data, "solution")
    routes = []
    for r in _list(root.get("routes", []), "routes"):
        r = _obj(r, "route")
        steps = []
        for st in _list(r.get("steps", []), "steps"):
            st = _obj(st, "step")
            sid = st.get("id", st.get("job"))
            steps.append(
                Step(
                    type=str(st.get("type")),
                    id=_int(sid, "step id") if sid is not None else None,
                    location=_location(st, "location", "location_index", "step"),
                    arrival=_f(st, "arrival"),
                    duration=_f(st, "duration"),
                    setup=_f(st, "setup"),
                    service=_f(st, "service"),
                    waiting_time=_f(st, "waiting_time"),
                    load=_numbers(st.get("load", []), "step load"),
                    distance=_f(st, "distance"),
                    description=str(st.get("description", "")),
                )
            )
        routes.append(
            Route(
                vehicle=_int(r.get("vehicle"), "route vehicle"),
                steps=tuple(steps),
                cost=_f(r, "cost"),
                setup=_f(r, "setup"),
                service=_f(r, "service"),
                duration=_f(r, "duration"),
                waiting_time=_f(r, "waiting_time"),
                priority=int(_f(r, "priority")),
                delivery=_numbers(r.get("delivery", []), "route delivery"),
                pickup=_numbers(r.get("pickup", []), "route pickup"),
                distance=_f(r, "distance"),
                description=str(r.get("description", "")),
            )
        )
    unassigned = []
    for u in _list(root.get("unassigned", []), "unassigned"):
        u = _obj(u, "unassigned")
        unassigned.append(
            Unassigned(
                id=_int(u.get("id"), "unassigned id"),
                type=str(u.get("type", "job")),
                reason=str(u.get("reason", "")),
                location=_location(u, "location", "location_index", "unassigned"),
                description=str(u.get("description", "")),
            )
        )
    s = _obj(root.get("summary", {}), "summary")
    times = _obj(s.get("computing_times", {}), "computing_times")
    summary = Summary(
        cost=_f(s, "cost"),
        routes=int(_f(s, "routes", len(routes))),
        unassigned=int(_f(s, "unassigned", len(unassigned))),
        setup=_f(s, "setup"),
        service=_f(s, "service"),
        duration=_f(s, "duration"),
        waiting_time=_f(s, "waiting_time"),
        priority=int(_f(s, "priority")),
        delivery=_numbers(s.get("delivery", []), "summary delivery"),
        pickup=_numbers(s.get("pickup", []), "summary pickup"),
        distance=_f(s, "distance"),
        computing_times={str(k): int(v) for k, v in times.items() if isinstance(v, int | float)},
        # VROOM's own output has no such field: its plans follow its reading, "at_stop"
        break_reading=str(s.get("break_reading", "on_road")),
    )
    code = root.get("code", 0)
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        summary=summary,
        code=int(code) if isinstance(code, int) else 0,
    )


def dumps(obj: Mapping[str, Any]) -> str:
    """JSON text; non-finite numbers are refused (VROOM's format has none)."""

    def check(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            raise ProblemError("cannot write a non-finite number to JSON")
        return x

    return json.dumps(obj, indent=1, allow_nan=False, default=check)
