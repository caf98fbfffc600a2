"""Public tracking of a booking by its unguessable link (``Booking.tracking_token``).

Rules:
- no login: the token is the key (43 url-safe characters from 32 random bytes), looked up
  through the unique index; an unknown or malformed token is 404 with the same body;
- the answer says the booking's state, its kind, the shop's name (a business, not a person:
  the tracking page shows it; the API answer leaves it out) and the next time window the
  resident can expect us — and nothing personal: no code, name, address, phone or PIN;
- ``impact``: the resident's line (:mod:`louise.bookings.footprint`), the CO2e the booking
  avoided against a van once the impact ledger holds its day, else null — a number and a
  sentence, nothing personal;
- the window is the published plan's ETA ± 15 minutes of the next resident-facing stop
  (a pickup at the door, a delivery to the door, Point or locker); before a plan is
  published it is the booked window of that leg; when nothing is ahead it is null.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.bookings import footprint
from louise.bookings.models import (
    Booking,
    BookingStatus,
    Leg,
    LegStatus,
    StatusChange,
    StopKind,
)
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop, StopStatus, StopType
from louise.dispatch.service import eta_window
from louise.errors import NotFound
from louise.merchants.models import Merchant

MAX_TOKEN_LENGTH = 64  # the column's width; anything longer cannot exist
RESIDENT_SIDE = (StopKind.RESIDENT, StopKind.POINT, StopKind.LOCKER)


@dataclass(frozen=True)
class NextStep:
    type: str  # pickup | delivery
    start: datetime
    end: datetime
    planned: bool


@dataclass(frozen=True)
class Tracking:
    status: str
    kind: str
    next: NextStep | None
    updated_at: datetime
    impact: footprint.ImpactLine | None = None
    shop: str | None = None


def track(session: Session, token: str) -> Tracking:
    """What a tracking link shows (see the module rules)."""
    found = (
        session.execute(
            select(Booking, Merchant.name)
            .join(Merchant, Merchant.id == Booking.merchant_id)
            .where(Booking.tracking_token == token)
        ).first()
        if 0 < len(token) <= MAX_TOKEN_LENGTH
        else None
    )
    if found is None:
        raise NotFound("Unknown tracking link.")
    booking, shop = found
    last_change = session.scalar(
        select(func.max(StatusChange.at)).where(StatusChange.booking_id == booking.id)
    )
    updated = max(filter(None, (booking.updated_at, last_change)))
    return Tracking(
        status=booking.status.value,
        kind=booking.kind,
        next=_next_step(session, booking),
        updated_at=updated,
        impact=footprint.lines(session, [(booking.id, booking.locale)])[booking.id],
        shop=shop,
    )


def _resident_facing(leg: Leg, stop_type: StopType) -> bool:
    if stop_type == StopType.PICKUP:
        return leg.origin_kind == StopKind.RESIDENT
    return stop_type == StopType.DELIVERY and leg.dest_kind in RESIDENT_SIDE


def _next_step(session: Session, booking: Booking) -> NextStep | None:
    if booking.status in (BookingStatus.COMPLETED, BookingStatus.CANCELLED):
        return None
    open_legs = {
        leg.id: leg
        for leg in booking.legs
        if leg.status in (LegStatus.SCHEDULED, LegStatus.PICKED_UP) and not leg.tentative
    }
    if not open_legs:
        return None
    stops = session.scalars(
        select(PlanStop)
        .join(PlanRoute, PlanStop.route_id == PlanRoute.id)
        .join(Plan, PlanRoute.plan_id == Plan.id)
        .where(
            PlanStop.leg_id.in_(open_legs),
            Plan.status == PlanStatus.PUBLISHED,
            PlanStop.status.in_((StopStatus.PENDING, StopStatus.ARRIVED)),
        )
        .order_by(PlanStop.eta, PlanStop.id)
    ).all()
    for stop in stops:
        assert stop.leg_id is not None
        if _resident_facing(open_legs[stop.leg_id], stop.type):
            start, end = eta_window(stop)
            return NextStep(type=stop.type.value, start=start, end=end, planned=True)
    planned_legs = {stop.leg_id for stop in stops}
    for leg in sorted(open_legs.values(), key=lambda leg: (leg.day, leg.seq)):
        if leg.id in planned_legs:
            continue
        if leg.status == LegStatus.SCHEDULED and leg.origin_kind == StopKind.RESIDENT:
            return NextStep("pickup", leg.pickup_start, leg.pickup_end, planned=False)
        if leg.dest_kind in RESIDENT_SIDE:
            return NextStep("delivery", leg.delivery_start, leg.delivery_end, planned=False)
    return None
