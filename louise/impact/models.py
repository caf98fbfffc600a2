"""The impact tables: factor sets with their rows, built days and the append-only ledger.

- ``impact_factor_sets`` / ``impact_factors``: one set per distinct factor table (its id is
  the *factor-set version* ledger rows name); never changed once written.
- ``impact_days``: one row per built day and ledger version: which plan, which factor set,
  the day's bike, e-car and van metres (the van metres from the counterfactual plan) and how
  many vans that plan used.
- ``impact_ledger``: one row per leg per day and ledger version.

Rows are never updated or deleted by louise (``before_update``/``before_delete`` refuse);
a rebuild writes a new ledger version beside the old one. Distances are integer metres,
CO2e integer milligrams, so that the rows of a day add up exactly to its totals.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship
from sqlalchemy.types import Float

from louise.db import Base, UTCDateTime, utcnow


class LedgerIsAppendOnly(RuntimeError):
    """Something tried to change or delete a written impact row."""


class FactorSet(Base):
    __tablename__ = "impact_factor_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the factor-set version
    digest: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    factors: Mapped[list[FactorRow]] = relationship(
        back_populates="factor_set", order_by="FactorRow.key", lazy="selectin"
    )


class FactorRow(Base):
    __tablename__ = "impact_factors"
    __table_args__ = (UniqueConstraint("set_id", "key", name="uq_impact_factors_set_id_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(
        ForeignKey("impact_factor_sets.id"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(String(60), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(30), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)

    factor_set: Mapped[FactorSet] = relationship(back_populates="factors")


class ImpactDay(Base):
    """A built day in one ledger version (also when the day had no legs)."""

    __tablename__ = "impact_days"
    __table_args__ = (
        UniqueConstraint("day", "ledger_version", name="uq_impact_days_day_ledger_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    ledger_version: Mapped[int] = mapped_column(Integer, nullable=False)
    factor_set_id: Mapped[int] = mapped_column(ForeignKey("impact_factor_sets.id"), nullable=False)
    plan_id: Mapped[int] = mapped_column(Integer, nullable=False)  # the published plan read
    legs: Mapped[int] = mapped_column(Integer, nullable=False)
    bike_m: Mapped[int] = mapped_column(BigInteger, nullable=False)
    ecar_m: Mapped[int] = mapped_column(BigInteger, nullable=False)
    van_m: Mapped[int] = mapped_column(BigInteger, nullable=False)
    vans: Mapped[int] = mapped_column(Integer, nullable=False)  # vans the counterfactual used
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class LedgerRow(Base):
    """One leg's share of its day: km by mode, the van km it stands for, and the CO2e."""

    __tablename__ = "impact_ledger"
    __table_args__ = (
        UniqueConstraint(
            "day", "ledger_version", "leg_id", name="uq_impact_ledger_day_ledger_version_leg_id"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    ledger_version: Mapped[int] = mapped_column(Integer, nullable=False)
    factor_set_id: Mapped[int] = mapped_column(ForeignKey("impact_factor_sets.id"), nullable=False)
    leg_id: Mapped[int] = mapped_column(ForeignKey("legs.id"), nullable=False)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), nullable=False, index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    district: Mapped[str] = mapped_column(String(100), nullable=False)
    mode: Mapped[str] = mapped_column(String(10), nullable=False)  # "bike" | "ecar"
    route_id: Mapped[int] = mapped_column(Integer, nullable=False)
    km_source: Mapped[str] = mapped_column(String(10), nullable=False)  # "plan" | "recorded"
    bike_m: Mapped[int] = mapped_column(BigInteger, nullable=False)
    ecar_m: Mapped[int] = mapped_column(BigInteger, nullable=False)
    van_m: Mapped[int] = mapped_column(BigInteger, nullable=False)
    avoided_m: Mapped[int] = mapped_column(BigInteger, nullable=False)
    electric_co2e_mg: Mapped[int] = mapped_column(BigInteger, nullable=False)
    van_co2e_mg: Mapped[int] = mapped_column(BigInteger, nullable=False)
    avoided_co2e_mg: Mapped[int] = mapped_column(BigInteger, nullable=False)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


def _refuse(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    raise LedgerIsAppendOnly(
        f"{type(target).__name__} rows are append-only: write a new ledger version instead"
    )


for _model in (FactorSet, FactorRow, ImpactDay, LedgerRow):
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)
