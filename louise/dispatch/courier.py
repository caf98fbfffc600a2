"""The courier's day: their routes of a day's published plan, and what happens at a stop.

Rules:
- a courier sees and changes only stops of routes that are theirs (``courier_id``) on a
  published plan; anything else is 404, so stop ids reveal nothing. Other roles are 403;
- a stop goes pending → arrived → completed | failed, once; a finished stop is 409;
- a courier can always close a stop: a pickup or delivery whose leg left the day underneath
  (cancelled, rescheduled, received early at the shop) is ``skipped`` with the reason
  (``failure_reason`` slug, ``note`` text) — by the booking rule that changed it (see
  :func:`withdraw_legs`), or at the latest when the courier records anything there; the
  courier then gets 409 ``stop_withdrawn`` saying why, never a lifecycle error;
- the end stop closes the route: it waits until no pickup or delivery stop is pending or
  arrived (409 ``stops_still_open`` with their number);
- completing a pickup or delivery stop needs a proof: a photo or a signature image (JPEG or
  PNG, see :mod:`louise.dispatch.proofs`), the booking code, or — only where the parcel is
  handed over at a LOUISE Point or locker — the booking's pickup PIN. A wrong code or PIN
  is 422. Start, break and end stops complete without proof;
- stop → leg → booking (always through ``set_leg_status``/``set_booking_status``: checked
  and written to the history): a pickup picks the leg up (a return picked up at the shop
  makes the booking ``returned``); a delivery delivers it; the booking follows — a product
  or a return handed to the resident, Point or locker is ``completed`` (and the resident is
  told where, with the PIN for a Point or locker); the last collect leg reaching the shop
  makes a service or a collection ``at_shop`` (the shop's receipt completes a collection);
- a failed pickup fails the leg and skips its delivery stop (the booking stays, dispatch
  re-plans); a failed delivery fails the leg. At the door, for ``not_at_home`` and
  ``no_access`` and with ``FAILED_DELIVERY_FALLBACK``, the parcel goes to the nearest
  active Point or locker (within 5 km) with a free place for its size: in the same wave when
  30 minutes or more of it remain (a new stop before the route's end), else in the next
  service day's evening wave from the hub (left for that day's planning; the parcel rides
  back on a leg to the hub, whose drop-off stop is added before the route's end). The
  booking gets the new destination and a new PIN, and the resident is told the place and
  the PIN; otherwise they are told we will call;
- after a stop is completed or failed at ``now``, the ETAs of the route's later pending stops
  are recomputed forward from ``now`` (skipped stops are not ridden to); stops taken off a
  route recompute it from its last recorded stop.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from louise.auth.models import Role, User
from louise.bookings import legs as booking_legs
from louise.bookings import on_route
from louise.bookings.common import PointFull
from louise.bookings.models import (
    Booking,
    BookingStatus,
    DeliveryPoint,
    DestinationType,
    Leg,
    LegPurpose,
    LegStatus,
    StopKind,
)
from louise.bookings.notifications import iso_window, notify
from louise.bookings.points import new_pin, point_remaining, stop_for_point
from louise.bookings.policy import ServicePolicy
from louise.bookings.reservations import release_booking, reserve_point
from louise.bookings.status import record_status, set_booking_status, set_leg_status
from louise.dispatch import proofs
from louise.dispatch.adapters import BERLIN, SERVICE_SECONDS
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop, StopStatus, StopType
from louise.dispatch.service import eta_window, place_text
from louise.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from louise.fleet.models import Shift, Vehicle
from louise.geo.distance import haversine_m

REASONS = ("not_at_home", "refused", "no_access", "damaged")
#: A refused or damaged parcel goes back; only an absent resident gets a Point instead.
FALLBACK_REASONS = frozenset({"not_at_home", "no_access"})
PROOF_KINDS = ("photo", "signature", "pin", "booking_code")
MIN_SAME_WAVE = timedelta(minutes=30)
MIN_POINT_OPEN = timedelta(minutes=15)
FALLBACK_MAX_DISTANCE_M = 5_000.0
DETOUR = 1.35  # streets over the crow's line, as the planner's haversine matrix assumes
DEFAULT_SPEED_KMH = 15.0

RESIDENT_SIDE = (StopKind.RESIDENT, StopKind.POINT, StopKind.LOCKER)
POINT_KINDS = (StopKind.POINT, StopKind.LOCKER)
LEG_STOPS = (StopType.PICKUP, StopType.DELIVERY)
OPEN = (StopStatus.PENDING, StopStatus.ARRIVED)
#: What a leg must be in for its stop to be done: anything else changed underneath.
EXPECTED_LEG = {
    StopType.PICKUP: (LegStatus.SCHEDULED,),
    StopType.DELIVERY: (LegStatus.PICKED_UP, LegStatus.SCHEDULED),
}


class StopWithdrawn(Conflict):
    """The stop is off the route (its leg left the day): nothing to record there."""

    code = "stop_withdrawn"


class StopsStillOpen(Conflict):
    code = "stops_still_open"


_REASON_TEXT = {
    "de": {
        "not_at_home": "niemand angetroffen",
        "refused": "Annahme verweigert",
        "no_access": "kein Zugang",
        "damaged": "Sendung beschädigt",
    },
    "en": {
        "not_at_home": "nobody at home",
        "refused": "refused",
        "no_access": "no access",
        "damaged": "parcel damaged",
    },
}


@dataclass(frozen=True)
class CourierSettings:
    """What stop handling needs besides the database (built from the app config)."""

    policy: ServicePolicy
    hub: booking_legs.Stop
    upload_dir: Path
    max_upload_bytes: int
    fallback: bool = True
    tz: ZoneInfo = BERLIN


@dataclass(frozen=True)
class Proof:
    """A photo or signature (``data`` + the client's ``filename``), a PIN or a booking code."""

    kind: str
    value: str | None = None
    data: bytes | None = None
    filename: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in PROOF_KINDS:
            raise ValueError(f"unknown proof kind {self.kind!r}")


@dataclass(frozen=True)
class StopCard:
    """A stop as its courier sees it: contacts only at a resident's door, the PIN only
    where the parcel is handed over at a Point or locker."""

    stop: PlanStop
    booking_code: str | None = None
    purpose: str | None = None
    place_kind: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    notes: str | None = None
    access_notes: str | None = None
    pin: str | None = None


@dataclass(frozen=True)
class RouteCard:
    route: PlanRoute
    vehicle: str
    stops: list[StopCard]


@dataclass(frozen=True)
class CourierDay:
    date: date
    plan_id: int | None
    routes: list[RouteCard]


@dataclass(frozen=True)
class Fallback:
    point_id: int
    point_name: str
    point_kind: str
    day: date
    same_wave: bool
    leg_id: int
    stop_id: int | None
    hub_stop_id: int | None = None


@dataclass(frozen=True)
class FailureOutcome:
    stop: StopCard
    fallback: Fallback | None


# --- reading -------------------------------------------------------------------------------


def _require_courier(actor: User) -> None:
    if actor.role != Role.COURIER:
        raise Forbidden("Only couriers record stops.")


def today(session: Session, actor: User, now: datetime, tz: ZoneInfo = BERLIN) -> CourierDay:
    """The actor's routes of today's (Europe/Berlin) published plan, stops in order."""
    return routes_of_day(session, actor, now.astimezone(tz).date())


def routes_of_day(session: Session, actor: User, day: date) -> CourierDay:
    """The actor's routes of ``day``'s published plan, stops in order: any day, so that a
    courier can read tomorrow's route tonight. A day without a published plan has none."""
    _require_courier(actor)
    plan = session.scalar(select(Plan).where(Plan.day == day, Plan.status == PlanStatus.PUBLISHED))
    if plan is None:
        return CourierDay(date=day, plan_id=None, routes=[])
    routes = [route for route in plan.routes if route.courier_id == actor.id]
    return CourierDay(
        date=day, plan_id=plan.id, routes=[_route_card(session, route) for route in routes]
    )


def _route_card(session: Session, route: PlanRoute) -> RouteCard:
    vehicle = session.get(Vehicle, route.vehicle_id)
    return RouteCard(
        route=route,
        vehicle=vehicle.name if vehicle is not None else "",
        stops=[stop_card(session, stop) for stop in _ordered(route)],
    )


def stop_card(session: Session, stop: PlanStop) -> StopCard:
    leg = session.get(Leg, stop.leg_id) if stop.leg_id is not None else None
    if leg is None:
        return StopCard(stop=stop)
    booking = leg.booking
    place = leg.origin_kind if stop.type == StopType.PICKUP else leg.dest_kind
    at_door = place == StopKind.RESIDENT
    at_point = stop.type == StopType.DELIVERY and place in POINT_KINDS
    point = session.get(DeliveryPoint, leg.point_id) if at_point and leg.point_id else None
    return StopCard(
        stop=stop,
        booking_code=booking.code,
        purpose=leg.purpose.value,
        place_kind=place.value,
        contact_name=booking.contact_name if at_door else None,
        contact_phone=booking.contact_phone if at_door else None,
        notes=booking.notes if at_door else None,
        access_notes=point.access_notes if point is not None else None,
        pin=booking.pickup_pin if at_point else None,
    )


def _ordered(route: PlanRoute) -> list[PlanStop]:
    return sorted(route.stops, key=lambda s: s.seq)


def _owned_stop(session: Session, actor: User, stop_id: int) -> PlanStop:
    _require_courier(actor)
    stop = session.get(PlanStop, stop_id)
    if (
        stop is None
        or stop.route.courier_id != actor.id
        or stop.route.plan.status != PlanStatus.PUBLISHED
    ):
        raise NotFound(f"Stop {stop_id} not found.")
    return stop


def _require_open(stop: PlanStop) -> None:
    if stop.status == StopStatus.SKIPPED:
        raise _withdrawn(stop)
    if stop.status not in OPEN:
        raise InvalidState(
            f"Stop {stop.id} is {stop.status.value} already.",
            fields={"status": [f"{stop.status.value}: nothing more to record"]},
        )


def _withdrawn(stop: PlanStop) -> StopWithdrawn:
    why = (stop.note or "").rstrip(".")
    because = f": {why[:1].lower()}{why[1:]}" if why else ""
    return StopWithdrawn(
        f"Stop {stop.id} is off your route{because}. Nothing to do here; go on with your "
        "next stop.",
        fields={"status": [f"skipped: {stop.failure_reason or 'off the route'}"]},
    )


def _changed_underneath(stop: PlanStop, leg: Leg) -> tuple[str, str] | None:
    """Why ``stop`` can no longer be done because its leg moved on without it (reason slug,
    text for the courier), or None."""
    booking = leg.booking
    if leg.status in EXPECTED_LEG.get(stop.type, ()):
        if stop.type == StopType.DELIVERY and leg.status == LegStatus.SCHEDULED:
            pickup_open = any(
                other.leg_id == leg.id and other.type == StopType.PICKUP and other.status in OPEN
                for other in stop.route.stops
            )
            if not pickup_open:
                return "not_picked_up", f"Booking {booking.code} was not picked up on this route."
        return None
    if booking.status == BookingStatus.CANCELLED:
        return on_route.BOOKING_CANCELLED, f"Booking {booking.code} was cancelled."
    if leg.status == LegStatus.CANCELLED:
        return on_route.RESCHEDULED, f"Booking {booking.code} was moved to another time."
    if leg.status == LegStatus.DELIVERED and leg.dest_kind == StopKind.SHOP:
        return on_route.RECEIVED_AT_SHOP, (
            f"Booking {booking.code} was received at the shop already."
        )
    if leg.status == LegStatus.DELIVERED:
        return "delivered", f"Booking {booking.code} was delivered already."
    if leg.status == LegStatus.PICKED_UP:
        return "picked_up", f"Booking {booking.code} was picked up already."
    return (
        "leg_failed",
        f"An earlier attempt for booking {booking.code} failed; dispatch re-plans it.",
    )


def _close_if_changed(session: Session, stop: PlanStop, leg: Leg | None, now: datetime) -> None:
    """A stop whose leg changed underneath (cancelled, rescheduled, received at the shop) is
    closed as skipped with the reason, and the courier is told why (409 ``stop_withdrawn``)
    instead of a lifecycle error they cannot act on."""
    if leg is None or stop.type not in LEG_STOPS:
        return
    changed = _changed_underneath(stop, leg)
    if changed is None:
        return
    try:
        _skip(stop, *changed)
        _reflow(stop.route, now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    raise _withdrawn(stop)


def _skip(stop: PlanStop, reason: str, text: str) -> None:
    stop.status = StopStatus.SKIPPED
    stop.failure_reason = reason[:40]
    stop.note = text[:500]


# --- taken off the route (bookings changed) -------------------------------------------------


def _open_leg_stops(session: Session, leg_ids: list[int]) -> list[PlanStop]:
    """Open pickup and delivery stops of these legs on published plans, in route order."""
    if not leg_ids:
        return []
    return list(
        session.scalars(
            select(PlanStop)
            .join(PlanRoute, PlanStop.route_id == PlanRoute.id)
            .join(Plan, PlanRoute.plan_id == Plan.id)
            .where(
                Plan.status == PlanStatus.PUBLISHED,
                PlanStop.leg_id.in_(leg_ids),
                PlanStop.type.in_(LEG_STOPS),
                PlanStop.status.in_(OPEN),
            )
            .order_by(PlanStop.route_id, PlanStop.seq)
        ).all()
    )


def withdraw_legs(
    session: Session, legs: list[Leg], reason: str, text: str, now: datetime
) -> list[PlanStop]:
    """Take ``legs`` off the couriers' published routes: their open stops become skipped with
    ``reason`` and ``text`` (the courier sees why), and the later ETAs of each route are
    recomputed without them. No commit: the booking rule that calls it owns the commit."""
    stops = _open_leg_stops(session, [leg.id for leg in legs])
    routes: dict[int, PlanRoute] = {}
    for stop in stops:
        _skip(stop, reason, text)
        routes[stop.route_id] = stop.route
    for route in routes.values():
        _reflow(route, now)
    return stops


class RouteBoard:
    """Dispatch's answer to the booking rules (see :mod:`louise.bookings.on_route`)."""

    def open_stops(self, session: Session, leg: Leg) -> list[on_route.StopOnRoute]:
        return [
            on_route.StopOnRoute(
                route_id=stop.route_id, stop_id=stop.id, type=stop.type.value, eta=stop.eta
            )
            for stop in _open_leg_stops(session, [leg.id])
        ]

    def withdraw(
        self, session: Session, legs: Sequence[Leg], reason: str, text: str, now: datetime
    ) -> None:
        withdraw_legs(session, list(legs), reason, text, now)


def _leg_of(session: Session, stop: PlanStop) -> Leg | None:
    return session.get(Leg, stop.leg_id) if stop.leg_id is not None else None


# --- arrived ------------------------------------------------------------------------------


def record_arrival(session: Session, actor: User, stop_id: int, now: datetime) -> StopCard:
    """The courier is at the stop (saying so twice changes nothing)."""
    stop = _owned_stop(session, actor, stop_id)
    _require_open(stop)
    _close_if_changed(session, stop, _leg_of(session, stop), now)
    if stop.status != StopStatus.ARRIVED:
        stop.status = StopStatus.ARRIVED
        stop.arrived_at = now
        session.commit()
    return stop_card(session, stop)


# --- completed ----------------------------------------------------------------------------


def complete_stop(
    session: Session,
    settings: CourierSettings,
    actor: User,
    stop_id: int,
    proof: Proof | None,
    now: datetime,
) -> StopCard:
    """Complete a stop with its proof; moves the leg and the booking (see module rules)."""
    stop = _owned_stop(session, actor, stop_id)
    _require_open(stop)
    leg = _leg_of(session, stop)
    _close_if_changed(session, stop, leg, now)
    if stop.type == StopType.END:
        _require_route_done(stop)
    if leg is not None:
        _check_proof(stop, leg, proof)
    stored: proofs.StoredProof | None = None
    if proof is not None and proof.data is not None:
        stored = proofs.store_image(
            settings.upload_dir,
            proof.kind,
            proof.filename,
            proof.data,
            settings.max_upload_bytes,
        )
    try:
        stop.status = StopStatus.COMPLETED
        stop.arrived_at = stop.arrived_at or now
        stop.done_at = now
        if proof is not None:
            stop.proof_kind = proof.kind
            # A PIN is a secret of the resident; the stop only records that it matched.
            stop.proof_ref = stored.ref if stored is not None else _proof_value(proof)
        if leg is not None:
            _complete_leg(session, actor, stop, leg)
        recompute_etas(stop.route, stop, now)
        session.commit()
    except BaseException:
        session.rollback()
        if stored is not None:
            proofs.remove(settings.upload_dir, stored.ref)
        raise
    return stop_card(session, stop)


def _require_route_done(end: PlanStop) -> None:
    """The end stop closes the route: every pickup and delivery must be recorded first."""
    still_open = [s for s in _ordered(end.route) if s.type in LEG_STOPS and s.status in OPEN]
    if not still_open:
        return
    n = len(still_open)
    counted = (
        "1 pickup or delivery stop of this route is"
        if n == 1
        else f"{n} pickup or delivery stops of this route are"
    )
    raise StopsStillOpen(
        f"{counted} still open: complete or fail them before the end stop.",
        fields={"status": [f"open stops: {', '.join(str(s.id) for s in still_open)}"]},
    )


def _proof_value(proof: Proof) -> str | None:
    if proof.kind == "pin":
        return "pin-matched"
    return proof.value


def _check_proof(stop: PlanStop, leg: Leg, proof: Proof | None) -> None:
    if proof is None:
        raise ValidationFailed(
            "Completing a pickup or delivery needs a proof: a photo or signature, the "
            "booking code, or the PIN at a Point or locker.",
            fields={"json": {"proof": ["Missing: photo, signature, booking_code or pin."]}},
        )
    booking = leg.booking
    if proof.kind == "pin":
        at_point = stop.type == StopType.DELIVERY and leg.dest_kind in POINT_KINDS
        if not at_point:
            raise ValidationFailed(
                "A PIN proves a handover at a LOUISE Point or locker only.",
                fields={"json": {"pin": ["Not a Point or locker handover."]}},
            )
        if not booking.pickup_pin or not secrets.compare_digest(
            (proof.value or "").encode(), booking.pickup_pin.encode()
        ):
            raise ValidationFailed(
                "The PIN does not match.", fields={"json": {"pin": ["Does not match."]}}
            )
    elif proof.kind == "booking_code":
        given = (proof.value or "").strip().upper()
        if not secrets.compare_digest(given.encode(), booking.code.encode()):
            raise ValidationFailed(
                "The booking code does not match this stop.",
                fields={"json": {"booking_code": ["Does not match."]}},
            )


def _complete_leg(session: Session, actor: User, stop: PlanStop, leg: Leg) -> None:
    booking = leg.booking
    note = f"stop {stop.id}"
    if stop.type == StopType.PICKUP:
        set_leg_status(session, leg, LegStatus.PICKED_UP, actor, note=note)
        if (
            leg.purpose == LegPurpose.RETURN
            and leg.origin_kind == StopKind.SHOP
            and booking.status == BookingStatus.READY
        ):
            set_booking_status(session, booking, BookingStatus.RETURNED, actor, note=note)
        return
    if stop.type != StopType.DELIVERY:
        return
    if leg.status == LegStatus.SCHEDULED:
        raise InvalidState(
            "This parcel was not picked up: complete its pickup stop first.",
            fields={"status": ["leg not picked up"]},
        )
    set_leg_status(session, leg, LegStatus.DELIVERED, actor, note=note)
    if leg.purpose in (LegPurpose.DELIVER, LegPurpose.RETURN) and leg.dest_kind in RESIDENT_SIDE:
        if booking.status == BookingStatus.READY:  # its pickup was recorded elsewhere
            set_booking_status(session, booking, BookingStatus.RETURNED, actor, note=note)
        set_booking_status(session, booking, BookingStatus.COMPLETED, actor, note=note)
        release_booking(session, booking)
        at_point = leg.dest_kind in POINT_KINDS and booking.pickup_pin
        notify(
            session,
            booking,
            "delivered",
            place=leg.dest_label,
            pin=booking.pickup_pin if at_point else "",
            pin_line=f"\nPIN: {booking.pickup_pin}" if at_point else "",
        )
    elif leg.purpose == LegPurpose.COLLECT and leg.dest_kind == StopKind.SHOP:
        still_open = [
            other
            for other in booking.legs
            if other.purpose == LegPurpose.COLLECT
            and other.status not in (LegStatus.DELIVERED, LegStatus.CANCELLED)
        ]
        if not still_open and booking.status == BookingStatus.CONFIRMED:
            set_booking_status(session, booking, BookingStatus.AT_SHOP, actor, note=note)


# --- failed -------------------------------------------------------------------------------


def fail_stop(
    session: Session,
    settings: CourierSettings,
    actor: User,
    stop_id: int,
    reason: str,
    note: str | None,
    now: datetime,
) -> FailureOutcome:
    """Record a failed pickup or delivery; a failed door delivery may fall back to a Point."""
    if reason not in REASONS:
        raise ValidationFailed(
            f"Unknown reason {reason!r}.",
            fields={"json": {"reason": [f"Must be one of: {', '.join(REASONS)}."]}},
        )
    stop = _owned_stop(session, actor, stop_id)
    _require_open(stop)
    leg = _leg_of(session, stop)
    if leg is None or stop.type not in LEG_STOPS:
        raise InvalidState(f"Only pickup and delivery stops can fail; stop {stop.id} cannot.")
    _close_if_changed(session, stop, leg, now)
    try:
        fallback = _fail(session, settings, actor, stop, leg, reason, note, now)
        recompute_etas(stop.route, stop, now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return FailureOutcome(stop=stop_card(session, stop), fallback=fallback)


def _fail(
    session: Session,
    settings: CourierSettings,
    actor: User,
    stop: PlanStop,
    leg: Leg,
    reason: str,
    note: str | None,
    now: datetime,
) -> Fallback | None:
    booking = leg.booking
    stop.status = StopStatus.FAILED
    stop.arrived_at = stop.arrived_at or now
    stop.done_at = now
    stop.failure_reason = reason
    stop.note = note
    history_note = f"stop {stop.id}: {reason}" + (f" ({note})" if note else "")
    if stop.type == StopType.PICKUP:
        set_leg_status(session, leg, LegStatus.FAILED, actor, note=history_note[:300])
        leg.failure_reason = reason
        for other in stop.route.stops:
            if (
                other.leg_id == leg.id
                and other.type == StopType.DELIVERY
                and other.status == StopStatus.PENDING
            ):
                _skip(
                    other,
                    "pickup_failed",
                    f"The pickup of booking {booking.code} failed; nothing to deliver.",
                )
        return None
    if leg.status == LegStatus.SCHEDULED:
        raise InvalidState(
            "This parcel was not picked up: its pickup stop is still open.",
            fields={"status": ["leg not picked up"]},
        )
    set_leg_status(session, leg, LegStatus.FAILED, actor, note=history_note[:300])
    leg.failure_reason = reason
    if leg.dest_kind not in RESIDENT_SIDE or leg.purpose == LegPurpose.COLLECT:
        return None  # a shop or the hub: dispatch sorts it out, the resident is not involved
    fallback = None
    if leg.dest_kind == StopKind.RESIDENT and settings.fallback and reason in FALLBACK_REASONS:
        fallback = _fall_back(session, settings, actor, stop, leg, reason, now)
    _tell_failed(session, settings, booking, reason, fallback, now)
    return fallback


def _open_span(
    point: DeliveryPoint, start: datetime, end: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The part of ``start``–``end`` during which the Point is open (a locker: all of it)."""
    if point.kind == DestinationType.LOCKER or not point.opening_hours:
        return start, end
    day = start.astimezone(tz).date()
    key = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    best: tuple[datetime, datetime] | None = None
    for opens, closes in point.opening_hours.get(key, []):
        o = datetime.combine(day, datetime.strptime(opens, "%H:%M").time(), tzinfo=tz)
        c = datetime.combine(day, datetime.strptime(closes, "%H:%M").time(), tzinfo=tz)
        span = (max(start, o), min(end, c))
        if span[1] - span[0] >= MIN_POINT_OPEN and (
            best is None or span[1] - span[0] > best[1] - best[0]
        ):
            best = span
    return best


def _candidates(
    session: Session,
    booking: Booking,
    lat: float,
    lon: float,
    day: date,
    window: tuple[datetime, datetime],
    tz: ZoneInfo,
) -> list[tuple[DeliveryPoint, tuple[datetime, datetime]]]:
    """Active Points and lockers near ``lat, lon``, nearest first, open in ``window`` and
    with a free place for the parcel's size on ``day``."""
    points = session.scalars(select(DeliveryPoint).where(DeliveryPoint.active.is_(True))).all()
    scored = []
    for point in points:
        distance = haversine_m(lat, lon, point.lat, point.lon)
        if distance > FALLBACK_MAX_DISTANCE_M:
            continue
        span = _open_span(point, window[0], window[1], tz)
        if span is None or point_remaining(session, point, booking.parcel_size, day) <= 0:
            continue
        scored.append((distance, point.id, point, span))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [(point, span) for _, _, point, span in scored]


def _fall_back(
    session: Session,
    settings: CourierSettings,
    actor: User,
    stop: PlanStop,
    leg: Leg,
    reason: str,
    now: datetime,
) -> Fallback | None:
    booking = leg.booking
    policy = settings.policy
    remaining_from = max(now, leg.delivery_start)
    same_wave = leg.delivery_end - remaining_from >= MIN_SAME_WAVE
    origin: booking_legs.Stop
    if same_wave:
        day = leg.day
        window = (now, leg.delivery_end)
        pickup = window
        origin = booking_legs.Stop(StopKind.RESIDENT, stop.label, stop.lat, stop.lon)
        window_code = leg.window_code
    else:
        day = policy.next_service_day(now.astimezone(settings.tz).date(), include=False)
        evening = next(w for w in policy.windows if w.evening)
        window = policy.window_bounds(day, evening)
        pickup = (window[0] - booking_legs.RIDE_SLACK, window[1])
        origin = settings.hub
        window_code = evening.code
    new_leg = Leg(
        seq=max(other.seq for other in booking.legs) + 1,
        purpose=leg.purpose,
        day=day,
        status=LegStatus.SCHEDULED,
        tentative=False,
        window_code=window_code,
        origin_kind=origin.kind,
        origin_label=origin.label,
        origin_lat=origin.lat,
        origin_lon=origin.lon,
        pickup_start=pickup[0],
        pickup_end=pickup[1],
    )
    chosen: DeliveryPoint | None = None
    for point, span in _candidates(session, booking, stop.lat, stop.lon, day, window, settings.tz):
        try:
            reserve_point(session, booking, new_leg, point, "reason")
        except PointFull:  # taken since we looked; try the next one
            continue
        chosen = point
        new_leg.delivery_start, new_leg.delivery_end = span
        break
    if chosen is None:
        return None
    dest = stop_for_point(chosen)
    new_leg.dest_kind = dest.kind
    new_leg.dest_label = dest.label
    new_leg.dest_lat = dest.lat
    new_leg.dest_lon = dest.lon
    new_leg.courier_id = stop.route.courier_id if same_wave else None
    new_leg.locked = same_wave
    booking.legs.append(new_leg)
    booking.destination_type = chosen.kind
    booking.point_id = chosen.id
    booking.point = chosen
    booking.pickup_pin = new_pin()
    session.flush()
    record_status(
        session,
        booking,
        booking.status.value,
        actor,
        from_status=booking.status.value,
        leg=new_leg,
        note=f"failed attempt ({reason}): to {chosen.name} on {day.isoformat()}"[:300],
    )
    new_stop: PlanStop | None = None
    hub_stop: PlanStop | None = None
    if same_wave:
        # The parcel is still on the bike: the new leg starts picked up.
        set_leg_status(
            session, new_leg, LegStatus.PICKED_UP, actor, note="on board after failed attempt"
        )
        new_stop = _append_stop(session, stop.route, new_leg)
        # The new stop's ETA as the route will show it from now on: the resident is told
        # this time, and the tracking link and the courier's sheet give the same.
        recompute_etas(stop.route, stop, now)
    else:
        hub_stop = _hub_drop_off(session, settings, actor, stop, leg, chosen, day, now)
    return Fallback(
        point_id=chosen.id,
        point_name=chosen.name,
        point_kind=chosen.kind.value,
        day=day,
        same_wave=same_wave,
        leg_id=new_leg.id,
        stop_id=new_stop.id if new_stop is not None else None,
        hub_stop_id=hub_stop.id if hub_stop is not None else None,
    )


def _hub_drop_off(
    session: Session,
    settings: CourierSettings,
    actor: User,
    stop: PlanStop,
    leg: Leg,
    point: DeliveryPoint,
    day: date,
    now: datetime,
) -> PlanStop:
    """The parcel of a next-day fallback rides back on the bike: a leg from the failed door
    to the hub, picked up, with a delivery stop at the hub before the route's end, so the
    courier hands it in there and the next day's leg finds it at the hub."""
    booking = leg.booking
    route = stop.route
    hub = settings.hub
    shift = session.get(Shift, route.shift_id)
    until = max(shift.ends_at if shift is not None else now, now + MIN_SAME_WAVE)
    to_hub = Leg(
        seq=max(other.seq for other in booking.legs) + 1,
        purpose=leg.purpose,
        day=leg.day,
        status=LegStatus.SCHEDULED,
        tentative=False,
        locked=True,
        courier_id=route.courier_id,
        window_code=leg.window_code,
        origin_kind=StopKind.RESIDENT,
        origin_label=stop.label,
        origin_lat=stop.lat,
        origin_lon=stop.lon,
        dest_kind=hub.kind,
        dest_label=hub.label,
        dest_lat=hub.lat,
        dest_lon=hub.lon,
        pickup_start=now,
        pickup_end=until,
        delivery_start=now,
        delivery_end=until,
    )
    booking.legs.append(to_hub)
    session.flush()
    set_leg_status(
        session, to_hub, LegStatus.PICKED_UP, actor, note="on board after failed attempt"
    )
    drop_off = _append_stop(session, route, to_hub)
    hub_name = hub.label.split(",")[0]  # "City-Station, Altmarkt-Passage, …"
    drop_off.note = (
        f"Hand parcel {booking.code} in at the {hub_name}: it goes to {point.name} "
        f"on {day.isoformat()}."
    )[:500]
    return drop_off


def ride_seconds(
    lat1: float, lon1: float, lat2: float, lon2: float, speed_kmh: float
) -> tuple[float, float]:
    """Distance (m, street estimate) and riding time (s) between two places."""
    metres = haversine_m(lat1, lon1, lat2, lon2) * DETOUR
    return metres, round(metres / (speed_kmh / 3.6))


def _last_place(stops: list[PlanStop]) -> PlanStop | None:
    """The last of ``stops`` the courier rides to (breaks have no place, skipped stops are
    not ridden to)."""
    places = [s for s in stops if s.type != StopType.BREAK and s.status != StopStatus.SKIPPED]
    return places[-1] if places else None


def _is_hub_drop_off(session: Session, stop: PlanStop) -> bool:
    if stop.type != StopType.DELIVERY or stop.status not in OPEN or stop.leg_id is None:
        return False
    leg = session.get(Leg, stop.leg_id)
    return leg is not None and leg.dest_kind == StopKind.HUB


def _append_stop(session: Session, route: PlanRoute, leg: Leg) -> PlanStop:
    """Put ``leg``'s delivery at the end of ``route``: before its ``end`` stop and, unless
    it goes to the hub itself, before the parcels waiting to be handed in at the hub."""
    ordered = _ordered(route)
    position = len(ordered)
    if ordered and ordered[-1].type == StopType.END:
        position -= 1
    if leg.dest_kind != StopKind.HUB:
        while position > 0 and _is_hub_drop_off(session, ordered[position - 1]):
            position -= 1
    previous = ordered[position - 1] if position > 0 else None
    place = _last_place(ordered[:position])
    after = ordered[position:]
    vehicle = session.get(Vehicle, route.vehicle_id)
    speed = vehicle.speed_kmh if vehicle is not None else DEFAULT_SPEED_KMH
    seq = after[0].seq if after else (previous.seq + 1 if previous is not None else 1)
    for later in reversed(after):
        later.seq += 1
        session.flush()  # one at a time: (route_id, seq) is unique at every step
    distance, travel = (
        ride_seconds(place.lat, place.lon, leg.dest_lat, leg.dest_lon, speed)
        if place is not None
        else (0.0, 0.0)
    )
    stop = PlanStop(
        seq=seq,
        type=StopType.DELIVERY,
        leg_id=leg.id,
        label=leg.dest_label,
        lat=leg.dest_lat,
        lon=leg.dest_lon,
        eta=_departure(previous) + timedelta(seconds=travel) if previous else leg.delivery_start,
        window_start=leg.delivery_start,
        window_end=leg.delivery_end,
        waiting_s=0.0,
        service_s=float(SERVICE_SECONDS[leg.dest_kind]),
        travel_s=float(travel),
        distance_m=(place.distance_m if place is not None else 0.0) + distance,
        load_l=previous.load_l if previous is not None else 0.0,
        load_kg=previous.load_kg if previous is not None else 0.0,
        status=StopStatus.PENDING,
    )
    route.stops.insert(route.stops.index(after[0]) if after else len(route.stops), stop)
    if after:
        following = after[0]
        back, back_s = ride_seconds(leg.dest_lat, leg.dest_lon, following.lat, following.lon, speed)
        added = stop.distance_m + back - following.distance_m
        following.travel_s = float(back_s)
        for later in after:
            later.distance_m += added
    session.flush()
    return stop


def _departure(stop: PlanStop) -> datetime:
    if stop.done_at is not None:
        return stop.done_at
    if stop.status == StopStatus.SKIPPED:
        return stop.eta
    start = stop.arrived_at or stop.eta
    return start + timedelta(seconds=stop.waiting_s + stop.service_s)


def _tell_failed(
    session: Session,
    settings: CourierSettings,
    booking: Booking,
    reason: str,
    fallback: Fallback | None,
    now: datetime,
) -> None:
    lang = "en" if booking.locale == "en" else "de"
    reason_text = _REASON_TEXT[lang][reason]
    if fallback is None:
        next_step = (
            "We will call you to arrange a new time."
            if lang == "en"
            else "Wir rufen Sie an, um einen neuen Termin zu vereinbaren."
        )
        notify(session, booking, "failed_attempt", reason=reason_text, next_step=next_step)
        return
    point = booking.point
    assert point is not None and booking.pickup_pin is not None
    new_leg = next(leg for leg in booking.legs if leg.id == fallback.leg_id)
    start, end = _fallback_window(session, fallback, new_leg)
    notify(
        session,
        booking,
        "failed_attempt",
        variant="point",
        reason=reason_text,
        place=place_text(point),
        pin=booking.pickup_pin,
        **iso_window(start, end),
    )


def _fallback_window(session: Session, fallback: Fallback, leg: Leg) -> tuple[datetime, datetime]:
    """When the parcel reaches the Point: the new stop's ETA window in the same wave (as on
    the tracking link and the route sheet), else the new leg's delivery window (what the
    tracking link shows until that day is planned)."""
    if fallback.stop_id is not None:
        stop = session.get(PlanStop, fallback.stop_id)
        if stop is not None:
            return eta_window(stop)
    return leg.delivery_start, leg.delivery_end


# --- ETAs ---------------------------------------------------------------------------------


def recompute_etas(route: PlanRoute, done: PlanStop, now: datetime) -> None:
    """Later pending stops: eta = max(previous departure + travel, window start), where the
    departure from ``done`` is ``now`` and from a pending stop its eta + service time (the
    wait is folded into the eta, so ``waiting_s`` becomes 0)."""
    _recompute_from(route, done, now)


def _reflow(route: PlanRoute, now: datetime) -> None:
    """Recompute the pending stops after the last recorded one (or after the start, before
    the route began) — used when stops are taken off the route."""
    ordered = _ordered(route)
    recorded = [s for s in ordered if s.status not in (StopStatus.PENDING, StopStatus.SKIPPED)]
    anchor = recorded[-1] if recorded else ordered[0]
    if anchor.status == StopStatus.ARRIVED:
        departure = max(_departure(anchor), now)
    else:
        departure = _departure(anchor)
    _recompute_from(route, anchor, departure)


def _recompute_from(route: PlanRoute, anchor: PlanStop, departure: datetime) -> None:
    """Skipped stops are not ridden to: the ride goes straight from the last place passed to
    the next stop (its ``travel_s`` is updated to that ride)."""
    ordered = _ordered(route)
    index = ordered.index(anchor)
    floor = departure
    place = _last_place(ordered[: index + 1]) or anchor
    detour = False
    session = object_session(route)
    vehicle = session.get(Vehicle, route.vehicle_id) if session is not None else None
    speed = vehicle.speed_kmh if vehicle is not None else DEFAULT_SPEED_KMH
    for stop in ordered[index + 1 :]:
        if stop.status == StopStatus.SKIPPED:
            detour = True
            continue
        if stop.type != StopType.BREAK:  # a break is taken wherever the courier is
            if detour:
                _, travel = ride_seconds(place.lat, place.lon, stop.lat, stop.lon, speed)
                stop.travel_s = float(travel)
                detour = False
            place = stop
        if stop.status == StopStatus.PENDING:
            eta = departure + timedelta(seconds=stop.travel_s)
            if stop.window_start is not None and stop.window_start > eta:
                eta = stop.window_start
            stop.eta = eta
            stop.waiting_s = 0.0
            departure = eta + timedelta(seconds=stop.service_s)
        else:
            departure = max(_departure(stop), floor)
    last = ordered[-1]
    if last.type == StopType.END and last.status == StopStatus.PENDING:
        route.ends_at = last.eta
