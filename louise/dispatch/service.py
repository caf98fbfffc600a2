"""Planning a day: from the day's legs and shifts to stored, validated routes.

Rules:
- one planning run per day at a time (a UNIQUE ``plans.running_day``; a second run is 409);
- a run holds its day for a lease: while queued ``PLANNING_LEASE_SECONDS`` from its
  request, while running the search's time limit plus ``PLANNING_LEASE_SECONDS`` from its
  start (recorded in ``stats.lease_until``). A run whose worker died is failed ("worker lost
  (lease expired)") by the next request for the day or the next read of the plans, which
  frees the day; a worker that comes back after its lease cannot store its result;
- a plan is stored only after the independent validator accepted the solver's answer;
- routes, stops and unassigned legs are written in one transaction: a crash while saving
  leaves the previous plan as it was and no half plan visible;
- only working shifts are planned: an inactive vehicle or courier account drops its shifts;
- every unassigned leg says why in words (``detail``), with the availability rule's words when
  no working shift serves its district then; ``stats.summary.unassigned`` counts legs;
- a draft routing a shift that was removed, shortened, or whose vehicle left service cannot be
  published (409 ``plan_stale``): re-plan; its ``warnings`` say what changed;
- publishing locks the planned legs (residents can no longer change them), assigns their
  courier and tells residents the window of their collection or delivery — once: publishing
  a re-plan tells only those whose window changed;
- re-planning a published day keeps locked legs on their shifts where it can and reports
  what moved.
"""

from __future__ import annotations

import time as walltime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from louise import metrics
from louise.auth.models import STAFF, AccountStatus, User
from louise.bookings import availability
from louise.bookings.models import (
    DeliveryPoint,
    Leg,
    LegStatus,
    OutboxMessage,
    StopKind,
)
from louise.bookings.notifications import iso_window, notify
from louise.bookings.points import place_text
from louise.db import commit_unique
from louise.dispatch import adapters
from louise.dispatch.models import (
    Plan,
    PlanRoute,
    PlanStatus,
    PlanStop,
    PlanUnassigned,
    StopStatus,
    StopType,
)
from louise.errors import Conflict, Forbidden, InvalidState, NotFound
from louise.fleet.models import District, Shift
from louise.merchants.models import Offer
from louise.routing.solution import REASON_TEXT, Reason, Route, Solution
from louise.routing.solver import SolveOptions, solve
from louise.routing.validate import validate

ETA_MARGIN = timedelta(minutes=15)  # the window told to residents: ETA ± 15 min
RESIDENT_SIDE = (StopKind.RESIDENT, StopKind.POINT, StopKind.LOCKER)


class PlanningInProgress(Conflict):
    code = "planning_in_progress"


class PlanStale(Conflict):
    code = "plan_stale"


class PlanLost(InvalidState):
    """The run's lease ran out while it worked (its result is not stored)."""

    code = "plan_lost"


LEASE = timedelta(minutes=2)
WORKER_LOST = "worker lost (lease expired)"


def expire_lost_runs(
    session: Session, now: datetime, lease: timedelta = LEASE, day: date | None = None
) -> list[int]:
    """Fail the queued or running plans whose lease ran out, and free their days.

    A worker that dies (SIGKILL, OOM, a lost machine) never writes ``failed``; without this
    its day would stay blocked (``running_day``) until an operator edited the database. A
    running plan's lease is the one its run recorded (``stats.lease_until``: start + search
    time limit + ``lease``), a queued plan's is ``created_at + lease``. Returns the ids of
    the plans failed. Its own unit of work.
    """
    query = select(Plan).where(
        Plan.running_day.is_not(None),
        Plan.status.in_((PlanStatus.QUEUED, PlanStatus.RUNNING)),
        *((Plan.day == day,) if day is not None else ()),
    )
    lost: dict[PlanStatus, list[int]] = {PlanStatus.QUEUED: [], PlanStatus.RUNNING: []}
    for plan in session.scalars(query):
        if lease_until(plan, lease) < now:
            lost[plan.status].append(plan.id)
    for status, ids in lost.items():
        if ids:
            # the status again in the UPDATE: a run that moved on meanwhile is left alone
            session.execute(
                update(Plan)
                .where(Plan.id.in_(ids), Plan.status == status, Plan.running_day.is_not(None))
                .values(
                    status=PlanStatus.FAILED, error=WORKER_LOST, running_day=None, finished_at=now
                )
                .execution_options(synchronize_session=False)
            )
    session.commit()
    session.expire_all()
    return lost[PlanStatus.QUEUED] + lost[PlanStatus.RUNNING]


def lease_until(plan: Plan, lease: timedelta = LEASE) -> datetime:
    """Until when ``plan`` (queued or running) holds its day."""
    if plan.status == PlanStatus.RUNNING:
        recorded = (plan.stats or {}).get("lease_until")
        if recorded:
            return datetime.fromisoformat(recorded)
        return (plan.started_at or plan.created_at) + lease
    return plan.created_at + lease


@dataclass(frozen=True)
class PlanningSettings:
    hub: tuple[float, float]  # lat, lon
    time_limit: float = 5.0
    seed: int = 0
    threads: int = 1
    lease: float = LEASE.total_seconds()  # seconds a run may take beyond time_limit


#: Tests replace this to make the stop writer fail halfway.
StopWriter = Callable[[Session, PlanRoute, Sequence[PlanStop]], None]


def write_stops(session: Session, route: PlanRoute, stops: Sequence[PlanStop]) -> None:
    for stop in stops:
        route.stops.append(stop)
        session.flush()


def _require_dispatcher(actor: User) -> None:
    if actor.role not in STAFF:
        raise Forbidden("Only dispatchers plan and publish days.")


def request_plan(
    session: Session, actor: User | None, day: date, now: datetime, lease: timedelta = LEASE
) -> Plan:
    """Queue a planning run for ``day``; 409 while another run for that day is unfinished
    (a run whose lease ran out is failed first: see :func:`expire_lost_runs`)."""
    if actor is not None:
        _require_dispatcher(actor)
    expire_lost_runs(session, now, lease, day)
    version = (session.scalar(select(func.max(Plan.version)).where(Plan.day == day)) or 0) + 1
    plan = Plan(
        day=day,
        version=version,
        status=PlanStatus.QUEUED,
        running_day=day,
        requested_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    session.add(plan)
    commit_unique(
        session,
        lambda: PlanningInProgress(
            f"A planning run for {day.isoformat()} is already under way.",
            fields={"json": {"date": ["Planning for this day is running."]}},
        ),
    )
    return plan


def _published(session: Session, day: date) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.day == day, Plan.status == PlanStatus.PUBLISHED))


def load_day(session: Session, day: date) -> tuple[list[Leg], list[Shift], list[District]]:
    legs = session.scalars(
        select(Leg).where(
            Leg.day == day,
            Leg.status == LegStatus.SCHEDULED,
            Leg.tentative.is_(False),
        )
    ).all()
    shifts = availability.working_shifts(session, day)
    districts = session.scalars(select(District)).all()
    return list(legs), shifts, list(districts)


def run_plan(
    session: Session,
    plan_id: int,
    settings: PlanningSettings,
    now: Callable[[], datetime],
    *,
    stop_writer: StopWriter = write_stops,
) -> Plan:
    """Solve, validate and store the plan ``plan_id`` (queued by :func:`request_plan`).

    This use case commits in stages, on purpose:

    1. ``running`` is committed at once, so the API shows the run and no second worker
       takes the same plan;
    2. the read transaction ends before the search (``_solve_and_store``): on SQLite it holds
       the write lock, and bookings would wait seconds for the solver;
    3. the routes, stops and unassigned legs are written and the plan becomes ``draft`` in
       one commit;
    4. when anything in 2–3 fails, the partial writes are rolled back and ``failed`` with the
       error is committed in a transaction of its own, so the day is never left ``running``.
    """
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Plan {plan_id} not found.")
    if plan.status != PlanStatus.QUEUED:
        raise InvalidState(f"Plan {plan_id} is {plan.status.value}, not queued.")
    plan.status = PlanStatus.RUNNING
    plan.started_at = now()
    until = plan.started_at + timedelta(seconds=settings.time_limit + settings.lease)
    plan.stats = {**(plan.stats or {}), "lease_until": until.isoformat()}
    session.commit()  # stage 1
    try:
        _solve_and_store(session, plan, settings, now, stop_writer)
    except Exception as exc:  # stage 4
        session.rollback()
        failed = session.get(Plan, plan_id)
        assert failed is not None
        plan = failed
        if plan.status == PlanStatus.RUNNING:  # a lost run was failed already: keep its error
            plan.status = PlanStatus.FAILED
            plan.error = f"{type(exc).__name__}: {exc}"[:1000]
            plan.running_day = None
            plan.finished_at = now()
        session.commit()
        metrics.record_plan_run("failed")
        raise
    metrics.record_plan_run("draft", unassigned=len(plan.unassigned))
    return plan


def _solve_and_store(
    session: Session,
    plan: Plan,
    settings: PlanningSettings,
    now: Callable[[], datetime],
    stop_writer: StopWriter,
) -> None:
    legs, shifts, districts = load_day(session, plan.day)
    published = _published(session, plan.day)
    before: dict[int, int] = {}
    if published is not None:
        for route in published.routes:
            for stop in route.stops:
                if stop.leg_id is not None and route.shift_id is not None:
                    before[stop.leg_id] = route.shift_id
    locked = {leg.id: before[leg.id] for leg in legs if leg.locked and leg.id in before}
    # what the dispatcher locked or moved on the day's last plan stays where they put it
    held = dispatcher_locks(session, plan, {leg.id for leg in legs}, {s.id for s in shifts})
    locked.update(held)
    stats: dict[str, Any] = {"legs": len(legs), "shifts": len(shifts)}
    if held:
        stats["locks"] = {str(leg_id): shift_id for leg_id, shift_id in sorted(held.items())}
    if not legs or not shifts:
        solution = None
        unassigned = [(leg, "no_shift" if not shifts else "") for leg in legs]
    else:
        day_problem = adapters.build_problem(
            plan.day, legs, shifts, districts, settings.hub, locked_to=locked
        )
        # End the read transaction before the search: on SQLite it holds the write lock, and
        # every booking would wait for the solver. The results are written in a new one.
        session.commit()  # stage 2
        started = walltime.monotonic()
        solution = solve(
            day_problem.problem,
            SolveOptions(
                time_limit=settings.time_limit, seed=settings.seed, threads=settings.threads
            ),
        )
        stats["solve_seconds"] = round(walltime.monotonic() - started, 3)
        metrics.PLANNER_SECONDS.observe(walltime.monotonic() - started)
        report = validate(day_problem.problem, solution)
        stats["validator"] = "ok" if report.ok else str(report)
        if not report.ok:
            raise RuntimeError(f"the planner's answer failed validation: {report}")
        stats["summary"] = {
            "cost": solution.summary.cost,
            "routes": solution.summary.routes,
            "distance_m": solution.summary.distance,
            "duration_s": solution.summary.duration,
        }
        unassigned = [(day_problem.legs[u.id], u.reason) for u in solution.unassigned]
        stats["changes"] = (
            adapters.moved_legs(before, adapters.assignment(solution))
            if (published is not None)
            else None
        )
        _write_routes(session, plan, day_problem, solution, stop_writer)
    covers = availability.covers_of(shifts)
    seen: set[int] = set()
    for leg, reason in unassigned:
        if leg.id in seen:  # the solver reports a leg's pickup and its delivery
            continue
        seen.add(leg.id)
        reason = reason or "no_shift"
        plan.unassigned.append(
            PlanUnassigned(
                leg_id=leg.id,
                reason=reason,
                detail=unassigned_detail(leg, reason, plan.day, covers, districts)[:300],
            )
        )
    # one number for the dispatcher, in legs (the solver counts pickups and deliveries)
    stats.setdefault("summary", {"routes": 0})["unassigned"] = len(seen)
    plan.stats = stats
    # still ours? (a run past its lease was failed, and its day may be planned anew)
    status = session.scalar(select(Plan.status).where(Plan.id == plan.id).with_for_update())
    if status != PlanStatus.RUNNING:
        raise PlanLost(f"Plan {plan.id} lost its lease while it ran; its result is not stored.")
    plan.status = PlanStatus.DRAFT
    plan.running_day = None
    plan.finished_at = now()
    session.commit()  # stage 3


def dispatcher_locks(
    session: Session, plan: Plan, leg_ids: set[int], shift_ids: set[int]
) -> dict[int, int]:
    """Leg id → shift id the dispatcher locked on the day's last finished plan before
    ``plan`` (``stats.locks``: see :mod:`louise.dispatch.adjust`), for legs and shifts that
    are still there."""
    previous = session.scalar(
        select(Plan)
        .where(
            Plan.day == plan.day,
            Plan.version < plan.version,
            Plan.status.in_((PlanStatus.DRAFT, PlanStatus.PUBLISHED)),
        )
        .order_by(Plan.version.desc())
        .limit(1)
    )
    if previous is None:
        return {}
    locks = (previous.stats or {}).get("locks") or {}
    return {
        int(leg): int(shift)
        for leg, shift in locks.items()
        if int(leg) in leg_ids and int(shift) in shift_ids
    }


def unassigned_detail(
    leg: Leg,
    reason: str,
    day: date,
    covers: Sequence[availability.Cover],
    districts: Sequence[District],
) -> str:
    """Why a leg is not on any route, in words for the dispatcher."""
    if reason == "no_shift":
        return f"no shift on an active vehicle on {day.isoformat()}"
    need = availability.leg_need(districts, leg)
    if not availability.served(covers, need):
        return availability.explain(need)
    if reason == Reason.OVER_CAPACITY:
        booking = leg.booking
        return (
            f"the parcel ({booking.volume_l:g} l, {booking.weight_kg:g} kg) is larger than "
            "every vehicle that could take it"
        )
    return REASON_TEXT.get(reason, reason)


def _write_routes(
    session: Session,
    plan: Plan,
    day_problem: adapters.DayProblem,
    solution: Solution,
    stop_writer: StopWriter,
) -> None:
    for route in solution.routes:
        shift = day_problem.shifts[route.vehicle]
        row = route_row(shift, route, day_problem.origin)
        plan.routes.append(row)
        session.flush()
        stop_writer(session, row, stop_rows(day_problem, route))


def route_row(shift: Shift, route: Route, origin: datetime) -> PlanRoute:
    """The stored route of ``shift`` driving the solver's (or a dispatcher's) ``route``."""
    steps = route.steps
    return PlanRoute(
        shift_id=shift.id,
        vehicle_id=shift.vehicle_id,
        courier_id=shift.courier_id,
        starts_at=adapters.from_seconds(steps[0].arrival, origin),
        ends_at=adapters.from_seconds(steps[-1].arrival, origin),
        distance_m=route.distance,
        duration_s=route.duration,
    )


def stop_rows(day_problem: adapters.DayProblem, route: Route) -> list[PlanStop]:
    """The stored stops of ``route``, numbered from 1, with ETAs, windows and loads."""
    origin = day_problem.origin
    stops = []
    previous_duration = 0.0
    for seq, step in enumerate(route.steps, start=1):
        # A break's id numbers the shift's breaks, not a leg.
        leg = (
            day_problem.legs.get(step.id)
            if step.id is not None and step.type in ("pickup", "delivery")
            else None
        )
        window: tuple[datetime | None, datetime | None]
        if step.type == "pickup" and leg is not None:
            label, lat, lon = leg.origin_label, leg.origin_lat, leg.origin_lon
            window = (leg.pickup_start, leg.pickup_end)
        elif step.type == "delivery" and leg is not None:
            label, lat, lon = leg.dest_label, leg.dest_lat, leg.dest_lon
            window = (leg.delivery_start, leg.delivery_end)
        else:
            label = "City-Station" if step.type in ("start", "end") else "Pause"
            coords = step.location.coordinates if step.location else None
            lon, lat = coords if coords else (0.0, 0.0)
            window = (None, None)
        load = (*step.load, 0.0, 0.0)
        stops.append(
            PlanStop(
                seq=seq,
                type=StopType(step.type),
                leg_id=leg.id if leg is not None else None,
                label=label,
                lat=lat,
                lon=lon,
                eta=adapters.from_seconds(step.arrival, origin),
                window_start=window[0],
                window_end=window[1],
                waiting_s=step.waiting_time,
                service_s=step.service + step.setup,
                travel_s=step.duration - previous_duration,
                distance_m=step.distance,
                load_l=load[0],
                load_kg=load[1],
                status=StopStatus.PENDING,
            )
        )
        previous_duration = step.duration
    return stops


def get_plan(
    session: Session,
    actor: User,
    plan_id: int,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> Plan:
    """A plan (with ``now``: runs past their lease are failed first, so they read so)."""
    _require_dispatcher(actor)
    if now is not None:
        expire_lost_runs(session, now, lease)
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Plan {plan_id} not found.")
    return plan


def list_plans(
    session: Session,
    actor: User,
    day: date | None,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> Sequence[Plan]:
    _require_dispatcher(actor)
    if now is not None:
        expire_lost_runs(session, now, lease, day)
    query = select(Plan).order_by(Plan.day.desc(), Plan.version.desc())
    if day is not None:
        query = query.where(Plan.day == day)
    return session.scalars(query.limit(100)).all()


def plan_warnings(plan: Plan) -> list[str]:
    """What changed in the fleet since a draft or the published plan was made: a route whose
    shift was removed, moved to another vehicle, no longer spans the route, whose vehicle
    left service or whose courier's account is no longer active."""
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.PUBLISHED):
        return []
    out = []
    for route in plan.routes:
        shift = route.shift
        where = f"route {route.id}"
        if shift is None:
            out.append(f"{where}: its shift was removed")
            continue
        if shift.vehicle_id != route.vehicle_id or shift.courier_id != route.courier_id:
            out.append(f"{where}: shift {shift.id} now has another vehicle or courier")
        elif not shift.vehicle.active:
            out.append(f"{where}: vehicle {shift.vehicle.name} is out of service")
        elif shift.courier.status != AccountStatus.ACTIVE:
            out.append(f"{where}: courier {shift.courier.name} is no longer active")
        if shift.starts_at > route.starts_at or shift.ends_at < route.ends_at:
            start, end = (t.astimezone(adapters.BERLIN) for t in (shift.starts_at, shift.ends_at))
            out.append(f"{where}: shift {shift.id} now runs {start:%H:%M}–{end:%H:%M}")
    return out


def publish_plan(session: Session, actor: User, plan_id: int, now: datetime) -> Plan:
    """Publish a draft: lock its legs, assign couriers, tell residents their window.

    Rules: a draft the fleet no longer matches (see :func:`plan_warnings`) is refused:
    re-plan the day. A resident is told a window once. Publishing again (a re-plan of the
    day) tells only the residents whose window — the ETA ± 15 minutes of their first stop on
    the plan, to the minute — or place differs from what their last message said."""
    plan = get_plan(session, actor, plan_id)
    if plan.status != PlanStatus.DRAFT:
        raise InvalidState(f"Only a draft can be published; plan {plan_id} is {plan.status.value}.")
    warnings = plan_warnings(plan)
    if warnings:
        raise PlanStale(
            f"Plan {plan_id} no longer matches the fleet ({'; '.join(warnings)}); re-plan the day."
        )
    previous = _published(session, plan.day)
    if previous is not None:
        previous.status = PlanStatus.SUPERSEDED
        for route in previous.routes:
            for stop in route.stops:
                if stop.leg_id is not None:
                    leg = session.get(Leg, stop.leg_id)
                    if leg is not None and leg.status == LegStatus.SCHEDULED:
                        leg.courier_id = None
        session.flush()
    first: dict[int, tuple[PlanStop, Leg]] = {}  # booking → its first stop facing the resident
    for route in plan.routes:
        for stop in route.stops:
            if stop.leg_id is None:
                continue
            leg = session.get(Leg, stop.leg_id)
            if leg is None:
                continue
            leg.locked = True
            leg.courier_id = route.courier_id
            if not _resident_facing(leg, stop):
                continue
            known = first.get(leg.booking_id)
            if known is None or (stop.eta, stop.id) < (known[0].eta, known[0].id):
                first[leg.booking_id] = (stop, leg)
    told = _last_told(session, list(first))
    for booking_id, (stop, leg) in sorted(first.items()):
        message = _planned_message(session, leg, stop)
        if told.get(booking_id) != _told_key(message):
            notify(session, leg.booking, message.pop("template"), **message)
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = now
    session.commit()
    return plan


#: The messages that tell a resident their window on a published plan (``out_for_delivery``:
#: their predecessor, queued before collections and deliveries were told apart).
PLANNED_TEMPLATES = ("collection_planned", "delivery_planned", "out_for_delivery")


def _resident_facing(leg: Leg, stop: PlanStop) -> bool:
    if stop.type == StopType.PICKUP:
        return leg.origin_kind == StopKind.RESIDENT
    return stop.type == StopType.DELIVERY and leg.dest_kind in RESIDENT_SIDE


def _planned_message(session: Session, leg: Leg, stop: PlanStop) -> dict[str, Any]:
    """Template and context of the message telling the resident this stop's window."""
    booking = leg.booking
    offer = session.get(Offer, booking.offer_id)
    message: dict[str, Any] = {
        "template": "collection_planned" if stop.type == StopType.PICKUP else "delivery_planned",
        "offer": offer.title if offer is not None else "",
        "leg_id": leg.id,
        **iso_window(*eta_window(stop)),
    }
    if stop.type == StopType.DELIVERY and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER):
        point = session.get(DeliveryPoint, leg.point_id) if leg.point_id is not None else None
        message["variant"] = "point"
        message["place"] = place_text(point) if point is not None else leg.dest_label
    return message


def _told_key(context: dict[str, Any]) -> tuple[Any, ...]:
    return (
        context.get("template"),
        context.get("window_start"),
        context.get("window_end"),
        context.get("place"),
    )


def _last_told(session: Session, booking_ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """What each booking's last "your window" message said (see :func:`_told_key`)."""
    if not booking_ids:
        return {}
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.booking_id.in_(booking_ids),
            OutboxMessage.template.in_(PLANNED_TEMPLATES),
        )
        .order_by(OutboxMessage.id)
    ).all()
    return {
        row.booking_id: _told_key({**(row.context or {}), "template": row.template})
        for row in rows
        if row.booking_id is not None
    }


def eta_window(stop: PlanStop) -> tuple[datetime, datetime]:
    """The window told to residents and printed for couriers: the stop's ETA ± 15 minutes.

    The one source of that time: the publish message, the fallback message, the tracking
    link and the route sheet all take it from here.

    Rule: it stays inside the booked window (a resident who booked 17:30–20:00 is never told
    17:17), except where the ETA itself lies outside it (a late route): then it is the plain
    ETA ± 15 minutes, so the ETA is always inside what the resident is told."""
    start, end = stop.eta - ETA_MARGIN, stop.eta + ETA_MARGIN
    if stop.window_start is not None and stop.window_start <= stop.eta:
        start = max(start, stop.window_start)
    if stop.window_end is not None and stop.eta <= stop.window_end:
        end = min(end, stop.window_end)
    return start, end
