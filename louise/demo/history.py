"""Four weeks of completed history before the demo day, made through the services.

For every service day of the ``days`` calendar days before today (Mondays to Saturdays,
never a Sunday or an NRW public holiday, as the policy says), in order:

1. **the day before, 10:00** — shops mark the repairs ready whose return is due by the day
   (the return leg is scheduled for real), then residents book for the day: products to
   the door, a LOUISE Point or a locker, repairs and laundry as round trips, collections;
2. **the day, 08:00** — shops receive the collections the couriers brought the day before;
3. **the day, 14:30** (after the same-day cut-off) — the dispatcher plans the day through
   the planner service (a short time limit) and publishes it;
4. **the day** — each courier works their route through the courier services: the start,
   then every stop in order (arrived, completed with the booking code or, at a Point or
   locker, the pickup PIN), breaks, the end. A few attempts fail (about 4 %): a resident
   not at home for a pickup, or for a delivery at the door (the parcel goes to a Point, in
   the same wave or the next day). Times follow the planned ETAs, mostly inside the
   promised window, a few late;
5. **the evening** — the impact ledger of the day is built (a short van search).

The history's messages count as delivered on their day (``sent_at`` set): the demo's mail
folder shows the demo day's mail, not a month of it.

Deterministic: one ``random.Random`` of its own, so the demo day's bookings are the same
with and without history; only the dates follow ``now``.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings.common import BookingContext, BookingRequest
from louise.bookings.create import create_booking
from louise.bookings.models import (
    Booking,
    BookingStatus,
    DeliveryPoint,
    DestinationType,
    Leg,
    LegPurpose,
    OutboxMessage,
    StopKind,
)
from louise.bookings.shop import confirm_receipt, mark_ready
from louise.dispatch import service as dispatch
from louise.dispatch.courier import stops as courier
from louise.dispatch.courier.common import CourierSettings, Proof
from louise.dispatch.models import Plan, PlanStatus, PlanStop, StopStatus, StopType
from louise.errors import DomainError
from louise.impact.counterfactual import CounterfactualFailed
from louise.impact.ledger import ImpactSettings, build_ledger
from louise.impact.runtime import impact_settings
from louise.merchants.models import Merchant, Offer

#: Seconds the planner searches a history day (the demo day gets the configured limit).
PLAN_SECONDS = 0.6
#: Seconds the van counterfactual searches a history day.
VAN_SECONDS = 0.3
#: Share of pickups at the door and deliveries to it that fail (nobody at home): about 3 %
#: of all pickups and deliveries.
FAILURE_RATE = 0.1
#: Share of stops done late (after the promised window).
LATE_RATE = 0.01
#: Bookings per day: Monday to Friday, and Saturday.
WEEKDAY_BOOKINGS = (20, 28)
SATURDAY_BOOKINGS = (12, 18)
#: What residents book, weights (round trips, deliveries, collections).
KIND_WEIGHTS = {"service": 4, "product": 6, "collection": 2}


@dataclass
class HistorySummary:
    days: list[date] = field(default_factory=list)
    bookings: int = 0
    not_booked: int = 0
    returns_scheduled: int = 0
    stops_completed: int = 0
    stops_failed: int = 0
    unassigned: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class HistoryCast:
    """Who acts in the history, and what they book."""

    dispatcher: User
    couriers: dict[int, User]
    residents: list[Any]  # seed._Resident (user, address, lat, lon)
    offers: dict[str, list[Offer]]
    points: list[DeliveryPoint]


def local_at(tz: ZoneInfo, day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=tz)


def history_days(ctx: BookingContext, today: date, days: int) -> list[date]:
    """The service days of the ``days`` calendar days before ``today``, oldest first."""
    out = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        if ctx.policy.is_service_day(day):
            out.append(day)
    return out


def seed_history(
    session: Session,
    config: Mapping[str, Any],
    ctx: BookingContext,
    cast: HistoryCast,
    days: list[date],
    staff: Callable[[date], int],
    rng: random.Random,
) -> HistorySummary:
    """Book, plan, publish, work and build the ledger of every day of ``days`` (see the
    module docstring); ``staff(day)`` creates the day's shifts."""
    started = time.perf_counter()
    summary = HistorySummary()
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and isinstance(bind, Engine):
        # A month of courier taps is a thousand commits; WAL's NORMAL skips the fsync of each
        # (still consistent after a crash; the seed is rerun anyway). The pooled connection the
        # session reuses only, outside a transaction (SQLite refuses it inside one).
        session.commit()
        raw = bind.raw_connection()
        try:
            raw.cursor().execute("PRAGMA synchronous=NORMAL")
        finally:
            raw.close()
    first_message = session.scalar(select(func.max(OutboxMessage.id))) or 0
    planning = dispatch.PlanningSettings(
        hub=(float(config["HUB_LAT"]), float(config["HUB_LON"])),
        time_limit=PLAN_SECONDS,
        seed=int(config["PLANNING_SEED"]),
        threads=1,
    )
    impact = impact_settings(config)
    impact = replace(impact, fleet=replace(impact.fleet, time_limit=VAN_SECONDS))
    upload_dir = Path(config.get("UPLOAD_DIR") or tempfile.gettempdir())  # codes and PINs only
    courier_settings = CourierSettings(
        policy=ctx.policy,
        hub=ctx.hub,
        upload_dir=upload_dir,
        max_upload_bytes=int(config["MAX_UPLOAD_BYTES"]),
        fallback=bool(config["FAILED_DELIVERY_FALLBACK"]),
    )
    for i, day in enumerate(days):
        last = i == len(days) - 1
        staff(day)
        day_before = local_at(ctx.policy.tz, day - timedelta(days=1), 10, 0)
        summary.returns_scheduled += _mark_ready(session, ctx, day, day_before)
        _book_day(session, ctx, cast, day, day_before, rng, summary)
        _receive_collections(session, local_at(ctx.policy.tz, day, 8, 0))
        plan = _plan_day(session, cast.dispatcher, day, planning, ctx)
        if plan.status != PlanStatus.PUBLISHED:  # the short search found nothing: search longer
            plan = _plan_day(session, cast.dispatcher, day, replace(planning, time_limit=5.0), ctx)
        if plan.status != PlanStatus.PUBLISHED:
            raise RuntimeError(f"history: planning {day.isoformat()} failed: {plan.error}")
        summary.unassigned += len(plan.unassigned)
        _work_day(session, courier_settings, cast, plan, rng, summary, fallback_ok=not last)
        _build(session, day, impact)
        summary.days.append(day)
        # the day's messages went out that day: the demo's mail folder is the demo day's
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id > first_message, OutboxMessage.sent_at.is_(None))
            .values(sent_at=local_at(ctx.policy.tz, day, 21, 0))
        )
        session.commit()
    summary.seconds = time.perf_counter() - started
    return summary


def _mark_ready(session: Session, ctx: BookingContext, day: date, now: datetime) -> int:
    """Each shop marks ready the repairs at the shop whose return is due by ``day``."""
    due = session.scalars(
        select(Booking)
        .where(
            Booking.status == BookingStatus.AT_SHOP,
            Booking.kind == "service",
            Booking.return_due <= day,
        )
        .order_by(Booking.id)
    ).all()
    done = 0
    for booking in due:
        owner = _owner(session, booking)
        try:
            mark_ready(session, ctx, owner, booking.id, now)
        except DomainError:
            session.rollback()
            continue
        done += 1
    return done


def _owner(session: Session, booking: Booking) -> User:
    merchant = session.get(Merchant, booking.merchant_id)
    assert merchant is not None
    return merchant.owner


def _receive_collections(session: Session, now: datetime) -> None:
    """The shop confirms the collections the couriers brought (they are completed then)."""
    brought = session.scalars(
        select(Booking)
        .where(Booking.status == BookingStatus.AT_SHOP, Booking.kind == "collection")
        .order_by(Booking.id)
    ).all()
    for booking in brought:
        owner = _owner(session, booking)
        try:
            confirm_receipt(session, owner, booking.id, now)
        except DomainError:
            session.rollback()


def _book_day(
    session: Session,
    ctx: BookingContext,
    cast: HistoryCast,
    day: date,
    now: datetime,
    rng: random.Random,
    summary: HistorySummary,
) -> None:
    low, high = SATURDAY_BOOKINGS if day.weekday() == 5 else WEEKDAY_BOOKINGS
    count = rng.randint(low, high)
    kinds = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=count)
    residents = list(cast.residents)
    rng.shuffle(residents)
    windows = [w.code for w in ctx.policy.windows]
    evening = next(w.code for w in ctx.policy.windows if w.evening)
    for n, kind in enumerate(kinds):
        resident = residents[n % len(residents)]
        offer = rng.choice(cast.offers[kind])
        destination = DestinationType.DOOR
        roll = rng.random()
        if kind == "product" and roll < 0.2:
            destination = DestinationType.POINT
        elif kind == "product" and roll < 0.35:
            destination = DestinationType.LOCKER
        elif kind == "service" and roll < 0.2:
            destination = DestinationType.POINT
        point = None
        if destination != DestinationType.DOOR:
            point = _nearest(cast.points, destination, resident.lat, resident.lon)
        first = evening if rng.random() < 0.6 else rng.choice(windows)
        for window in [first, *(w for w in windows if w != first)]:
            request = BookingRequest(
                offer_id=offer.id,
                day=day,
                window=window,
                address=resident.address,
                destination=destination,
                point_id=point.id if point is not None else None,
            )
            try:
                create_booking(session, ctx, resident.user, request, now)
            except DomainError:
                session.rollback()
                continue
            summary.bookings += 1
            break
        else:
            summary.not_booked += 1


def _nearest(
    points: list[DeliveryPoint], kind: DestinationType, lat: float, lon: float
) -> DeliveryPoint:
    from louise.geo.distance import haversine_m

    return min(
        (p for p in points if p.kind == kind), key=lambda p: haversine_m(lat, lon, p.lat, p.lon)
    )


def _plan_day(
    session: Session,
    dispatcher: User,
    day: date,
    settings: dispatch.PlanningSettings,
    ctx: BookingContext,
) -> Plan:
    at = local_at(ctx.policy.tz, day, 14, 30)
    plan = dispatch.request_plan(session, dispatcher, day, at)
    try:
        plan = dispatch.run_plan(session, plan.id, settings, lambda: at)
    except Exception:  # the run is failed and recorded on the plan; the caller retries
        failed = session.get(Plan, plan.id)
        assert failed is not None
        return failed
    if plan.status != PlanStatus.DRAFT:
        return plan
    return dispatch.publish_plan(session, dispatcher, plan.id, at + timedelta(minutes=5))


def _build(session: Session, day: date, settings: ImpactSettings) -> None:
    """The day's ledger with the short van search; a search that left a leg unserved (a
    busy machine) is repeated with a longer one, as an operator would rebuild."""
    try:
        build_ledger(session, day, settings)
    except CounterfactualFailed:
        longer = replace(settings, fleet=replace(settings.fleet, time_limit=5.0))
        build_ledger(session, day, longer)


def _next_open(session: Session, route_id: int) -> PlanStop | None:
    return session.scalar(
        select(PlanStop)
        .where(
            PlanStop.route_id == route_id,
            PlanStop.status.in_((StopStatus.PENDING, StopStatus.ARRIVED)),
        )
        .order_by(PlanStop.seq)
        .limit(1)
    )


def _work_day(
    session: Session,
    settings: CourierSettings,
    cast: HistoryCast,
    plan: Plan,
    rng: random.Random,
    summary: HistorySummary,
    *,
    fallback_ok: bool,
) -> None:
    """Every courier rides their route of the published plan, stop by stop."""
    for route_id, courier_id in sorted((r.id, r.courier_id) for r in plan.routes):
        actor = cast.couriers[courier_id]
        clock: datetime | None = None
        planned = {
            stop_id: eta
            for stop_id, eta in session.execute(
                select(PlanStop.id, PlanStop.eta).where(PlanStop.route_id == route_id)
            ).tuples()
        }
        while (stop := _next_open(session, route_id)) is not None:
            at = _when(stop, planned, clock, rng)
            clock = at
            if stop.type not in (StopType.PICKUP, StopType.DELIVERY):
                courier.complete_stop(session, settings, actor, stop.id, None, at)
                continue
            leg = session.get(Leg, stop.leg_id)
            assert leg is not None
            try:
                courier.record_arrival(session, actor, stop.id, at)
                at += timedelta(seconds=round(min(stop.service_s, 120) * rng.uniform(0.5, 1.0)))
                reason = _failure(stop, leg, rng, fallback_ok)
                if reason is not None:
                    courier.fail_stop(session, settings, actor, stop.id, reason, None, at)
                    summary.stops_failed += 1
                else:
                    courier.complete_stop(session, settings, actor, stop.id, _proof(stop, leg), at)
                    summary.stops_completed += 1
            except courier.StopWithdrawn:
                continue  # taken off the route underneath (skipped with the reason)
            clock = at


def _when(
    stop: PlanStop, planned: dict[int, datetime], clock: datetime | None, rng: random.Random
) -> datetime:
    """When the courier gets to ``stop``: its ETA as published, give or take a few minutes,
    inside its window unless this one is late, never before the previous stop. The
    published ETA, not the recomputed one: every recomputation starts from the last stop's
    time, and small delays would add up over an evening."""
    at = planned.get(stop.id, stop.eta) + timedelta(seconds=rng.randint(-180, 180))
    late = rng.random() < LATE_RATE
    if stop.window_end is not None:
        if late:
            at = max(at, stop.window_end + timedelta(minutes=rng.randint(5, 25)))
        else:
            at = min(at, stop.window_end - timedelta(minutes=3))
    if stop.window_start is not None and not late:
        at = max(at, stop.window_start)
    if clock is not None:
        at = max(at, clock + timedelta(seconds=10))
    return at


def _failure(stop: PlanStop, leg: Leg, rng: random.Random, fallback_ok: bool) -> str | None:
    """Nobody at home, now and then: a pickup at a resident's, or a delivery at the door
    (the parcel goes to a Point — not on the last history day, whose next day is not)."""
    if rng.random() >= FAILURE_RATE:
        return None
    if stop.type == StopType.PICKUP and leg.origin_kind == StopKind.RESIDENT:
        return "not_at_home"
    if stop.type == StopType.DELIVERY and leg.dest_kind == StopKind.RESIDENT:
        if leg.purpose == LegPurpose.COLLECT:
            return None
        return "not_at_home" if fallback_ok else "refused"
    return None


def _proof(stop: PlanStop, leg: Leg) -> Proof:
    booking = leg.booking
    at_point = stop.type == StopType.DELIVERY and leg.dest_kind in (StopKind.POINT, StopKind.LOCKER)
    if at_point and booking.pickup_pin:
        return Proof("pin", booking.pickup_pin)
    return Proof("booking_code", booking.code)
