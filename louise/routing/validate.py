"""An independent check of a solution against its problem, in float arithmetic.

Nothing here asks the solver: the travel between consecutive steps, loads, windows, breaks,
skills, pairing and every per-vehicle limit are recomputed from the problem's data and
compared with the times and loads the solution reports.

Time semantics (see docs/routing.md): a step's task starts at ``arrival + waiting_time``,
which must lie in one of its windows; setup applies when the previous stop was elsewhere;
the vehicle leaves after setup and service. A break starts inside one of its windows, not
before the vehicle left the previous stop. Where the next stop can be reached depends on the
reading of breaks the plan declares (``Summary.break_reading``, or ``reading=``):

- ``at_stop`` (VROOM's, the default): the break is taken at the stop before it, so the ride to
  the next stop starts when the break ends: arrival >= break end + travel;
- ``on_road``: a courier may pause during the ride: arrival >= departure + travel + the
  breaks taken on the way (and not before the break ends).

Every plan valid under ``at_stop`` is valid under ``on_road``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from louise.routing.matrix import with_matrices
from louise.routing.problem import Problem, Task, TimeWindow, Vehicle, capacity_of, pad
from louise.routing.solution import BREAK_READINGS, Solution, Step

TASK_TYPES = ("job", "pickup", "delivery")


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``kind`` (a stable code), where (vehicle id, step index) and why."""

    kind: str
    route: int | None
    step: int | None
    message: str

    def __str__(self) -> str:
        where = "" if self.route is None else f"vehicle {self.route}"
        if self.step is not None:
            where += f" step {self.step}"
        return (
            f"[{self.kind}] {where}: {self.message}" if where else f"[{self.kind}] {self.message}"
        )


@dataclass(frozen=True)
class ValidationReport:
    """All violations found; ``ok`` when there are none."""

    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations

    def kinds(self) -> set[str]:
        return {v.kind for v in self.violations}

    def __str__(self) -> str:
        if self.ok:
            return "solution is feasible"
        return "\n".join(str(v) for v in self.violations)


def _in_windows(t: float, windows: Sequence[TimeWindow], tol: float) -> bool:
    return not windows or any(w.contains(t, tol) for w in windows)


def validate(
    problem: Problem,
    solution: Solution,
    *,
    tolerance: float = 1e-6,
    reading: str | None = None,
) -> ValidationReport:
    """Re-check every constraint of ``solution``; never raises for a bad solution.

    Breaks are read as ``reading`` says, by default as the solution declares
    (``solution.summary.break_reading``; VROOM's own output declares nothing and is read
    ``on_road``, as VROOM plans it).
    """
    if reading is None:
        reading = solution.summary.break_reading
    if reading not in BREAK_READINGS:
        raise ValueError(f"unknown break reading {reading!r}")
    at_stop = reading == "at_stop"
    problem = with_matrices(problem)
    out: list[Violation] = []
    tol = tolerance
    dims = problem.dimensions

    def bad(kind: str, route: int | None, step: int | None, message: str) -> None:
        out.append(Violation(kind, route, step, message))

    vehicles = {v.id: v for v in problem.vehicles}
    tasks: dict[tuple[str, int], Task] = {("job", j.id): j for j in problem.jobs}
    pair_of: dict[tuple[str, int], int] = {}
    amount_of: dict[tuple[str, int], tuple[float, ...]] = {}
    skills_of: dict[tuple[str, int], frozenset[int]] = {
        ("job", j.id): j.skills for j in problem.jobs
    }
    for k, s in enumerate(problem.shipments):
        for kind, t in (("pickup", s.pickup), ("delivery", s.delivery)):
            tasks[(kind, t.id)] = t
            pair_of[(kind, t.id)] = k
            amount_of[(kind, t.id)] = pad(s.amount, dims)
            skills_of[(kind, t.id)] = s.skills

    served: dict[tuple[str, int], tuple[int, int]] = {}  # task -> (vehicle, position)
    seen_vehicles: set[int] = set()

    for route in solution.routes:
        vid = route.vehicle
        vehicle = vehicles.get(vid)
        if vehicle is None:
            bad("unknown_vehicle", vid, None, f"no vehicle with id {vid}")
            continue
        if vid in seen_vehicles:
            bad("duplicate_vehicle", vid, None, "vehicle has more than one route")
            continue
        seen_vehicles.add(vid)
        _check_route(
            problem, vehicle, route.steps, tasks, amount_of, skills_of, served, bad, tol, at_stop
        )

    # pairs: same vehicle, pickup first
    for k, s in enumerate(problem.shipments):
        p = served.get(("pickup", s.pickup.id))
        d = served.get(("delivery", s.delivery.id))
        if (p is None) != (d is None):
            which = "pickup" if p is not None else "delivery"
            bad(
                "same_vehicle",
                (p or d or (None, None))[0],
                None,
                f"shipment {k}: only the {which} is served",
            )
        elif p is not None and d is not None:
            if p[0] != d[0]:
                bad(
                    "same_vehicle",
                    p[0],
                    None,
                    f"pickup {s.pickup.id} on vehicle {p[0]}, delivery {s.delivery.id} on {d[0]}",
                )
            elif p[1] > d[1]:
                bad(
                    "precedence",
                    p[0],
                    d[1],
                    f"delivery {s.delivery.id} comes before its pickup {s.pickup.id}",
                )

    # every task either served or reported unassigned, not both
    unassigned = {(u.type, u.id) for u in solution.unassigned}
    for key in tasks:
        if key in served and key in unassigned:
            bad("duplicate_task", None, None, f"{key[0]} {key[1]} is both served and unassigned")
        elif key not in served and key not in unassigned:
            bad("missing_task", None, None, f"{key[0]} {key[1]} is neither served nor unassigned")
    for key in unassigned - set(tasks):
        bad("unknown_task", None, None, f"unassigned {key[0]} {key[1]} is not in the problem")
    return ValidationReport(tuple(out))


def _check_route(
    problem: Problem,
    vehicle: Vehicle,
    steps: Sequence[Step],
    tasks: dict[tuple[str, int], Task],
    amount_of: dict[tuple[str, int], tuple[float, ...]],
    skills_of: dict[tuple[str, int], frozenset[int]],
    served: dict[tuple[str, int], tuple[int, int]],
    report: Callable[[str, int | None, int | None, str], None],
    tol: float,
    at_stop: bool = True,
) -> None:
    vid = vehicle.id
    dims = problem.dimensions
    m = problem.matrices[vehicle.profile]
    assert m.durations is not None
    durations = np.asarray(m.durations) / vehicle.speed_factor
    distances = m.distances
    steps_ = list(steps)
    task_steps = [s for s in steps_ if s.type in TASK_TYPES]
    if not task_steps:
        return  # an unused vehicle: nothing to check
    types = [s.type for s in steps_]
    if vehicle.start is not None and (not types or types[0] != "start"):
        report("structure", vid, 0, "route must begin with a 'start' step")
    if vehicle.end is not None and (not types or types[-1] != "end"):
        report("structure", vid, len(types) - 1, "route must finish with an 'end' step")
    if "start" in types[1:] or "end" in types[:-1]:
        report("structure", vid, None, "'start'/'end' steps only at the ends of a route")

    capacity = capacity_of(vehicle, dims)
    load = [0.0] * dims
    for s in task_steps:
        t = tasks.get((s.type, s.id if s.id is not None else -1))
        if s.type == "job" and t is not None:
            for i, x in enumerate(pad(t.delivery, dims)):
                load[i] += x

    def check_load(pos: int) -> None:
        for i in range(dims):
            if load[i] > capacity[i] + tol:
                report(
                    "capacity",
                    vid,
                    pos,
                    f"load {load[i]:g} exceeds capacity {capacity[i]:g} (dimension {i})",
                )
            if load[i] < -tol:
                report("capacity", vid, pos, f"load {load[i]:g} below zero (dimension {i})")

    check_load(0)

    # time and travel
    tw = vehicle.time_window
    loc: int | None = vehicle.start.index if vehicle.start is not None else None
    free_at = 0.0 if tw is None else tw.start  # earliest departure from the current place
    travel_time = 0.0
    travel_distance = 0.0
    pending_break = 0.0  # break time taken since the last stop
    last_break_end = -np.inf
    breaks_done: set[int] = set()
    breaks = {b.id: b for b in vehicle.breaks}
    prev_loc_for_setup: int | None = loc
    n_tasks = 0
    first_task = True

    for pos, s in enumerate(steps_):
        if s.type == "start":
            if tw is not None and s.arrival + s.waiting_time < tw.start - tol:
                report("vehicle_time_window", vid, pos, "leaves before its shift starts")
            free_at = max(free_at, s.arrival + s.waiting_time)
            continue
        if s.type == "break":
            b = breaks.get(s.id if s.id is not None else -1)
            if b is None:
                report("break", vid, pos, f"vehicle has no break {s.id}")
                continue
            if b.id in breaks_done:
                report("break", vid, pos, f"break {b.id} taken twice")
            breaks_done.add(b.id)
            start = s.arrival + s.waiting_time
            if not _in_windows(start, b.time_windows, tol):
                report("break", vid, pos, f"break {b.id} starts at {start:g}, outside its windows")
            if start < free_at - tol:
                report("break", vid, pos, f"break {b.id} starts at {start:g} before {free_at:g}")
            if s.service < b.service - tol:
                report("break", vid, pos, f"break {b.id} lasts {s.service:g} < {b.service:g}")
            if start < last_break_end - tol:
                report("break", vid, pos, f"break {b.id} overlaps the previous break")
            pending_break += b.service
            last_break_end = max(last_break_end, start + b.service)
            continue
        # a task or the end
        target: int | None
        if s.type == "end":
            target = vehicle.end.index if vehicle.end is not None else loc
        else:
            key = (s.type, s.id if s.id is not None else -1)
            t = tasks.get(key)
            if t is None:
                report("unknown_task", vid, pos, f"{s.type} {s.id} is not in the problem")
                continue
            if key in served:
                report("duplicate_task", vid, pos, f"{s.type} {s.id} is served twice")
                continue
            served[key] = (vid, pos)
            n_tasks += 1
            target = t.location.index
            if s.location is not None and s.location.index not in (None, target):
                report("location", vid, pos, f"{s.type} {s.id} reported at the wrong place")
            if not skills_of[key] <= vehicle.skills:
                missing = sorted(skills_of[key] - vehicle.skills)
                report("skills", vid, pos, f"{s.type} {s.id} needs skills {missing}")
        if loc is None:  # no start: the route begins at its first task
            loc = target
            prev_loc_for_setup = None
        assert target is not None and loc is not None
        leg = float(durations[loc, target])
        travel_time += leg
        if distances is not None:
            travel_distance += float(distances[loc, target])
        if at_stop and pending_break:
            # the ride starts when the breaks taken at the previous stop end
            earliest = max(free_at, last_break_end) + leg
        else:
            earliest = free_at + leg + pending_break
        if first_task and vehicle.start is None:
            earliest = s.arrival  # no start: the route may begin whenever
        if s.arrival < earliest - tol * max(1.0, abs(earliest)):
            report(
                "travel_time",
                vid,
                pos,
                f"arrives at {s.arrival:g}, but cannot be there before {earliest:g}",
            )
        if s.arrival < last_break_end - tol:
            report("break", vid, pos, f"arrives at {s.arrival:g} during a break")
        pending_break = 0.0
        start_time = s.arrival + s.waiting_time
        if s.waiting_time < -tol:
            report("time_window", vid, pos, "negative waiting time")
        if s.type == "end":
            if tw is not None and s.arrival > tw.end + tol:
                report(
                    "vehicle_time_window",
                    vid,
                    pos,
                    f"back at {s.arrival:g}, after the shift ends at {tw.end:g}",
                )
            loc = target
            continue
        assert t is not None
        if not _in_windows(start_time, t.time_windows, tol):
            report(
                "time_window",
                vid,
                pos,
                f"{s.type} {s.id} starts at {start_time:g}, outside its time windows",
            )
        if tw is not None and start_time < tw.start - tol:
            report("vehicle_time_window", vid, pos, "task starts before the shift")
        setup = t.setup if target != prev_loc_for_setup else 0.0
        free_at = start_time + setup + t.service
        loc = target
        prev_loc_for_setup = target
        first_task = False
        # load
        if s.type == "job":
            for i, x in enumerate(pad(t.delivery, dims)):
                load[i] -= x
            for i, x in enumerate(pad(t.pickup, dims)):
                load[i] += x
        else:
            sign = 1.0 if s.type == "pickup" else -1.0
            for i, x in enumerate(amount_of[key]):
                load[i] += sign * x
        check_load(pos)
        if s.load and any(abs(a - b) > tol for a, b in zip(pad(s.load, dims), load, strict=False)):
            report("load", vid, pos, f"reported load {list(s.load)} differs from {load}")

    if vehicle.end is None and tw is not None and free_at > tw.end + tol:
        report("vehicle_time_window", vid, None, "last task ends after the shift")
    missing_breaks = set(breaks) - breaks_done
    if missing_breaks:
        report("missing_break", vid, None, f"breaks not taken: {sorted(missing_breaks)}")
    if vehicle.max_tasks is not None and n_tasks > vehicle.max_tasks:
        report("max_tasks", vid, None, f"{n_tasks} tasks > max_tasks {vehicle.max_tasks}")
    if vehicle.max_travel_time is not None and travel_time > vehicle.max_travel_time + tol:
        report(
            "max_travel_time",
            vid,
            None,
            f"travel time {travel_time:g} > max_travel_time {vehicle.max_travel_time:g}",
        )
    if vehicle.max_distance is not None and travel_distance > vehicle.max_distance + tol:
        report(
            "max_distance",
            vid,
            None,
            f"distance {travel_distance:g} > max_distance {vehicle.max_distance:g}",
        )
