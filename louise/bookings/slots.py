"""Slots: the windows of a day at a place, their capacity (derived from shifts, set by
dispatchers) and the booked window a message names."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, User
from louise.bookings import capacity, legs
from louise.bookings.checks import check_horizon, district_of, named_address
from louise.bookings.common import BookingContext, field_error
from louise.bookings.leg_planning import plan_outbound, shop_hours
from louise.bookings.lookups import Lookups
from louise.bookings.models import CapacityCounter, Leg, StopKind
from louise.bookings.notifications import iso_window
from louise.bookings.policy import WindowSpec
from louise.bookings.reference import ReferenceCache, no_cache
from louise.bookings.serving import first_unserved, needs_of, window_needs
from louise.errors import Conflict, Forbidden, ValidationFailed
from louise.merchants.models import OfferKind


@dataclass(frozen=True)
class Roster:
    """Who works on a day, for the window capacity: the working shifts' spans, or
    (``shifts`` None: nobody is rostered yet) the number of vehicles assumed to work all day."""

    shifts: Sequence[tuple[datetime, datetime]] | None
    vehicles: int


def day_roster(
    session: Session, ctx: BookingContext, day: date, lookups: Lookups | None = None
) -> Roster:
    fleet = (lookups or Lookups(session)).fleet(day)
    if fleet.spans is not None:
        return Roster(fleet.spans, 0)
    return Roster(None, fleet.active_vehicles or ctx.default_fleet_size)


def window_capacity(
    session: Session,
    ctx: BookingContext,
    day: date,
    spec: WindowSpec,
    roster: Roster | None = None,
) -> int:
    """Stops a window can take: courier-hours in the window × stops per vehicle-hour.

    Courier-hours come from the day's working shifts (active vehicle and courier); a day
    without shifts assumes every active vehicle (or the configured default fleet) works the
    whole window. ``roster``: the day's, when the caller has it already.
    """
    start, end = ctx.policy.window_bounds(day, spec)
    if roster is None:
        roster = day_roster(session, ctx, day)
    if roster.shifts is not None:
        seconds = 0.0
        for starts_at, ends_at in roster.shifts:
            overlap = (min(end, ends_at) - max(start, starts_at)).total_seconds()
            seconds += max(0.0, overlap)
    else:
        seconds = roster.vehicles * (end - start).total_seconds()
    return math.floor(seconds / 3600 * ctx.policy.stops_per_vehicle_hour)


def window_counter(
    session: Session, ctx: BookingContext, day: date, code: str, lookups: Lookups | None = None
) -> int:
    spec = ctx.policy.window(code)
    return capacity.ensure_counter(
        session,
        "window",
        code,
        day,
        lambda: window_capacity(session, ctx, day, spec, day_roster(session, ctx, day, lookups)),
        memo=lookups.counters if lookups is not None else None,
    )


def list_slots(
    session: Session,
    ctx: BookingContext,
    *,
    day: date,
    offer_id: int | None,
    now: datetime,
    actor: User | None = None,
    lang: str = "en",
    address_id: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    reference: ReferenceCache | None = None,
) -> dict[str, Any]:
    """The windows of ``day`` at a place (a stored address, or a position), with remaining
    capacity and a live promise.

    Rules: ``day`` lies within the booking horizon (422 naming ``date``); ``address_id``
    names an address ``actor`` may name (see ``named_address``; anonymous callers give lat
    and lon). ``reference``: where the offer, its shop's hours and the districts are read
    (a worker's short-lived copy, see :mod:`louise.bookings.reference`; None: fresh)."""
    reference = reference or no_cache()
    check_horizon(ctx.policy, day, now, "query")
    if address_id is not None:
        address = named_address(session, actor, address_id)
        lat, lon = address.lat, address.lon
    if lat is None or lon is None:
        raise ValidationFailed(
            "Give address_id, or lat and lon.",
            fields=field_error("address_id", "Give address_id, or lat and lon.", "query"),
        )
    if not ctx.area.contains(lat, lon):
        raise ValidationFailed(
            "This place lies outside the service area.",
            fields=field_error("lat", "Outside the service area.", "query"),
        )
    # Read once for every window (not once per window): the districts, the day's counters,
    # who works on each day (the roster and the shift covers: one read a day).
    lookups = Lookups(session)
    districts = reference.districts(lookups)
    district = district_of(session, lat, lon, "lat", districts)
    offer = reference.offer(session, offer_id) if offer_id is not None else None
    # A repair and a collection start at the resident's door: the window is a collection.
    collection = offer is not None and offer.kind in (OfferKind.SERVICE, OfferKind.COLLECTION)
    left_in = capacity.remaining_of_day(session, "window", day)
    hours = shop_hours(offer.merchant) if offer is not None else None
    slots: list[dict[str, Any]] = []
    for spec in ctx.policy.windows:
        start, end = ctx.policy.window_bounds(day, spec)
        ok, reason = ctx.policy.bookable(day, spec, now)
        left = left_in.get(spec.code)
        if left is None:
            left = max(
                0, window_capacity(session, ctx, day, spec, day_roster(session, ctx, day, lookups))
            )
        via_hub = False
        needs = window_needs(session, ctx, day, spec, lat, lon, districts)
        if ok and offer is not None:
            try:
                plans = plan_outbound(
                    ctx, offer, day, spec.code, _stop_at(lat, lon, "here"), None, now, hours
                )
                via_hub = any(p.via_hub for p in plans)
                needs = needs_of(session, plans, districts)
            except legs.ShopUnreachable:
                ok, reason = False, "shop_closed"
        if ok and first_unserved(session, needs, lookups=lookups) is not None:
            ok, reason = False, "not_served"
        if ok and left <= 0:
            ok, reason = False, "full"
        slots.append(
            {
                "date": day,
                "window": spec.code,
                "start": start,
                "end": end,
                "remaining": left,
                "bookable": ok,
                "reason": None if ok else reason,
                "via_hub": via_hub,
                "promise": (
                    ctx.policy.promise(day, spec, now, lang, collection=collection) if ok else None
                ),
            }
        )
    return {"date": day, "district": district.name, "slots": slots}


def _stop_at(lat: float, lon: float, label: str) -> legs.Stop:
    return legs.Stop(StopKind.RESIDENT, label, lat, lon)


def window_of(
    ctx: BookingContext, day: date, window: str | None, collected: bool, leg: Leg
) -> dict[str, str]:
    """The booked window a message names: the window the resident chose (the leg's own
    pickup or delivery window when it has none)."""
    if window is not None:
        return iso_window(*ctx.policy.window_bounds(day, ctx.policy.window(window)))
    if collected:
        return iso_window(leg.pickup_start, leg.pickup_end)
    return iso_window(leg.delivery_start, leg.delivery_end)


def window_capacities(
    session: Session, ctx: BookingContext, actor: User, day: date
) -> list[dict[str, Any]]:
    """Every window of ``day`` with its capacity in stops and the stops booked (dispatchers,
    admins). A window nobody has booked or capped yet shows the capacity its shifts give
    (:func:`window_capacity`); reading stores nothing."""
    if actor.role not in STAFF:
        raise Forbidden("Only dispatchers read and set capacity.")
    counters = {
        counter.key: counter
        for counter in session.scalars(
            select(CapacityCounter).where(
                CapacityCounter.scope == "window", CapacityCounter.day == day
            )
        )
    }
    roster = day_roster(session, ctx, day)
    found: list[dict[str, Any]] = []
    for spec in ctx.policy.windows:
        start, end = ctx.policy.window_bounds(day, spec)
        counter = counters.get(spec.code)
        found.append(
            {
                "day": day,
                "key": spec.code,
                "start": start,
                "end": end,
                "capacity": (
                    counter.capacity
                    if counter is not None
                    else window_capacity(session, ctx, day, spec, roster)
                ),
                "used": counter.used if counter is not None else 0,
            }
        )
    return found


def read_window_capacity(
    session: Session, ctx: BookingContext, actor: User, day: date, window: str
) -> dict[str, Any]:
    """One window's capacity and stops booked on ``day`` (see :func:`window_capacities`)."""
    for found in window_capacities(session, ctx, actor, day):
        if found["key"] == window:
            return found
    raise ValidationFailed("Unknown window.", fields=field_error("window", "Unknown window."))


def set_window_capacity(
    session: Session, ctx: BookingContext, actor: User, day: date, window: str, value: int
) -> CapacityCounter:
    """Dispatchers cap or widen a window; never below what is booked already."""
    if actor.role not in STAFF:
        raise Forbidden("Only dispatchers set capacity.")
    if window not in {w.code for w in ctx.policy.windows}:
        raise ValidationFailed("Unknown window.", fields=field_error("window", "Unknown window."))
    counter_id = window_counter(session, ctx, day, window)
    counter = session.get(CapacityCounter, counter_id)
    assert counter is not None
    session.refresh(counter)
    if value < counter.used:
        raise Conflict(
            f"{counter.used} stops are booked already; capacity cannot go below that.",
            fields=field_error("capacity", f"At least {counter.used}."),
        )
    counter.capacity = value
    session.commit()
    return counter
