"""The shop's month: what the bikes carried for a shop and the CO2e that avoided.

Rules:
- the shop's owner, dispatchers and admins read it; another merchant, a courier or a
  resident gets 403, an unknown shop 404;
- the figures come from the impact ledger's **newest version** of each day of the month
  (:func:`louise.impact.reading.ledger_rows`); a day not built yet counts nothing;
- ``deliveries``: the shop's bookings the bikes or the e-car carried that month, each once
  (a round trip too); ``legs``: the transport legs among them (a round trip has at least
  two, more when an item waits at the hub overnight); ``round_trips_completed``: repairs
  and services whose way back reached the resident that month; CO2e in whole grams, km
  with one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, Role, User
from louise.bookings.models import Leg, LegPurpose, LegStatus
from louise.errors import Forbidden, NotFound
from louise.impact.reading import grams, ledger_rows
from louise.merchants.models import Merchant


@dataclass(frozen=True)
class ShopMonth:
    merchant_id: int
    month: str  # YYYY-MM
    days: int  # days of the month with a ledger row for the shop
    deliveries: int
    legs: int
    round_trips_completed: int
    bike_km: float
    ecar_km: float
    van_km: float
    avoided_km: float
    avoided_co2e_g: int


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of ``month``'s month."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _require_reader(actor: User, merchant: Merchant) -> None:
    if actor.role in STAFF:
        return
    if actor.role == Role.MERCHANT and merchant.owner_id == actor.id:
        return
    raise Forbidden("Only the shop's owner and LOUISE staff see the shop's impact.")


def _km(metres: int) -> float:
    return round(metres / 1000, 1)


def shop_month(session: Session, actor: User, merchant_id: int, month: date) -> ShopMonth:
    """The shop's figures for ``month``'s month (see the module rules)."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"Merchant {merchant_id} not found.")
    _require_reader(actor, merchant)
    first, last = month_bounds(month)
    rows = ledger_rows(session, first, last, merchant_id=merchant_id)
    returned: set[int] = set()
    if rows:
        returned = set(
            session.scalars(
                select(Leg.booking_id).where(
                    Leg.id.in_([r.leg_id for r in rows]),
                    Leg.purpose == LegPurpose.RETURN,
                    Leg.status == LegStatus.DELIVERED,
                )
            ).all()
        )
    bike = sum(r.bike_m for r in rows)
    ecar = sum(r.ecar_m for r in rows)
    van = sum(r.van_m for r in rows)
    return ShopMonth(
        merchant_id=merchant_id,
        month=f"{first:%Y-%m}",
        days=len({r.day for r in rows}),
        deliveries=len({r.booking_id for r in rows}),
        legs=len(rows),
        round_trips_completed=len(returned),
        bike_km=_km(bike),
        ecar_km=_km(ecar),
        van_km=_km(van),
        avoided_km=_km(van - bike - ecar),
        avoided_co2e_g=grams(sum(r.avoided_co2e_mg for r in rows)),
    )
