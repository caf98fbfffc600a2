"""LOUISE Points, parcel lockers and districts: managed by dispatchers and admins.

Rules: only dispatchers and admins change them; a full Point or locker is not offered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, User
from louise.bookings.models import DeliveryPoint, DestinationType
from louise.bookings.points import point_remaining
from louise.errors import Forbidden, NotFound, ValidationFailed
from louise.fleet.models import District


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF:
        raise Forbidden("Only dispatchers and admins manage Points, lockers and districts.")


def _check_point(point: DeliveryPoint) -> None:
    if point.kind == DestinationType.LOCKER:
        if not point.compartments or sum(point.compartments.values()) <= 0:
            raise ValidationFailed(
                "A locker needs compartments.",
                fields={"json": {"compartments": ["At least one compartment."]}},
            )
    elif point.shelf_capacity <= 0:
        raise ValidationFailed(
            "A Point needs shelf places.",
            fields={"json": {"shelf_capacity": ["Must be at least 1."]}},
        )


def create_point(session: Session, actor: User, data: dict[str, Any]) -> DeliveryPoint:
    _require_staff(actor)
    point = DeliveryPoint(**data)
    _check_point(point)
    session.add(point)
    session.commit()
    return point


def update_point(
    session: Session, actor: User, point_id: int, data: dict[str, Any]
) -> DeliveryPoint:
    _require_staff(actor)
    point = session.get(DeliveryPoint, point_id)
    if point is None:
        raise NotFound(f"Point {point_id} not found.")
    for key, value in data.items():
        setattr(point, key, value)
    _check_point(point)
    session.commit()
    return point


def list_points(
    session: Session,
    *,
    kind: DestinationType | None,
    day: date | None,
    size: str,
    include_full: bool,
) -> list[tuple[DeliveryPoint, int | None]]:
    """Active Points and lockers with their free places on ``day``; full ones are left out
    unless ``include_full`` (dispatchers)."""
    query = select(DeliveryPoint).where(DeliveryPoint.active.is_(True))
    if kind is not None:
        query = query.where(DeliveryPoint.kind == kind)
    out: list[tuple[DeliveryPoint, int | None]] = []
    for point in session.scalars(query.order_by(DeliveryPoint.id)).all():
        free = point_remaining(session, point, size, day) if day is not None else None
        if free is not None and free <= 0 and not include_full:
            continue
        out.append((point, free))
    return out


def list_districts(session: Session) -> Sequence[District]:
    return session.scalars(select(District).order_by(District.priority, District.id)).all()


def create_district(session: Session, actor: User, data: dict[str, Any]) -> District:
    _require_staff(actor)
    district = District(**data)
    if district.max_lat <= district.min_lat or district.max_lon <= district.min_lon:
        raise ValidationFailed(
            "The box is empty.", fields={"json": {"max_lat": ["Must exceed min_lat/min_lon."]}}
        )
    session.add(district)
    session.commit()
    return district


def get_point(session: Session, point_id: int) -> DeliveryPoint:
    """An active Point or locker (public, like the list)."""
    point = session.get(DeliveryPoint, point_id)
    if point is None or not point.active:
        raise NotFound(f"Point {point_id} not found.")
    return point


def get_district(session: Session, district_id: int) -> District:
    district = session.get(District, district_id)
    if district is None:
        raise NotFound(f"District {district_id} not found.")
    return district
