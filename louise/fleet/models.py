"""Vehicles and courier shifts. Bookings derive window capacity from them; dispatch plans
routes with them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from louise.auth.models import User
from louise.db import Base, TimestampMixin, UTCDateTime, str_enum


class VehicleKind(enum.StrEnum):
    BIKE = "bike"
    CAR = "car"


class Vehicle(TimestampMixin, Base):
    __tablename__ = "vehicles"
    __table_args__ = (
        CheckConstraint("capacity_l > 0 AND capacity_kg > 0", name="positive_capacity"),
        CheckConstraint("speed_kmh > 0", name="positive_speed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    kind: Mapped[VehicleKind] = mapped_column(
        str_enum(VehicleKind, "vehicle_kind", 10),
        nullable=False,
    )
    capacity_l: Mapped[float] = mapped_column(Float, nullable=False)
    capacity_kg: Mapped[float] = mapped_column(Float, nullable=False)
    speed_kmh: Mapped[float] = mapped_column(Float, nullable=False)
    districts: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Shift(TimestampMixin, Base):
    """A courier on a vehicle for a time span of one day, with breaks
    (``[{"start": iso, "end": iso, "duration_s": 1800}]``: take ``duration_s`` within the span)."""

    __tablename__ = "shifts"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    breaks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)

    courier: Mapped[User] = relationship(lazy="joined")
    vehicle: Mapped[Vehicle] = relationship(lazy="joined")


class District(Base):
    """A part of the service area and the vehicle kinds that serve it. Areas are
    rectangles; where two overlap the lower ``priority`` number wins."""

    __tablename__ = "districts"
    __table_args__ = (
        CheckConstraint("max_lat > min_lat AND max_lon > min_lon", name="non_empty_box"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    min_lat: Mapped[float] = mapped_column(Float, nullable=False)
    min_lon: Mapped[float] = mapped_column(Float, nullable=False)
    max_lat: Mapped[float] = mapped_column(Float, nullable=False)
    max_lon: Mapped[float] = mapped_column(Float, nullable=False)
    vehicle_kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon
