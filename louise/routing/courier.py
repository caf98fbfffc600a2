"""The courier's day: their routes of a day's published plan, and what happens at a stop.

Rules:
- a courier sees and changes only stops of routes that are theirs (``courier_id``) on a
  published plan; anything else is 404, so stop ids reveal nothing. Other roles are 403;
- a stop goes pending → arrived → completed | failed, once; a finished stop is 409;
- completing a pickup or delivery stop needs a proof: a photo or a signature image (JPEG or
  PNG, see :mod:`louise.routing.proofs`), the booking code, or — only where the parcel is
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
  service day's evening wave from the hub (left for that day's planning). The booking gets
  the new destination and a new PIN, and the resident is told the place and the PIN;
  otherwise they are told we will call;
- after a stop is completed or failed at ``now``, the ETAs of the route's later pending stops
  are recomputed forward from ``now``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.bookings import legs as booking_legs
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
from louise.bookings.notifications import notify
from louise.bookings.policy import ServicePolicy
from louise.bookings.service import (
    PointFull,
    _pin,
    _record,
    _release_booking,
    _reserve_point,
    _stop_for_point,
    point_remaining,
    set_booking_status,
    set_leg_status,
)
from louise.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from louise.fleet.models import Vehicle
from louise.geo.distance import haversine_m
from louise.routing import proofs
from louise.routing.adapters import BERLIN, SERVICE_SECONDS
from louise.routing.models import Plan, PlanRoute, PlanStatus, PlanStop, StopStatus, StopType
from louise.routing.service import ETA_MARGIN

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
    if stop.status not in (StopStatus.PENDING, StopStatus.ARRIVED):
        raise InvalidState(
            f"Stop {stop.id} is {stop.status.value} already.",
            fields={"status": [f"{stop.status.value}: nothing more to record"]},
        )


def _leg_of(session: Session, stop: PlanStop) -> Leg | None:
    return session.get(Leg, stop.leg_id) if stop.leg_id is not None else None


# --- arrived ------------------------------------------------------------------------------


def record_arrival(session: Session, actor: User, stop_id: int, now: datetime) -> StopCard:
    """The courier is at the stop (saying so twice changes nothing)."""
    stop = _owned_stop(session, actor, stop_id)
    if stop.status != StopStatus.ARRIVED:
        _require_open(stop)
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
        _release_booking(session, booking)
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
    if leg is None:
        raise InvalidState(f"Only pickup and delivery stops can fail; stop {stop.id} cannot.")
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
                other.status = StopStatus.SKIPPED
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
            _reserve_point(session, booking, new_leg, point, "reason")
        except PointFull:  # taken since we looked; try the next one
            continue
        chosen = point
        new_leg.delivery_start, new_leg.delivery_end = span
        break
    if chosen is None:
        return None
    dest = _stop_for_point(chosen)
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
    booking.pickup_pin = _pin()
    session.flush()
    _record(
        session,
        booking,
        booking.status.value,
        actor,
        from_status=booking.status.value,
        leg=new_leg,
        note=f"failed attempt ({reason}): to {chosen.name} on {day.isoformat()}"[:300],
    )
    new_stop: PlanStop | None = None
    if same_wave:
        # The parcel is still on the bike: the new leg starts picked up.
        set_leg_status(
            session, new_leg, LegStatus.PICKED_UP, actor, note="on board after failed attempt"
        )
        new_stop = _append_stop(session, stop.route, new_leg)
    return Fallback(
        point_id=chosen.id,
        point_name=chosen.name,
        point_kind=chosen.kind.value,
        day=day,
        same_wave=same_wave,
        leg_id=new_leg.id,
        stop_id=new_stop.id if new_stop is not None else None,
    )


def ride_seconds(
    lat1: float, lon1: float, lat2: float, lon2: float, speed_kmh: float
) -> tuple[float, float]:
    """Distance (m, street estimate) and riding time (s) between two places."""
    metres = haversine_m(lat1, lon1, lat2, lon2) * DETOUR
    return metres, round(metres / (speed_kmh / 3.6))


def _append_stop(session: Session, route: PlanRoute, leg: Leg) -> PlanStop:
    """Put ``leg``'s delivery at the end of ``route``, before its ``end`` stop."""
    ordered = _ordered(route)
    end = ordered[-1] if ordered and ordered[-1].type == StopType.END else None
    before = [s for s in ordered if s is not end]
    previous = before[-1] if before else None
    vehicle = session.get(Vehicle, route.vehicle_id)
    speed = vehicle.speed_kmh if vehicle is not None else DEFAULT_SPEED_KMH
    seq = end.seq if end is not None else (previous.seq + 1 if previous is not None else 1)
    if end is not None:
        end.seq = seq + 1
        session.flush()  # free the sequence number before the new stop takes it
    distance, travel = (
        ride_seconds(previous.lat, previous.lon, leg.dest_lat, leg.dest_lon, speed)
        if previous is not None
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
        distance_m=(previous.distance_m if previous is not None else 0.0) + distance,
        load_l=previous.load_l if previous is not None else 0.0,
        load_kg=previous.load_kg if previous is not None else 0.0,
        status=StopStatus.PENDING,
    )
    position = route.stops.index(end) if end is not None else len(route.stops)
    route.stops.insert(position, stop)
    if end is not None:
        back, back_s = ride_seconds(leg.dest_lat, leg.dest_lon, end.lat, end.lon, speed)
        end.travel_s = float(back_s)
        end.distance_m = stop.distance_m + back
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
    place = f"{point.name}, {point.address_label}"
    new_leg = next(leg for leg in booking.legs if leg.id == fallback.leg_id)
    ready = _ready_from(session, fallback, new_leg).astimezone(settings.tz)
    when = f"{ready:%d.%m.%Y %H:%M}"
    if lang == "en":
        next_step = (
            f"You can collect it from {when} at {place}. Your pickup PIN: {booking.pickup_pin}."
        )
    else:
        next_step = (
            f"Sie können die Sendung ab {when} Uhr abholen: {place}. "
            f"Ihre Abhol-PIN: {booking.pickup_pin}."
        )
    notify(
        session,
        booking,
        "failed_attempt",
        reason=reason_text,
        next_step=next_step,
        place=place,
        pin=booking.pickup_pin,
        ready_from=ready.isoformat(),
    )


def _ready_from(session: Session, fallback: Fallback, leg: Leg) -> datetime:
    if fallback.stop_id is not None:
        stop = session.get(PlanStop, fallback.stop_id)
        if stop is not None:
            return stop.eta + ETA_MARGIN
    return leg.delivery_end


# --- ETAs ---------------------------------------------------------------------------------


def recompute_etas(route: PlanRoute, done: PlanStop, now: datetime) -> None:
    """Later pending stops: eta = max(previous departure + travel, window start), where the
    departure from ``done`` is ``now`` and from a pending stop its eta + service time (the
    wait is folded into the eta, so ``waiting_s`` becomes 0)."""
    ordered = _ordered(route)
    index = ordered.index(done)
    departure = now
    for stop in ordered[index + 1 :]:
        arrival = departure + timedelta(seconds=stop.travel_s)
        if stop.status == StopStatus.PENDING:
            eta = arrival
            if stop.window_start is not None and stop.window_start > eta:
                eta = stop.window_start
            stop.eta = eta
            stop.waiting_s = 0.0
            departure = eta + timedelta(seconds=stop.service_s)
        elif stop.status == StopStatus.SKIPPED:
            departure = arrival  # ridden past, nothing to do there
        else:
            departure = max(_departure(stop), now)
    last = ordered[-1]
    if last.type == StopType.END and last.status == StopStatus.PENDING:
        route.ends_at = last.eta
