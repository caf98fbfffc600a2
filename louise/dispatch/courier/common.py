"""What the courier workflow shares: its constants, errors, settings and proofs as given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.bookings import legs as booking_legs
from louise.bookings.models import Leg, LegStatus, StopKind
from louise.bookings.policy import ServicePolicy
from louise.dispatch.adapters import BERLIN
from louise.dispatch.models import PlanRoute, PlanStop, StopStatus, StopType
from louise.errors import Conflict, Forbidden

REASONS = ("not_at_home", "refused", "no_access", "damaged")
PROOF_KINDS = ("photo", "signature", "pin", "booking_code")

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


def require_courier(actor: User) -> None:
    if actor.role != Role.COURIER:
        raise Forbidden("Only couriers record stops.")


def stops_in_order(route: PlanRoute) -> list[PlanStop]:
    return sorted(route.stops, key=lambda s: s.seq)


def skip_stop(stop: PlanStop, reason: str, text: str) -> None:
    stop.status = StopStatus.SKIPPED
    stop.failure_reason = reason[:40]
    stop.note = text[:500]


def leg_of(session: Session, stop: PlanStop) -> Leg | None:
    return session.get(Leg, stop.leg_id) if stop.leg_id is not None else None
