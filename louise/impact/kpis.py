"""Service KPIs of a date range, per day, ISO week, month, district or shop (docs/impact.md).

Rules:
- the unit is the **leg** on a day of the range (``legs.day``), cancelled legs and cancelled
  bookings left out; a group's *bookings* are the distinct bookings with such a leg in it (a
  round trip whose two legs fall in two weeks counts in both, once in the total);
- stops come from the **published** plans of those days; the km from the **newest ledger
  version** of each day (``reading``);
- **small groups are suppressed:** a group with fewer than ``MIN_GROUP_BOOKINGS`` bookings
  (the total row too) has every figure withheld — for every caller, so no published figure
  describes fewer than five bookings; and so that no difference of published figures does
  either, more groups are withheld until the withheld ones hold at least five together
  (:func:`_withheld`);
- a fixed number of grouped SQL statements per call (each query once per group and once for
  the total), whatever the number of bookings.

No Flask: the API, the CSV and the monthly report call :func:`kpis`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session

from louise.bookings.models import (
    Booking,
    BookingStatus,
    Leg,
    LegPurpose,
    LegStatus,
    StopKind,
)
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop, StopStatus, StopType
from louise.errors import ValidationFailed
from louise.impact.models import ImpactDay, LedgerRow
from louise.merchants.models import Merchant

#: a group with fewer bookings than this shows no figures (docs/impact.md, "Suppression")
MIN_GROUP_BOOKINGS = 5
#: the longest range one call reads, in days (inclusive of both ends)
MAX_RANGE_DAYS = 366
TOTAL = "total"


class GroupBy(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    DISTRICT = "district"
    MERCHANT = "merchant"


@dataclass(frozen=True)
class Figures:
    """The KPIs of one group; every field None when the group is suppressed."""

    bookings: int | None = None
    active_residents: int | None = None
    active_shops: int | None = None
    routes: int | None = None
    stops: int | None = None
    stops_per_route: float | None = None
    stops_per_km: float | None = None
    deliveries: int | None = None
    on_time_rate: float | None = None
    failed_attempt_rate: float | None = None
    point_locker_share: float | None = None
    round_trips: int | None = None
    avg_turnaround_days: float | None = None
    bike_km: float | None = None
    ecar_km: float | None = None
    van_km: float | None = None
    van_km_avoided: float | None = None
    co2e_avoided_kg: float | None = None


FIGURES = tuple(f.name for f in fields(Figures))


@dataclass(frozen=True)
class KpiGroup:
    """One row: a period (``first``…``last``), a district or a shop, or the total."""

    key: str  # 2026-11-23 | 2026-W48 | 2026-11 | a district's name | a shop's id | total
    label: str  # the same, or the shop's (public business) name
    first: date
    last: date
    suppressed: bool
    figures: Figures


@dataclass(frozen=True)
class KpiReport:
    first: date
    last: date
    group_by: GroupBy
    groups: tuple[KpiGroup, ...]
    total: KpiGroup
    factor_set_versions: tuple[int, ...]  # the factor sets of the ledger versions read


def check_range(first: date, last: date) -> None:
    """``first`` ≤ ``last`` and at most ``MAX_RANGE_DAYS`` days (422 naming ``to``)."""
    if last < first:
        raise ValidationFailed(
            "'to' is before 'from'.", fields={"query": {"to": ["Must not be before 'from'."]}}
        )
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            f"The range is longer than {MAX_RANGE_DAYS} days.",
            fields={"query": {"to": [f"At most {MAX_RANGE_DAYS} days after 'from'."]}},
        )


def periods(first: date, last: date, group_by: GroupBy) -> list[tuple[str, date, date]]:
    """The days, ISO weeks or months of the range as (key, first day, last day), clipped."""
    out: list[tuple[str, date, date]] = []
    day = first
    while day <= last:
        if group_by == GroupBy.DAY:
            end = day
            key = day.isoformat()
        elif group_by == GroupBy.WEEK:
            end = day + timedelta(days=6 - day.weekday())
            year, week, _ = day.isocalendar()
            key = f"{year}-W{week:02d}"
        else:
            following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            end = following - timedelta(days=1)
            key = f"{day.year}-{day.month:02d}"
        end = min(end, last)
        out.append((key, day, end))
        day = end + timedelta(days=1)
    return out


def _ratio(part: int, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def _km(metres: int | None) -> float:
    return round((metres or 0) / 1000, 3)


@dataclass
class _Acc:
    """Raw sums of one group, as the queries return them."""

    bookings: int = 0
    residents: int = 0
    shops: int = 0
    resident_deliveries: int = 0
    point_locker: int = 0
    routes: int = 0
    stops: int = 0
    attempts: int = 0
    failed: int = 0
    delivered_stops: int = 0
    on_time: int = 0
    round_trips: int = 0
    turnaround_days: float = 0.0
    bike_m: int = 0
    ecar_m: int = 0
    van_m: int = 0
    avoided_m: int = 0
    avoided_mg: int = 0

    def figures(self) -> Figures:
        electric_km = _km(self.bike_m + self.ecar_m)
        return Figures(
            bookings=self.bookings,
            active_residents=self.residents,
            active_shops=self.shops,
            routes=self.routes,
            stops=self.stops,
            stops_per_route=_ratio(self.stops, self.routes, 2),
            stops_per_km=round(self.stops / electric_km, 2) if electric_km > 0 else None,
            deliveries=self.resident_deliveries,
            on_time_rate=_ratio(self.on_time, self.delivered_stops),
            failed_attempt_rate=_ratio(self.failed, self.attempts),
            point_locker_share=_ratio(self.point_locker, self.resident_deliveries),
            round_trips=self.round_trips,
            avg_turnaround_days=(
                round(self.turnaround_days / self.round_trips, 2) if self.round_trips else None
            ),
            bike_km=_km(self.bike_m),
            ecar_km=_km(self.ecar_m),
            van_km=_km(self.van_m),
            van_km_avoided=_km(self.avoided_m),
            co2e_avoided_kg=round(self.avoided_mg / 1_000_000, 3),
        )


#: GROUP BY the first column: PostgreSQL sees a CASE with bound parameters in the select list
#: and in GROUP BY as two different expressions, a position is one
BY_KEY = text("1")
KeyOf = Callable[[Any, Any, Any], ColumnElement[Any]]


def _key_of(group_by: GroupBy, spans: Sequence[tuple[str, date, date]]) -> KeyOf:
    """The SQL expression of a row's group from its day, district and merchant columns: the
    periods as one CASE over day ranges (the same SQL on SQLite and PostgreSQL)."""

    def key(day: Any, district: Any, merchant_id: Any) -> ColumnElement[Any]:
        if group_by == GroupBy.DISTRICT:
            return district
        if group_by == GroupBy.MERCHANT:
            return cast(merchant_id, String(12))
        return case(*((day.between(a, b), literal(k)) for k, a, b in spans), else_=literal(""))

    return key


def kpis(session: Session, first: date, last: date, group_by: GroupBy | str) -> KpiReport:
    """The KPIs of ``first``…``last`` per ``group_by`` and in total, small groups suppressed."""
    group_by = GroupBy(group_by)
    check_range(first, last)
    spans = periods(first, last, group_by)
    grouped = _key_of(group_by, spans)
    accs: dict[str, _Acc] = {}
    total = _Acc()

    def run(query: Callable[[KeyOf], Select[Any]], apply: Callable[[_Acc, Any], None]) -> None:
        for row in session.execute(query(grouped)):
            apply(accs.setdefault(str(row[0]), _Acc()), row)
        for row in session.execute(query(lambda *_: literal(TOTAL))):
            apply(total, row)

    live_legs = and_(
        Leg.day.between(first, last),
        Leg.status != LegStatus.CANCELLED,
        Booking.status != BookingStatus.CANCELLED,
    )

    def bookings_q(key: KeyOf) -> Select[Any]:
        k = key(Leg.day, Booking.district, Booking.merchant_id)
        resident_leg = Leg.purpose.in_((LegPurpose.DELIVER, LegPurpose.RETURN))
        delivered = and_(resident_leg, Leg.status == LegStatus.DELIVERED)
        return (
            select(
                k,
                func.count(distinct(Booking.id)),
                func.count(distinct(Booking.customer_id)),
                func.count(distinct(Booking.merchant_id)),
                func.sum(case((delivered, 1), else_=0)),
                func.sum(
                    case(
                        (and_(delivered, Leg.dest_kind.in_((StopKind.POINT, StopKind.LOCKER))), 1),
                        else_=0,
                    )
                ),
            )
            .join(Booking, Booking.id == Leg.booking_id)
            .where(live_legs)
            .group_by(BY_KEY)
        )

    def apply_bookings(acc: _Acc, row: Any) -> None:
        acc.bookings, acc.residents, acc.shops = int(row[1]), int(row[2]), int(row[3])
        acc.resident_deliveries, acc.point_locker = int(row[4] or 0), int(row[5] or 0)

    def stops_q(key: KeyOf) -> Select[Any]:
        k = key(Leg.day, Booking.district, Booking.merchant_id)
        attempted = PlanStop.status.in_((StopStatus.COMPLETED, StopStatus.FAILED))
        delivered = and_(
            PlanStop.type == StopType.DELIVERY, PlanStop.status == StopStatus.COMPLETED
        )
        on_time = and_(
            delivered,
            PlanStop.done_at >= Leg.delivery_start,
            PlanStop.done_at <= Leg.delivery_end,
        )
        return (
            select(
                k,
                func.count(distinct(PlanRoute.id)),
                func.sum(case((PlanStop.status != StopStatus.SKIPPED, 1), else_=0)),
                func.sum(case((attempted, 1), else_=0)),
                func.sum(case((PlanStop.status == StopStatus.FAILED, 1), else_=0)),
                func.sum(case((delivered, 1), else_=0)),
                func.sum(case((on_time, 1), else_=0)),
            )
            .select_from(PlanStop)
            .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
            .join(Plan, Plan.id == PlanRoute.plan_id)
            .join(Leg, Leg.id == PlanStop.leg_id)
            .join(Booking, Booking.id == Leg.booking_id)
            .where(
                live_legs,
                Plan.status == PlanStatus.PUBLISHED,
                Plan.day == Leg.day,
                PlanStop.type.in_((StopType.PICKUP, StopType.DELIVERY)),
            )
            .group_by(BY_KEY)
        )

    def apply_stops(acc: _Acc, row: Any) -> None:
        acc.routes, acc.stops = int(row[1]), int(row[2] or 0)
        acc.attempts, acc.failed = int(row[3] or 0), int(row[4] or 0)
        acc.delivered_stops, acc.on_time = int(row[5] or 0), int(row[6] or 0)

    # A round trip is a booking whose collection reached the shop and whose return reached
    # the resident: each booking once, whatever its legs (via the hub it has two of each).
    # Its day is the return's last leg; the turnaround runs from the first collection leg.
    returned = (
        select(Leg.booking_id.label("booking_id"), func.max(Leg.day).label("day"))
        .where(Leg.purpose == LegPurpose.RETURN, Leg.status != LegStatus.CANCELLED)
        .group_by(Leg.booking_id)
        .having(func.sum(case((Leg.status == LegStatus.DELIVERED, 0), else_=1)) == 0)
        .subquery()
    )
    collected = (
        select(Leg.booking_id.label("booking_id"), func.min(Leg.day).label("day"))
        .where(Leg.purpose == LegPurpose.COLLECT, Leg.status != LegStatus.CANCELLED)
        .group_by(Leg.booking_id)
        .having(func.sum(case((Leg.status == LegStatus.DELIVERED, 0), else_=1)) == 0)
        .subquery()
    )
    if session.get_bind().dialect.name == "sqlite":
        days_between: Any = func.julianday(returned.c.day) - func.julianday(collected.c.day)
    else:
        days_between = returned.c.day - collected.c.day

    def round_trips_q(key: KeyOf) -> Select[Any]:
        k = key(returned.c.day, Booking.district, Booking.merchant_id)
        return (
            select(k, func.count(Booking.id), func.sum(days_between))
            .select_from(returned)
            .join(collected, collected.c.booking_id == returned.c.booking_id)
            .join(Booking, Booking.id == returned.c.booking_id)
            .where(
                returned.c.day.between(first, last),
                Booking.status != BookingStatus.CANCELLED,
            )
            .group_by(BY_KEY)
        )

    def apply_round_trips(acc: _Acc, row: Any) -> None:
        acc.round_trips, acc.turnaround_days = int(row[1]), float(row[2] or 0)

    newest = (
        select(ImpactDay.day, func.max(ImpactDay.ledger_version).label("version"))
        .where(ImpactDay.day.between(first, last))
        .group_by(ImpactDay.day)
        .subquery()
    )
    newest_rows = and_(LedgerRow.day == newest.c.day, LedgerRow.ledger_version == newest.c.version)

    def ledger_q(key: KeyOf) -> Select[Any]:
        k = key(LedgerRow.day, LedgerRow.district, LedgerRow.merchant_id)
        return (
            select(
                k,
                func.sum(LedgerRow.bike_m),
                func.sum(LedgerRow.ecar_m),
                func.sum(LedgerRow.van_m),
                func.sum(LedgerRow.avoided_m),
                func.sum(LedgerRow.avoided_co2e_mg),
            )
            .join(newest, newest_rows)
            .group_by(BY_KEY)
        )

    def apply_ledger(acc: _Acc, row: Any) -> None:
        acc.bike_m, acc.ecar_m, acc.van_m = int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)
        acc.avoided_m, acc.avoided_mg = int(row[4] or 0), int(row[5] or 0)

    run(bookings_q, apply_bookings)
    run(stops_q, apply_stops)
    run(round_trips_q, apply_round_trips)
    run(ledger_q, apply_ledger)
    versions = session.scalars(
        select(distinct(ImpactDay.factor_set_id))
        .join(
            newest,
            and_(ImpactDay.day == newest.c.day, ImpactDay.ledger_version == newest.c.version),
        )
        .order_by(ImpactDay.factor_set_id)
    ).all()

    if group_by in (GroupBy.DAY, GroupBy.WEEK, GroupBy.MONTH):
        raw = [(k, k, a, b, accs.get(k, _Acc())) for k, a, b in spans]
    else:
        labels = {key: key for key in accs}
        if group_by == GroupBy.MERCHANT and accs:
            ids = [int(key) for key in accs]
            labels = {
                str(m_id): name
                for m_id, name in session.execute(
                    select(Merchant.id, Merchant.name).where(Merchant.id.in_(ids))
                )
            }
        raw = [
            (key, labels.get(key, key), first, last, acc)
            for key, acc in sorted(accs.items(), key=lambda item: labels.get(item[0], item[0]))
        ]
    withheld = _withheld([acc.bookings for *_, acc in raw])
    rows = [
        _group(key, label, a, b, acc, n in withheld)
        for n, (key, label, a, b, acc) in enumerate(raw)
    ]
    return KpiReport(
        first=first,
        last=last,
        group_by=group_by,
        groups=tuple(rows),
        total=_group(TOTAL, TOTAL, first, last, total, total.bookings < MIN_GROUP_BOOKINGS),
        factor_set_versions=tuple(int(v) for v in versions),
    )


def _withheld(bookings: Sequence[int]) -> set[int]:
    """The groups (by position) whose figures are withheld: every group under
    ``MIN_GROUP_BOOKINGS`` bookings, and — **complementary suppression** — while the withheld
    groups that have any booking hold fewer than that together, the shown group with the
    fewest bookings too; otherwise the total minus the shown groups would give the small
    groups' figures away (the figures of days, weeks, months, districts and shops add up to
    the total)."""
    withheld = {n for n, count in enumerate(bookings) if count < MIN_GROUP_BOOKINGS}
    while 0 < sum(bookings[n] for n in withheld) < MIN_GROUP_BOOKINGS:
        shown = [n for n in range(len(bookings)) if n not in withheld]
        if not shown:
            break
        withheld.add(min(shown, key=lambda n: (bookings[n], n)))
    return withheld


def _group(key: str, label: str, first: date, last: date, acc: _Acc, suppressed: bool) -> KpiGroup:
    return KpiGroup(
        key=key,
        label=label,
        first=first,
        last=last,
        suppressed=suppressed,
        figures=Figures() if suppressed else acc.figures(),
    )
