"""Which windows the fleet can serve: the one rule behind the slots, creating and moving
bookings, scheduling a return, the dispatcher's list of unserved legs and the planner's words
for an unassigned leg.

A shift can serve a leg when
- it is a working shift: its vehicle is active and its courier's account is active;
- its vehicle's kind is one the leg's district names, and the vehicle lists that district
  (or lists none: every district its kind may serve) — the planner's skills, the same test;
- it overlaps the leg's pickup window and its delivery window by at least ``MIN_COVER``
  each, and that pickup overlap starts before the delivery overlap ends.

The leg's district is the one of its resident end (door, LOUISE Point or locker); a leg between
a shop and the hub belongs to the shop's district.

A day with no shift at all is not rostered yet: every active vehicle counts as working the
whole day (and with no active vehicle at all, the default fleet of every kind) — the same
assumption as the window capacity. A day with shifts counts only its working shifts.

Only plain data and fleet rows here: the fleet package never calls into bookings, so a changed
or removed shift is never pushed anywhere; every answer is computed from the fleet as it is
when asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, literal, null, select, text, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CompoundSelect

from louise.auth.models import AccountStatus, User
from louise.bookings.models import Leg, StopKind
from louise.bookings.policy import BERLIN
from louise.fleet.models import District, Shift, Vehicle

MIN_COVER = timedelta(minutes=15)  # a shift must overlap each end of a leg by this much

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Cover:
    """Who works when: one working shift, or an assumed vehicle on an unrostered day."""

    kind: str | None  # None: any kind (the assumed default fleet)
    districts: frozenset[str]  # the vehicle's own list; empty: every district of its kind
    span: Span | None  # None: the whole day


@dataclass(frozen=True)
class Need:
    """What serving one leg takes: a vehicle for its district at both of its ends."""

    district: District | None
    pickup: Span
    delivery: Span
    at_pickup: bool  # the district's end is the pickup (else the delivery): named in words

    @property
    def window(self) -> Span:
        return self.pickup if self.at_pickup else self.delivery


def vehicle_serves(kind: str, vehicle_districts: Sequence[str], district: District | None) -> bool:
    """A vehicle of ``kind`` listing ``vehicle_districts`` may serve ``district``."""
    if district is None:
        return True
    return kind in district.vehicle_kinds and (
        not vehicle_districts or district.name in vehicle_districts
    )


def district_at(districts: Iterable[District], lat: float, lon: float) -> District | None:
    """The active district of a point: the lowest ``priority`` number wins an overlap."""
    ordered = sorted((d for d in districts if d.active), key=lambda d: (d.priority, d.id or 0))
    for district in ordered:
        if district.contains(lat, lon):
            return district
    return None


def anchor(
    origin_kind: StopKind,
    origin: tuple[float, float],
    dest_kind: StopKind,
    dest: tuple[float, float],
) -> tuple[tuple[float, float], bool]:
    """The place whose district decides who serves a leg, and whether it is the pickup end:
    the resident's end (door, Point, locker), else the shop (hub ↔ shop)."""
    if origin_kind == StopKind.RESIDENT:
        return origin, True
    if dest_kind in (StopKind.RESIDENT, StopKind.POINT, StopKind.LOCKER):
        return dest, False
    if dest_kind == StopKind.SHOP:
        return dest, False
    return origin, True


def need(
    districts: Iterable[District],
    origin_kind: StopKind,
    origin: tuple[float, float],
    dest_kind: StopKind,
    dest: tuple[float, float],
    pickup: Span,
    delivery: Span,
) -> Need:
    place, at_pickup = anchor(origin_kind, origin, dest_kind, dest)
    return Need(district_at(districts, *place), pickup, delivery, at_pickup)


def leg_need(districts: Iterable[District], leg: Leg) -> Need:
    """What serving a stored leg takes (the planner builds its skills from the same)."""
    return need(
        districts,
        leg.origin_kind,
        (leg.origin_lat, leg.origin_lon),
        leg.dest_kind,
        (leg.dest_lat, leg.dest_lon),
        (leg.pickup_start, leg.pickup_end),
        (leg.delivery_start, leg.delivery_end),
    )


def working_shifts(session: Session, day: date) -> list[Shift]:
    """The day's shifts that can run: an active vehicle and an active courier account."""
    return list(
        session.scalars(
            select(Shift)
            .join(Vehicle, Shift.vehicle_id == Vehicle.id)
            .join(User, Shift.courier_id == User.id)
            .where(
                Shift.day == day,
                Vehicle.active.is_(True),
                User.status == AccountStatus.ACTIVE,
            )
            .order_by(Shift.starts_at, Shift.id)
        ).all()
    )


def covers_of(shifts: Iterable[Shift]) -> list[Cover]:
    return [
        Cover(
            shift.vehicle.kind.value,
            frozenset(shift.vehicle.districts or ()),
            (shift.starts_at, shift.ends_at),
        )
        for shift in shifts
    ]


@dataclass(frozen=True)
class DayFleet:
    """Who works on a day, read once for every rule that asks: the working shifts' spans
    (``spans`` None: nobody is rostered that day), the covers, and the active vehicles
    assumed to work all day on an unrostered day."""

    spans: tuple[Span, ...] | None
    covers: tuple[Cover, ...]
    active_vehicles: int


# built once (building a statement costs about as much as running it on a hot path): the
# day's shifts (``rostered`` 1) and, for a day nobody is rostered on, the active vehicles
# (``rostered`` 0), in one statement
_FLEET_OF_DAY: CompoundSelect = union_all(
    select(
        literal(1).label("rostered"),
        Vehicle.kind,
        Vehicle.districts,
        Vehicle.active,
        User.status,
        Shift.starts_at,
        Shift.ends_at,
        Shift.id.label("shift_id"),
    )
    .join(Vehicle, Shift.vehicle_id == Vehicle.id)
    .join(User, Shift.courier_id == User.id)
    .where(Shift.day == bindparam("day")),
    select(
        literal(0), Vehicle.kind, Vehicle.districts, Vehicle.active, null(), null(), null(), null()
    ).where(Vehicle.active.is_(True)),
).order_by(text("rostered DESC, starts_at, shift_id"))


def day_fleet(session: Session, day: date) -> DayFleet:
    """The day's fleet in one statement: plain rows, not shift, vehicle and courier objects
    (the rules need five columns)."""
    rows = session.execute(_FLEET_OF_DAY, {"day": day}).all()
    shifts = [r for r in rows if r.rostered == 1]
    if shifts:  # rostered: only the working shifts count (active vehicle, active courier)
        working = [r for r in shifts if r.active and r.status == AccountStatus.ACTIVE]
        return DayFleet(
            spans=tuple((r.starts_at, r.ends_at) for r in working),
            covers=tuple(
                Cover(r.kind.value, frozenset(r.districts or ()), (r.starts_at, r.ends_at))
                for r in working
            ),
            active_vehicles=0,
        )
    vehicles = [r for r in rows if r.rostered == 0]
    covers = tuple(Cover(v.kind.value, frozenset(v.districts or ()), None) for v in vehicles)
    return DayFleet(
        spans=None,
        covers=covers or (Cover(None, frozenset(), None),),
        active_vehicles=len(vehicles),
    )


def day_covers(session: Session, day: date) -> list[Cover]:
    """Who works on ``day`` (see the module's rules for a day nobody is rostered on)."""
    return list(day_fleet(session, day).covers)


def _overlap(a: Span, b: Span) -> Span | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if end - start >= MIN_COVER else None


def serves(cover: Cover, item: Need) -> bool:
    """Whether ``cover`` can serve the leg ``item`` (kind, district and both windows)."""
    if cover.kind is not None and not vehicle_serves(
        cover.kind, sorted(cover.districts), item.district
    ):
        return False
    if cover.span is None:
        return True
    pick = _overlap(item.pickup, cover.span)
    drop = _overlap(item.delivery, cover.span)
    return pick is not None and drop is not None and pick[0] < drop[1]


def served(covers: Iterable[Cover], item: Need) -> bool:
    return any(serves(cover, item) for cover in covers)


def explain(item: Need) -> str:
    """Why nobody serves ``item``, in words: 'no car works in Feldhausen between 09:00 and
    11:00' (the window of the district's end, local time)."""
    start, end = (moment.astimezone(BERLIN) for moment in item.window)
    span = f"between {start:%H:%M} and {end:%H:%M}"
    if item.district is None:
        return f"no vehicle works {span}"
    kinds = " or ".join(sorted(item.district.vehicle_kinds)) or "vehicle"
    return f"no {kinds} works in {item.district.name} {span}"
