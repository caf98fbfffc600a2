"""What the impact ledger answers: day totals, its rows, a booking's avoided grams.

Every read takes the **newest ledger version of each day**; older versions stay stored for
audit and are never read here. Pure services (no Flask): the API, the CSV, the report and
the resident's line call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from louise.impact.models import ImpactDay, LedgerRow


@dataclass(frozen=True)
class DayTotals:
    """A built day (newest version): metres by mode, van metres, CO2e in milligrams."""

    day: date
    ledger_version: int
    factor_set_version: int
    plan_id: int
    legs: int
    vans: int
    bike_m: int
    ecar_m: int
    van_m: int
    avoided_m: int
    electric_co2e_mg: int
    van_co2e_mg: int
    avoided_co2e_mg: int

    @property
    def avoided_co2e_g(self) -> int:
        return grams(self.avoided_co2e_mg)


def grams(milligrams: int) -> int:
    """Whole grams, half up (milligrams are never negative for a van, but avoided may be)."""
    return (milligrams + 500) // 1000 if milligrams >= 0 else -((-milligrams + 500) // 1000)


def _newest() -> Select[tuple[date, int]]:
    return select(ImpactDay.day, func.max(ImpactDay.ledger_version).label("version")).group_by(
        ImpactDay.day
    )


def day_totals(session: Session, day: date) -> DayTotals | None:
    """The newest version of ``day``'s totals (None: the day was never built)."""
    built = session.scalar(
        select(ImpactDay)
        .where(ImpactDay.day == day)
        .order_by(ImpactDay.ledger_version.desc())
        .limit(1)
    )
    if built is None:
        return None
    sums = session.execute(
        select(
            func.coalesce(func.sum(LedgerRow.avoided_m), 0),
            func.coalesce(func.sum(LedgerRow.electric_co2e_mg), 0),
            func.coalesce(func.sum(LedgerRow.van_co2e_mg), 0),
            func.coalesce(func.sum(LedgerRow.avoided_co2e_mg), 0),
        ).where(LedgerRow.day == day, LedgerRow.ledger_version == built.ledger_version)
    ).one()
    return DayTotals(
        day=built.day,
        ledger_version=built.ledger_version,
        factor_set_version=built.factor_set_id,
        plan_id=built.plan_id,
        legs=built.legs,
        vans=built.vans,
        bike_m=built.bike_m,
        ecar_m=built.ecar_m,
        van_m=built.van_m,
        avoided_m=int(sums[0]),
        electric_co2e_mg=int(sums[1]),
        van_co2e_mg=int(sums[2]),
        avoided_co2e_mg=int(sums[3]),
    )


def last_built_day(session: Session, not_after: date | None = None) -> date | None:
    """The latest day the ledger holds (any version), on or before ``not_after``; None when
    no day was built. The city's dashboard opens on that day's month."""
    query = select(func.max(ImpactDay.day))
    if not_after is not None:
        query = query.where(ImpactDay.day <= not_after)
    day: date | None = session.scalar(query)
    return day


def ledger_rows(
    session: Session, first: date, last: date, *, merchant_id: int | None = None
) -> Sequence[LedgerRow]:
    """The rows of the days ``first``…``last`` (inclusive), newest version of each day,
    ordered by day and leg; with ``merchant_id`` only that shop's."""
    newest = _newest().where(ImpactDay.day >= first, ImpactDay.day <= last).subquery()
    query = select(LedgerRow).join(
        newest,
        and_(LedgerRow.day == newest.c.day, LedgerRow.ledger_version == newest.c.version),
    )
    if merchant_id is not None:
        query = query.where(LedgerRow.merchant_id == merchant_id)
    return session.scalars(query.order_by(LedgerRow.day, LedgerRow.leg_id)).all()


def booking_avoided_g(session: Session, booking_id: int) -> int | None:
    """The CO2e a booking's legs avoided against a van, in whole grams (a round trip: both
    legs, whatever their days), from the newest version of each day; None before any of its
    days was built."""
    days = select(LedgerRow.day).where(LedgerRow.booking_id == booking_id)
    newest = _newest().where(ImpactDay.day.in_(days)).subquery()
    total = session.scalar(
        select(func.sum(LedgerRow.avoided_co2e_mg))
        .join(
            newest,
            and_(LedgerRow.day == newest.c.day, LedgerRow.ledger_version == newest.c.version),
        )
        .where(LedgerRow.booking_id == booking_id)
    )
    return None if total is None else grams(int(total))


def bookings_avoided_g(session: Session, booking_ids: Sequence[int]) -> dict[int, int]:
    """:func:`booking_avoided_g` for many bookings in one statement: ``{booking id: whole
    grams}`` for the bookings the ledger has (the others are missing)."""
    if not booking_ids:
        return {}
    ids = sorted(set(booking_ids))
    days = select(LedgerRow.day).where(LedgerRow.booking_id.in_(ids))
    newest = _newest().where(ImpactDay.day.in_(days)).subquery()
    rows = session.execute(
        select(LedgerRow.booking_id, func.sum(LedgerRow.avoided_co2e_mg))
        .join(
            newest,
            and_(LedgerRow.day == newest.c.day, LedgerRow.ledger_version == newest.c.version),
        )
        .where(LedgerRow.booking_id.in_(ids))
        .group_by(LedgerRow.booking_id)
    ).all()
    return {booking_id: grams(int(total)) for booking_id, total in rows}


class LedgerAvoided:
    """The ledger's answer to the bookings' question (``louise.bookings.footprint``): the
    resident's line in booking and tracking answers. Registered by ``create_app``."""

    def avoided_g(self, session: Session, booking_ids: Sequence[int]) -> dict[int, int]:
        return bookings_avoided_g(session, booking_ids)
