"""Plans of a day: versions, routes, ordered stops with ETAs and loads, unassigned legs.

A plan is written in one transaction (routes, stops, unassigned) after its solution passed the
independent validator; a crash while saving leaves the previous plan as it was.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from louise.db import Base, UTCDateTime, str_enum, utcnow
from louise.fleet.models import Shift


class PlanStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    FAILED = "failed"


class StopType(enum.StrEnum):
    START = "start"
    PICKUP = "pickup"
    DELIVERY = "delivery"
    BREAK = "break"
    END = "end"


class StopStatus(enum.StrEnum):
    PENDING = "pending"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class Plan(Base):
    """One planning run for a day. ``running_day`` is set while the run is queued or running;
    its UNIQUE constraint makes a second concurrent run for the same day impossible."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("day", "version", name="uq_plans_day_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, "plan_status"))
    running_day: Mapped[date | None] = mapped_column(Date, nullable=True, unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # solver summary, timings, validator verdict, what moved since the published plan
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    routes: Mapped[list[PlanRoute]] = relationship(
        back_populates="plan",
        order_by="PlanRoute.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    unassigned: Mapped[list[PlanUnassigned]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", lazy="selectin"
    )


class PlanRoute(Base):
    __tablename__ = "plan_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # Only the published plan pins its shifts; deleting a shift a draft routes leaves the
    # draft's route without it (and the draft unpublishable: re-plan).
    shift_id: Mapped[int | None] = mapped_column(
        ForeignKey("shifts.id", ondelete="SET NULL"), nullable=True
    )
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), nullable=False)
    courier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    distance_m: Mapped[float] = mapped_column(Float, nullable=False)
    duration_s: Mapped[float] = mapped_column(Float, nullable=False)

    plan: Mapped[Plan] = relationship(back_populates="routes")
    shift: Mapped[Shift | None] = relationship(lazy="selectin")
    stops: Mapped[list[PlanStop]] = relationship(
        back_populates="route",
        order_by="PlanStop.seq",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class PlanStop(Base):
    __tablename__ = "plan_stops"
    __table_args__ = (UniqueConstraint("route_id", "seq", name="uq_plan_stops_route_id_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route_id: Mapped[int] = mapped_column(
        ForeignKey("plan_routes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    type: Mapped[StopType] = mapped_column(str_enum(StopType, "stop_type"))
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("legs.id"), nullable=True, index=True)
    label: Mapped[str] = mapped_column(String(300), nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    eta: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    waiting_s: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    service_s: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    travel_s: Mapped[float] = mapped_column(Float, nullable=False, default=0)  # from previous
    distance_m: Mapped[float] = mapped_column(Float, nullable=False, default=0)  # cumulated
    load_l: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    load_kg: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    status: Mapped[StopStatus] = mapped_column(
        str_enum(StopStatus, "stop_status"), default=StopStatus.PENDING
    )
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    proof_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    proof_ref: Mapped[str | None] = mapped_column(String(300), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)

    route: Mapped[PlanRoute] = relationship(back_populates="stops")


class PlanUnassigned(Base):
    __tablename__ = "plan_unassigned"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), nullable=False, index=True
    )
    leg_id: Mapped[int] = mapped_column(ForeignKey("legs.id"), nullable=False)
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    detail: Mapped[str | None] = mapped_column(String(300), nullable=True)

    plan: Mapped[Plan] = relationship(back_populates="unassigned")


class ShiftPlans:
    """Dispatch's answer to fleet's question about planned shifts (``louise.fleet.on_plan``)."""

    def published_plan(self, session: Session, shift_id: int) -> int | None:
        return session.scalar(
            select(Plan.id)
            .join(PlanRoute, PlanRoute.plan_id == Plan.id)
            .where(PlanRoute.shift_id == shift_id, Plan.status == PlanStatus.PUBLISHED)
            .limit(1)
        )

    def release(self, session: Session, shift_id: int) -> None:
        session.execute(
            update(PlanRoute).where(PlanRoute.shift_id == shift_id).values(shift_id=None),
            execution_options={"synchronize_session": "fetch"},
        )
