"""The fallback when a door delivery fails.

At the door, for ``not_at_home`` and ``no_access`` and with ``FAILED_DELIVERY_FALLBACK``, the
parcel goes to the nearest active Point or locker (within 5 km) with a free place for its size:
in the same wave when 30 minutes or more of it remain (a new stop before the route's end), else
in the next service day's evening wave from the hub (left for that day's planning; the parcel
rides back on a leg to the hub, whose drop-off stop is added before the route's end). The
booking gets the new destination and a new PIN, and the resident is told the place and the PIN;
otherwise they are told we will call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings import legs as booking_legs
from louise.bookings.common import PointFull
from louise.bookings.models import Booking, DeliveryPoint, DestinationType, Leg, LegStatus, StopKind
from louise.bookings.notifications import iso_window, notify
from louise.bookings.points import new_pin, place_text, point_remaining, stop_for_point
from louise.bookings.reservations import reserve_point
from louise.bookings.status import record_note, set_leg_status
from louise.dispatch.adapters import SERVICE_SECONDS
from louise.dispatch.courier.common import OPEN, CourierSettings, stops_in_order
from louise.dispatch.courier.etas import (
    DEFAULT_SPEED_KMH,
    departure_of,
    last_place,
    recompute_etas,
    ride_seconds,
)
from louise.dispatch.models import PlanRoute, PlanStop, StopStatus, StopType
from louise.dispatch.service import eta_window
from louise.fleet.models import Shift, Vehicle
from louise.geo.distance import haversine_m
from louise.localtime import weekday_key

#: A refused or damaged parcel goes back; only an absent resident gets a Point instead.
FALLBACK_REASONS = frozenset({"not_at_home", "no_access"})
MIN_SAME_WAVE = timedelta(minutes=30)
MIN_POINT_OPEN = timedelta(minutes=15)
FALLBACK_MAX_DISTANCE_M = 5_000.0

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
class Fallback:
    point_id: int
    point_name: str
    point_kind: str
    day: date
    same_wave: bool
    leg_id: int
    stop_id: int | None
    hub_stop_id: int | None = None
    #: the Point's address and the new pickup PIN, for the courier's screen
    place: str | None = None
    pin: str | None = None


def _open_span(
    point: DeliveryPoint, start: datetime, end: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The part of ``start``–``end`` during which the Point is open (a locker: all of it)."""
    if point.kind == DestinationType.LOCKER or not point.opening_hours:
        return start, end
    day = start.astimezone(tz).date()
    key = weekday_key(day)
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


def fall_back(
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
    note = f"failed attempt ({reason}): to {chosen.name} on {day.isoformat()}"
    record_note(session, booking, actor, note[:300], leg=new_leg)
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
        place=dest.label,
        pin=booking.pickup_pin,
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


def _is_hub_drop_off(session: Session, stop: PlanStop) -> bool:
    if stop.type != StopType.DELIVERY or stop.status not in OPEN or stop.leg_id is None:
        return False
    leg = session.get(Leg, stop.leg_id)
    return leg is not None and leg.dest_kind == StopKind.HUB


def _append_stop(session: Session, route: PlanRoute, leg: Leg) -> PlanStop:
    """Put ``leg``'s delivery at the end of ``route``: before its ``end`` stop and, unless
    it goes to the hub itself, before the parcels waiting to be handed in at the hub."""
    ordered = stops_in_order(route)
    position = len(ordered)
    if ordered and ordered[-1].type == StopType.END:
        position -= 1
    if leg.dest_kind != StopKind.HUB:
        while position > 0 and _is_hub_drop_off(session, ordered[position - 1]):
            position -= 1
    previous = ordered[position - 1] if position > 0 else None
    place = last_place(ordered[:position])
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
        eta=departure_of(previous) + timedelta(seconds=travel) if previous else leg.delivery_start,
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


def tell_failed(
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
