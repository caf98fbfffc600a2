"""Geocoded addresses, stored once per normalised query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from louise.db import Base, UTCDateTime, utcnow

ADDRESS_SOURCES = ("gazetteer", "nominatim", "client")
ADDRESS_PRECISIONS = ("house", "interpolated", "street", "place", "client")


class Address(Base):
    """A place louise can deliver to: what the client typed (normalised) and where it is.

    ``normalized_key`` is the lookup key of the query (see ``louise.geo.normalize``), so each
    distinct address is geocoded once. Coordinates a client gives directly are stored with
    ``source="client"`` and a key that includes the coordinates rounded to ~0.1 m.
    Rows are never updated in place: other tables point at them.
    """

    __tablename__ = "addresses"
    __table_args__ = (
        CheckConstraint(
            "source IN ('gazetteer', 'nominatim', 'client')",
            name="source",
        ),
        CheckConstraint(
            "precision IN ('house', 'interpolated', 'street', 'place', 'client')",
            name="precision",
        ),
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    normalized_key: Mapped[str] = mapped_column(String(400), unique=True, nullable=False)
    street: Mapped[str | None] = mapped_column(String(200), nullable=True)
    house_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    district: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    label: Mapped[str] = mapped_column(String(400), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    precision: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"<Address {self.id} {self.label!r} ({self.lat:.5f}, {self.lon:.5f})>"
