"""Bookings, their transport legs, destinations, capacity counters, idempotency keys,
status history and the notification outbox."""

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from louise.auth.models import User
from louise.db import Base, TimestampMixin, UTCDateTime, str_enum, utcnow


class BookingStatus(enum.StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    AT_SHOP = "at_shop"
    READY = "ready"
    RETURNED = "returned"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class LegStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class LegPurpose(enum.StrEnum):
    COLLECT = "collect"  # resident → shop (service outbound, collection)
    RETURN = "return"  # shop → resident (service return)
    DELIVER = "deliver"  # shop → resident (product)


class StopKind(enum.StrEnum):
    RESIDENT = "resident"
    SHOP = "shop"
    HUB = "hub"
    POINT = "point"
    LOCKER = "locker"


class DestinationType(enum.StrEnum):
    DOOR = "door"
    POINT = "point"
    LOCKER = "locker"


class Channel(enum.StrEnum):
    APP = "app"
    HOTLINE = "hotline"


class MessageChannel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryPoint(TimestampMixin, Base):
    """A LOUISE Point (kiosk, petrol station: opening hours, shelf places) or a parcel
    locker (24/7, compartments by size)."""

    __tablename__ = "delivery_points"
    __table_args__ = (CheckConstraint("shelf_capacity >= 0", name="shelf_capacity_non_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[DestinationType] = mapped_column(str_enum(DestinationType, "point_kind"))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address_label: Mapped[str] = mapped_column(String(300), nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    # {"mon": [["09:00", "19:00"]], ...}; null for a 24/7 locker
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    shelf_capacity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # lockers: {"S": 12, "M": 8, "L": 4, "XL": 0}
    compartments: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False, default=dict)
    access_notes: Mapped[str | None] = mapped_column(String(300), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class CapacityCounter(Base):
    """One counter row per limited resource and day. ``used <= capacity`` is a CHECK in
    the database, and every reservation is a conditional UPDATE of this row, so no two
    requests can both take the last place (see docs/bookings.md, 'No overbooking')."""

    __tablename__ = "capacity_counters"
    __table_args__ = (
        UniqueConstraint("scope", "key", "day", name="uq_capacity_counters_scope_key_day"),
        CheckConstraint("used >= 0", name="used_non_negative"),
        CheckConstraint("used <= capacity", name="used_within_capacity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), nullable=False)  # window|offer|customer|point
    key: Mapped[str] = mapped_column(String(60), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Booking(TimestampMixin, Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("volume_l > 0 AND weight_kg > 0", name="positive_parcel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), nullable=False, unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "booking_channel"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), nullable=False, index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # the offer's kind
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus, "booking_status"))
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"), nullable=False)
    address_label: Mapped[str] = mapped_column(String(300), nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    district: Mapped[str] = mapped_column(String(100), nullable=False)
    destination_type: Mapped[DestinationType] = mapped_column(
        str_enum(DestinationType, "destination_type")
    )
    point_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_points.id"), nullable=True)
    pickup_pin: Mapped[str | None] = mapped_column(String(6), nullable=True)
    contact_name: Mapped[str] = mapped_column(String(200), nullable=False)
    contact_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    price_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    volume_l: Mapped[float] = mapped_column(Float, nullable=False)
    weight_kg: Mapped[float] = mapped_column(Float, nullable=False)
    parcel_size: Mapped[str] = mapped_column(String(10), nullable=False)
    return_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    tracking_token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="de")
    customer_counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("capacity_counters.id"), nullable=True
    )
    offer_counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("capacity_counters.id"), nullable=True
    )

    customer: Mapped[User] = relationship(foreign_keys=[customer_id], lazy="joined")
    legs: Mapped[list[Leg]] = relationship(
        back_populates="booking",
        order_by="Leg.seq",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    point: Mapped[DeliveryPoint | None] = relationship(lazy="joined")


class Leg(TimestampMixin, Base):
    """One transport task on one date, from A to B, with time windows at both ends."""

    __tablename__ = "legs"
    __table_args__ = (
        UniqueConstraint("booking_id", "seq", name="uq_legs_booking_id_seq"),
        CheckConstraint(
            "pickup_end > pickup_start AND delivery_end > delivery_start",
            name="windows_not_empty",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    purpose: Mapped[LegPurpose] = mapped_column(str_enum(LegPurpose, "leg_purpose"))
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    status: Mapped[LegStatus] = mapped_column(str_enum(LegStatus, "leg_status"))
    tentative: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    window_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("capacity_counters.id"), nullable=True
    )
    origin_kind: Mapped[StopKind] = mapped_column(str_enum(StopKind, "origin_kind"))
    origin_label: Mapped[str] = mapped_column(String(300), nullable=False)
    origin_lat: Mapped[float] = mapped_column(Float, nullable=False)
    origin_lon: Mapped[float] = mapped_column(Float, nullable=False)
    dest_kind: Mapped[StopKind] = mapped_column(str_enum(StopKind, "dest_kind"))
    dest_label: Mapped[str] = mapped_column(String(300), nullable=False)
    dest_lat: Mapped[float] = mapped_column(Float, nullable=False)
    dest_lon: Mapped[float] = mapped_column(Float, nullable=False)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_points.id"), nullable=True)
    point_counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("capacity_counters.id"), nullable=True
    )
    # Set when a published plan puts the leg on a courier's route (dispatch).
    courier_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    pickup_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    pickup_end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    delivery_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    delivery_end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    failure_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    booking: Mapped[Booking] = relationship(back_populates="legs")


class StatusChange(Base):
    """The full history: every booking or leg status change, with actor and time."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("legs.id"), nullable=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)


class OutboxMessage(Base):
    """A notification written in the same transaction as the change it reports; a sender
    delivers it later (at-least-once)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True, index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # an e-mail address, or for an SMS the phone number as it was given
    recipient: Mapped[str | None] = mapped_column(String(254), nullable=True)
    channel: Mapped[MessageChannel] = mapped_column(
        str_enum(MessageChannel, "message_channel"),
        nullable=False,
        default=MessageChannel.EMAIL,
        server_default=MessageChannel.EMAIL.value,
    )
    template: Mapped[str] = mapped_column(String(40), nullable=False)
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="de")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class IdempotencyKey(Base):
    """``Idempotency-Key`` of a POST, scoped to the user, kept at least 24 hours."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_id_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    completed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
