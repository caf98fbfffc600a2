"""Merchants (local shops), their opening hours and their offers."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from louise.auth.models import AccountStatus, User
from louise.collation import sort_string
from louise.db import Base, TimestampMixin, str_enum
from louise.merchants import hours

if TYPE_CHECKING:
    from louise.geo.models import Address


class Category(enum.StrEnum):
    COBBLER = "cobbler"
    LAUNDRY = "laundry"
    TAILOR = "tailor"
    BOOKSHOP = "bookshop"
    BIKE_SHOP = "bike_shop"
    GROCERY = "grocery"
    FLORIST = "florist"
    PHARMACY = "pharmacy"
    BAKERY = "bakery"
    ELECTRONICS = "electronics"
    OTHER = "other"


class OfferKind(enum.StrEnum):
    SERVICE = "service"  # round trip: resident → shop, back after turnaround_days
    PRODUCT = "product"  # shop → resident
    COLLECTION = "collection"  # resident → shop


class ParcelSize(enum.StrEnum):
    S = "S"
    M = "M"
    L = "L"
    XL = "XL"
    CUSTOM = "custom"


#: the standard parcel sizes, smallest first: locker compartments come in these sizes
STANDARD_SIZES: tuple[str, ...] = tuple(s.value for s in ParcelSize if s is not ParcelSize.CUSTOM)


#: Litres and kilograms of the standard parcel sizes (documented in docs/merchants.md).
PARCEL_SIZES: dict[ParcelSize, tuple[float, float]] = {
    ParcelSize.S: (10.0, 3.0),
    ParcelSize.M: (25.0, 8.0),
    ParcelSize.L: (50.0, 15.0),
    ParcelSize.XL: (100.0, 30.0),
}


def offer_problems(
    *,
    kind: OfferKind,
    parcel_size: ParcelSize,
    volume_l: float | None,
    weight_kg: float | None,
    turnaround_days: int | None,
    daily_capacity: int | None,
) -> dict[str, list[str]]:
    """Cross-field rules of an offer, by field name (empty when the offer is consistent)."""
    problems: dict[str, list[str]] = {}
    if parcel_size == ParcelSize.CUSTOM:
        for name, value in (("volume_l", volume_l), ("weight_kg", weight_kg)):
            if value is None:
                problems[name] = ["Required when parcel_size is custom."]
    else:
        for name, value in (("volume_l", volume_l), ("weight_kg", weight_kg)):
            if value is not None:
                problems[name] = [
                    f"Only with parcel_size custom; {parcel_size.value} is fixed "
                    f"({PARCEL_SIZES[parcel_size][0]:g} l, {PARCEL_SIZES[parcel_size][1]:g} kg)."
                ]
    if kind == OfferKind.SERVICE:
        if turnaround_days is None:
            problems["turnaround_days"] = ["Required for a service (days until it comes back)."]
    else:
        if turnaround_days is not None:
            problems["turnaround_days"] = ["Only a service has a turnaround."]
        if daily_capacity is not None:
            problems["daily_capacity"] = ["Only a service has a daily capacity."]
    return problems


class Merchant(TimestampMixin, Base):
    """A local shop. Public when it is active and its owner's account is approved (active)."""

    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(220), nullable=False, unique=True)
    category: Mapped[Category] = mapped_column(
        str_enum(Category, "merchant_category"), nullable=False, index=True
    )
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address_id: Mapped[int] = mapped_column(
        ForeignKey("addresses.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    # Copied from the address so that "near" queries need no join.
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    owner: Mapped[User] = relationship(lazy="joined")
    address: Mapped[Address] = relationship(lazy="joined")
    opening_intervals: Mapped[list[OpeningInterval]] = relationship(
        back_populates="merchant",
        cascade="all, delete-orphan",
        order_by="(OpeningInterval.weekday, OpeningInterval.opens)",
        lazy="selectin",
    )
    opening_exceptions: Mapped[list[OpeningException]] = relationship(
        back_populates="merchant",
        cascade="all, delete-orphan",
        order_by="OpeningException.day",
        lazy="selectin",
    )
    offers: Mapped[list[Offer]] = relationship(
        back_populates="merchant", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
    )

    @property
    def is_public(self) -> bool:
        return self.active and self.owner.status == AccountStatus.ACTIVE

    def weekly_hours(self) -> dict[int, list[hours.Interval]]:
        weekly: dict[int, list[hours.Interval]] = {}
        for row in self.opening_intervals:
            weekly.setdefault(row.weekday, []).append(hours.Interval(row.opens, row.closes))
        return weekly

    def date_exceptions(self) -> list[hours.DateException]:
        return [row.as_value() for row in self.opening_exceptions]

    def opening_intervals_on(self, day: date) -> list[hours.Interval]:
        """Local opening intervals of ``day``, honouring date exceptions."""
        return hours.opening_intervals_on(day, self.weekly_hours(), self.date_exceptions())

    def is_open_at(self, moment: datetime) -> bool:
        """Whether the shop is open at the timezone-aware ``moment``."""
        return hours.is_open_at(moment, self.weekly_hours(), self.date_exceptions())

    def is_open_during(self, start: datetime, end: datetime) -> bool:
        """Whether one opening interval covers the whole window ``[start, end)``."""
        return hours.is_open_during(start, end, self.weekly_hours(), self.date_exceptions())

    def is_open_on(self, day: date) -> bool:
        return hours.is_open_on(day, self.weekly_hours(), self.date_exceptions())

    def open_until(self, moment: datetime) -> datetime | None:
        """When the shop, open at ``moment``, closes (local time); None when it is closed."""
        return hours.open_until(moment, self.weekly_hours(), self.date_exceptions())

    def next_opening(self, moment: datetime) -> datetime | None:
        """When the shop next opens after ``moment`` (local time), within two weeks."""
        return hours.next_opening(moment, self.weekly_hours(), self.date_exceptions())


class OpeningInterval(Base):
    """One weekly opening interval, local wall-clock time (Europe/Berlin)."""

    __tablename__ = "merchant_opening_intervals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # 0 = Monday
    opens: Mapped[time] = mapped_column(Time, nullable=False)
    closes: Mapped[time] = mapped_column(Time, nullable=False)

    merchant: Mapped[Merchant] = relationship(back_populates="opening_intervals")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("closes > opens", name="closes_after_opens"),
    )


class OpeningException(Base):
    """A date with other hours than the week: a holiday, a closure, a late opening."""

    __tablename__ = "merchant_opening_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    day: Mapped[date] = mapped_column(Date, nullable=False)
    closed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Special intervals as [["09:00", "12:00"], ...]; few per date, never queried on their own.
    special_intervals: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    merchant: Mapped[Merchant] = relationship(back_populates="opening_exceptions")

    __table_args__ = (UniqueConstraint("merchant_id", "day"),)

    @property
    def intervals(self) -> tuple[hours.Interval, ...]:
        return tuple(
            hours.Interval(time.fromisoformat(opens), time.fromisoformat(closes))
            for opens, closes in self.special_intervals
        )

    def as_value(self) -> hours.DateException:
        return hours.DateException(self.day, self.closed, self.intervals)


class Offer(TimestampMixin, Base):
    """What a merchant lists: a service (round trip), a product delivery or a collection."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[OfferKind] = mapped_column(
        str_enum(OfferKind, "offer_kind"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    # the title's DIN 5007 order key (collation.sort_string), set with the title: the
    # catalogue orders and pages by it in the database
    title_sort: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    price_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    parcel_size: Mapped[ParcelSize] = mapped_column(
        str_enum(ParcelSize, "parcel_size"), nullable=False
    )
    volume_l: Mapped[float] = mapped_column(Float, nullable=False)
    weight_kg: Mapped[float] = mapped_column(Float, nullable=False)
    turnaround_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    daily_capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    merchant: Mapped[Merchant] = relationship(back_populates="offers", lazy="joined")

    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("volume_l > 0 AND weight_kg > 0", name="parcel_positive"),
        CheckConstraint(
            "(kind = 'service' AND turnaround_days >= 1)"
            " OR (kind <> 'service' AND turnaround_days IS NULL)",
            name="turnaround_for_services",
        ),
        CheckConstraint(
            "daily_capacity IS NULL OR (kind = 'service' AND daily_capacity >= 1)",
            name="capacity_for_services",
        ),
    )

    @validates("title")
    def _keep_title_sort(self, _key: str, title: str) -> str:
        self.title_sort = sort_string(title)
        return title

    @property
    def is_public(self) -> bool:
        return self.active and self.merchant.is_public
