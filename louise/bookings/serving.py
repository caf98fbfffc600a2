"""Who can serve it: refusing legs no working shift of a vehicle serving their district
can carry, and listing sold legs that lost their shift (see :mod:`louise.bookings.availability`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, User
from louise.bookings import availability, legs
from louise.bookings.common import BookingContext, WindowNotServed, field_error
from louise.bookings.lookups import Lookups
from louise.bookings.models import Leg, LegStatus
from louise.bookings.policy import WindowSpec
from louise.errors import Forbidden
from louise.fleet.models import District


def needs_of(
    session: Session,
    plans: Sequence[legs.LegPlan],
    districts: Sequence[District] | None = None,
) -> list[tuple[date, availability.Need]]:
    """What serving each planned leg takes (``districts``: all districts, when the caller has
    them already)."""
    if districts is None:
        districts = session.scalars(select(District)).all()
    return [
        (
            plan.day,
            availability.need(
                districts,
                plan.origin.kind,
                (plan.origin.lat, plan.origin.lon),
                plan.dest.kind,
                (plan.dest.lat, plan.dest.lon),
                plan.pickup,
                plan.delivery,
            ),
        )
        for plan in plans
    ]


def first_unserved(
    session: Session,
    needs: Sequence[tuple[date, availability.Need]],
    *,
    lookups: Lookups | None = None,
) -> tuple[date, availability.Need] | None:
    """The first leg no working shift can serve (see :mod:`louise.bookings.availability`).
    ``lookups`` keeps each day's fleet across calls of one request (the slots of a day)."""
    if lookups is None:
        lookups = Lookups(session)
    for day, item in needs:
        if not availability.served(lookups.fleet(day).covers, item):
            return day, item
    return None


def window_needs(
    session: Session,
    ctx: BookingContext,
    day: date,
    spec: WindowSpec,
    lat: float,
    lon: float,
    districts: Sequence[District] | None = None,
) -> list[tuple[date, availability.Need]]:
    """A window at a place without an offer: someone must be there in the window."""
    window = ctx.policy.window_bounds(day, spec)
    if districts is None:
        districts = session.scalars(select(District)).all()
    district = availability.district_at(districts, lat, lon)
    return [(day, availability.Need(district, window, window, at_pickup=True))]


def check_served(
    session: Session,
    plans: Sequence[legs.LegPlan],
    field_name: str,
    lookups: Lookups | None = None,
) -> None:
    """Refuse legs that no working shift of a vehicle serving their district can carry — the
    rule the slots show (409 ``window_not_served``)."""
    if lookups is None:
        lookups = Lookups(session)
    missing = first_unserved(
        session, needs_of(session, plans, lookups.districts()), lookups=lookups
    )
    if missing is not None:
        day, item = missing
        text = availability.explain(item)
        raise WindowNotServed(
            f"{text[0].upper()}{text[1:]} on {day.isoformat()}; choose another window.",
            fields=field_error(field_name, "No vehicle serves this window here."),
        )


def unserved_legs(
    session: Session, ctx: BookingContext, actor: User, day: date | None, now: datetime
) -> list[dict[str, Any]]:
    """Legs sold that no working shift can serve any more (a shift removed or shortened, a
    vehicle taken out of service): on ``day``, or from today to the booking horizon."""
    if actor.role not in STAFF:
        raise Forbidden("Only dispatchers and admins see unserved legs.")
    if day is not None:
        first = last = day
    else:
        first = ctx.policy.local(now).date()
        last = first + timedelta(days=ctx.policy.horizon_days)
    rows = session.scalars(
        select(Leg)
        .where(
            Leg.day >= first,
            Leg.day <= last,
            Leg.status == LegStatus.SCHEDULED,
            Leg.tentative.is_(False),
        )
        .order_by(Leg.day, Leg.pickup_start, Leg.id)
    ).all()
    districts = session.scalars(select(District)).all()
    covers: dict[date, list[availability.Cover]] = {}
    out = []
    for leg in rows:
        item = availability.leg_need(districts, leg)
        if leg.day not in covers:
            covers[leg.day] = availability.day_covers(session, leg.day)
        if availability.served(covers[leg.day], item):
            continue
        out.append(
            {
                "leg_id": leg.id,
                "booking_id": leg.booking_id,
                "booking_code": leg.booking.code,
                "day": leg.day,
                "window": leg.window_code,
                "purpose": leg.purpose.value,
                "district": item.district.name if item.district is not None else None,
                "detail": availability.explain(item),
            }
        )
    return out
