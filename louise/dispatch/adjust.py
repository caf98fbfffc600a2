"""A dispatcher's hand on a draft plan: move a leg to another route or place, or lock it.

Rules:
- only a draft changes; a published day is re-planned (its locked legs keep their shifts);
- the routes a move touches are timed anew in the order the dispatcher gave
  (:func:`louise.routing.schedule.schedule`: the leg's pickup at the position asked, its
  delivery right after it) and checked by the independent validator
  (:func:`louise.routing.validate.validate`); a move that misses a time window, overloads
  the vehicle, runs past the shift or sends a vehicle into a district it does not serve is
  refused with the reason (409 ``move_refused``), and nothing changes;
- a moved or locked leg stays on its route when the day is re-planned: the plan records it
  in ``stats.locks`` (leg id → shift id), which the next run of the day keeps
  (:func:`louise.dispatch.service.dispatcher_locks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings.models import Leg
from louise.dispatch import adapters, service
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, StopType
from louise.errors import Conflict, InvalidState, NotFound
from louise.routing.schedule import StepKey, schedule
from louise.routing.solution import Solution
from louise.routing.validate import ValidationReport, Violation, validate

#: the validator's findings, grouped into what a dispatcher is told
KIND_OF_VIOLATION = {
    "time_window": "time_window",
    "vehicle_time_window": "shift",
    "break": "shift",
    "missing_break": "shift",
    "capacity": "capacity",
    "skills": "district",
}


class MoveRefused(Conflict):
    """The move breaks a rule of the plan; ``kind`` says which (``time_window``,
    ``capacity``, ``shift``, ``district``, ``other``) and ``params`` what a page needs to say
    it in its own words (``code`` of the booking, ``at`` and the window as local "HH:MM",
    ``load_l`` and ``capacity_l``)."""

    code = "move_refused"

    def __init__(
        self, message: str, *, kind: str, params: Mapping[str, Any], field_name: str
    ) -> None:
        super().__init__(message, fields={"json": {field_name: [message]}})
        self.kind = kind
        self.params = dict(params)


@dataclass(frozen=True)
class Placement:
    """Where each leg of a plan is: route id and position among the route's tasks."""

    where: dict[int, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: Plan) -> Placement:
        where: dict[int, tuple[int, int]] = {}
        for route in plan.routes:
            tasks = [s for s in route.stops if s.leg_id is not None]
            for position, stop in enumerate(tasks, start=1):
                assert stop.leg_id is not None
                where.setdefault(stop.leg_id, (route.shift_id or -route.id, position))
        return cls(where)


def changed_legs(before: Plan | None, after: Plan) -> dict[int, str]:
    """Legs of ``after`` whose shift (``"route"``) or place in their route (``"position"``)
    differs from ``before``, or that ``before`` did not route (``"new"``)."""
    if before is None:
        return {}
    old, new = Placement.of(before).where, Placement.of(after).where
    out: dict[int, str] = {}
    for leg_id, (shift, position) in new.items():
        if leg_id not in old:
            out[leg_id] = "new"
        elif old[leg_id][0] != shift:
            out[leg_id] = "route"
        elif old[leg_id][1] != position:
            out[leg_id] = "position"
    return out


def previous_plan(session: Session, plan: Plan) -> Plan | None:
    """The day's last finished plan before ``plan`` (draft, published or superseded)."""
    return session.scalar(
        select(Plan)
        .where(
            Plan.day == plan.day,
            Plan.version < plan.version,
            Plan.status.in_((PlanStatus.DRAFT, PlanStatus.PUBLISHED, PlanStatus.SUPERSEDED)),
        )
        .order_by(Plan.version.desc())
        .limit(1)
    )


def _keys(route: PlanRoute) -> list[StepKey]:
    """The route's order as the planner's steps (breaks numbered as the shift lists them)."""
    keys: list[StepKey] = []
    breaks = 0
    for stop in route.stops:
        if stop.type == StopType.BREAK:
            breaks += 1
            keys.append(("break", breaks))
        elif stop.type in (StopType.PICKUP, StopType.DELIVERY) and stop.leg_id is not None:
            keys.append((stop.type.value, stop.leg_id))
    return keys


def move_leg(
    session: Session,
    actor: User,
    plan_id: int,
    leg_id: int,
    route_id: int,
    position: int | None,
    hub: tuple[float, float],
) -> Plan:
    """Put leg ``leg_id`` on route ``route_id`` of a draft, its pickup at ``position`` (1 =
    first stop after leaving the hub; None: at the end, or where it is on its own route,
    which only locks it) and its delivery right after; lock it there. Refused with the
    validator's reason when the changed routes break a rule (nothing changes then)."""
    plan = service.get_plan(session, actor, plan_id)
    if plan.status != PlanStatus.DRAFT:
        raise InvalidState(
            f"Plan {plan_id} is {plan.status.value}; only a draft changes. Re-plan the day.",
            fields={"json": {"route_id": ["Only a draft plan can be changed."]}},
        )
    target = next((r for r in plan.routes if r.id == route_id), None)
    if target is None:
        raise NotFound(
            f"Plan {plan_id} has no route {route_id}.",
            fields={"json": {"route_id": ["No such route on this plan."]}},
        )
    source = next((r for r in plan.routes if any(s.leg_id == leg_id for s in r.stops)), None)
    if source is None and all(u.leg_id != leg_id for u in plan.unassigned):
        raise NotFound(f"Leg {leg_id} is not on plan {plan_id}.")
    legs, shifts, districts = service.load_day(session, plan.day)
    legs_by_id = {leg.id: leg for leg in legs}
    shifts_by_id = {s.id: s for s in shifts}
    changed = [target] if source is None or source.id == target.id else [source, target]
    for route in changed:
        if route.shift_id not in shifts_by_id:
            raise service.PlanStale(
                f"Route {route.id} lost its shift; re-plan the day.",
                fields={"json": {"route_id": ["This route's shift changed: re-plan the day."]}},
            )
    sequences = {route.id: _keys(route) for route in changed}
    mine = [("pickup", leg_id), ("delivery", leg_id)]
    kept_at = None
    if source is not None:
        old = sequences[source.id]
        kept_at = next(i for i, key in enumerate(old) if key == ("pickup", leg_id)) + 1
        sequences[source.id] = [key for key in old if key not in mine]
    order = sequences[target.id]
    if position is None:
        same = source is not None and source.id == target.id and kept_at is not None
        position = kept_at if same and kept_at is not None else len(order) + 1
    index = min(max(position, 1), len(order) + 1) - 1
    sequences[target.id] = [*order[:index], *mine, *order[index:]]
    needed = {key[1] for keys in sequences.values() for key in keys if key[0] != "break"}
    gone = sorted(needed - legs_by_id.keys())
    if gone:
        raise service.PlanStale(
            f"Legs {gone} are no longer scheduled; re-plan the day.",
            fields={"json": {"leg_id": ["The plan is out of date: re-plan the day."]}},
        )
    route_shift = {route.id: shifts_by_id[route.shift_id or 0] for route in changed}
    day_problem = adapters.build_problem(
        plan.day,
        [legs_by_id[i] for i in sorted(needed)],
        list(route_shift.values()),
        districts,
        hub,
    )
    solution = schedule(
        day_problem.problem, {route_shift[rid].id: keys for rid, keys in sequences.items()}
    )
    report = validate(day_problem.problem, solution)
    if not report.ok:
        raise _refusal(report, solution, day_problem, legs_by_id[leg_id], target)
    timed = {route.vehicle: route for route in solution.routes}
    for route in changed:
        shift = route_shift[route.id]
        fresh = timed[shift.id]
        row = service.route_row(shift, fresh, day_problem.origin)
        route.starts_at, route.ends_at = row.starts_at, row.ends_at
        route.distance_m, route.duration_s = row.distance_m, row.duration_s
        route.stops.clear()
        session.flush()  # the old stops go before the new ones take their numbers
        route.stops.extend(service.stop_rows(day_problem, fresh))
    for item in [u for u in plan.unassigned if u.leg_id == leg_id]:
        plan.unassigned.remove(item)
    for route in list(plan.routes):
        if not any(s.leg_id is not None for s in route.stops):
            plan.routes.remove(route)  # a route left with no stop is no route
    stats = dict(plan.stats or {})
    locks = dict(stats.get("locks") or {})
    locks[str(leg_id)] = target.shift_id
    stats["locks"] = locks
    summary = dict(stats.get("summary") or {})
    summary["unassigned"] = len(plan.unassigned)
    summary["routes"] = len(plan.routes)
    stats["summary"] = summary
    plan.stats = stats
    session.commit()
    return plan


def _local(seconds: float, origin: datetime) -> str:
    return f"{(origin + timedelta(seconds=seconds)).astimezone(adapters.BERLIN):%H:%M}"


def _first(violations: Iterable[Violation], kinds: set[str]) -> Violation | None:
    return next((v for v in violations if KIND_OF_VIOLATION.get(v.kind, "other") in kinds), None)


def _refusal(
    report: ValidationReport,
    solution: Solution,
    day_problem: adapters.DayProblem,
    leg: Leg,
    target: PlanRoute,
) -> MoveRefused:
    """The first broken rule, in words a dispatcher reads (time windows before capacity)."""
    origin = day_problem.origin
    params: dict[str, Any] = {"code": leg.booking.code, "route": target.id}
    for kind in ("time_window", "capacity", "shift", "district"):
        violation = _first(report.violations, {kind})
        if violation is None:
            continue
        if kind == "time_window":
            stop = _violating_stop(violation, solution, day_problem)
            if stop is not None:
                late, moment, (start, end) = stop
                params.update(
                    code=late.booking.code,
                    at=_local(moment, origin),
                    start=f"{start.astimezone(adapters.BERLIN):%H:%M}",
                    end=f"{end.astimezone(adapters.BERLIN):%H:%M}",
                )
                message = (
                    f"Booking {params['code']} would be served at {params['at']}, outside its "
                    f"window {params['start']}–{params['end']}."
                )
            else:
                message = f"A stop would miss its time window ({violation.message})."
            return MoveRefused(message, kind=kind, params=params, field_name="position")
        if kind == "capacity":
            shift = day_problem.shifts.get(violation.route or 0)
            capacity = shift.vehicle.capacity_l if shift is not None else 0
            params["capacity_l"] = f"{capacity:g}"
            message = (
                f"The parcels on route {target.id} would not fit its vehicle "
                f"({capacity:g} l): {violation.message}."
            )
            return MoveRefused(message, kind=kind, params=params, field_name="route_id")
        if kind == "shift":
            message = f"The route would no longer fit its shift: {violation.message}."
            return MoveRefused(message, kind=kind, params=params, field_name="position")
        message = f"Route {target.id}'s vehicle does not serve this leg's district."
        return MoveRefused(message, kind=kind, params=params, field_name="route_id")
    message = f"The move breaks the plan: {report.violations[0]}."
    return MoveRefused(message, kind="other", params=params, field_name="route_id")


def _violating_stop(
    violation: Violation, solution: Solution, day_problem: adapters.DayProblem
) -> tuple[Leg, float, tuple[datetime, datetime]] | None:
    """The leg, start time (seconds) and window of the stop a time-window violation names."""
    route = next((r for r in solution.routes if r.vehicle == violation.route), None)
    if route is None or violation.step is None or violation.step >= len(route.steps):
        return None
    step = route.steps[violation.step]
    leg = day_problem.legs.get(step.id) if step.id is not None else None
    if leg is None:
        return None
    if step.type == "pickup":
        return leg, step.start_time, (leg.pickup_start, leg.pickup_end)
    return leg, step.start_time, (leg.delivery_start, leg.delivery_end)
