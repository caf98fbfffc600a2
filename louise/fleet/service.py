"""Vehicles and courier shifts: managed by dispatchers and admins.

Rules:
- only dispatchers and admins read or change the fleet;
- a vehicle has a positive capacity (litres and kilograms) and speed; its districts exist;
- a shift ends after it starts, on an active vehicle, for an active courier account; its
  breaks lie inside it and fit their span; its day is the local (Europe/Berlin) date it
  starts on;
- neither a vehicle nor a courier has two overlapping shifts (409 ``shift_overlaps``);
- a shift the published plan of its day routes cannot be deleted (409 ``shift_planned``):
  re-plan the day without it and publish that first. Drafts do not pin shifts: their routes
  lose the shift (``shift_id`` null) and the draft can no longer be published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, AccountStatus, Role, User
from louise.db import commit_unique, rollback_on_error
from louise.errors import Conflict, Forbidden, NotFound, ValidationFailed
from louise.fleet import on_plan
from louise.fleet.models import District, Shift, Vehicle, VehicleKind
from louise.localtime import BUSINESS_TZ

BERLIN = BUSINESS_TZ
VEHICLE_FIELDS = ("name", "kind", "capacity_l", "capacity_kg", "speed_kmh", "districts", "active")
SHIFT_FIELDS = ("courier_id", "vehicle_id", "starts_at", "ends_at", "breaks")


class ShiftOverlaps(Conflict):
    code = "shift_overlaps"


class ShiftPlanned(Conflict):
    code = "shift_planned"


class VehicleNameTaken(Conflict):
    code = "vehicle_name_taken"


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF:
        raise Forbidden("Only dispatchers and admins manage vehicles and shifts.")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"json": {field: [message]}})


# --- vehicles ---------------------------------------------------------------------------------


def list_vehicles(session: Session, actor: User) -> Sequence[Vehicle]:
    _require_staff(actor)
    return session.scalars(select(Vehicle).order_by(Vehicle.id)).all()


def _check_vehicle(session: Session, vehicle: Vehicle) -> None:
    """Capacity and speed positive, a known kind, districts that exist."""
    if not vehicle.capacity_l > 0:
        raise _invalid("capacity_l", "Capacity must be greater than 0.")
    if not vehicle.capacity_kg > 0:
        raise _invalid("capacity_kg", "Capacity must be greater than 0.")
    if not vehicle.speed_kmh > 0:
        raise _invalid("speed_kmh", "Speed must be greater than 0.")
    names = list(vehicle.districts or [])
    if len(set(names)) != len(names):
        raise _invalid("districts", "A district is listed twice.")
    if names:
        known = set(session.scalars(select(District.name).where(District.name.in_(names))).all())
        unknown = [n for n in names if n not in known]
        if unknown:
            raise _invalid("districts", f"Unknown districts: {', '.join(unknown)}.")


def _commit_vehicle(session: Session, vehicle: Vehicle) -> Vehicle:
    commit_unique(
        session,
        lambda: VehicleNameTaken(
            f"A vehicle named {vehicle.name!r} exists already.",
            fields={"json": {"name": ["Already taken."]}},
        ),
    )
    return vehicle


def create_vehicle(session: Session, actor: User, data: Mapping[str, Any]) -> Vehicle:
    """Add a vehicle to the fleet (unique name; see :func:`_check_vehicle`)."""
    _require_staff(actor)
    values = {k: data[k] for k in VEHICLE_FIELDS if k in data}
    values["kind"] = VehicleKind(values["kind"])
    values.setdefault("districts", [])
    values.setdefault("active", True)
    vehicle = Vehicle(**values)
    _check_vehicle(session, vehicle)
    session.add(vehicle)
    return _commit_vehicle(session, vehicle)


def update_vehicle(
    session: Session, actor: User, vehicle_id: int, data: Mapping[str, Any]
) -> Vehicle:
    """Change a vehicle; the same rules as creating one apply to the result."""
    _require_staff(actor)
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"Vehicle {vehicle_id} not found.")
    for key in VEHICLE_FIELDS:
        if key in data:
            value = data[key]
            setattr(vehicle, key, VehicleKind(value) if key == "kind" else value)
    _check_vehicle(session, vehicle)
    return _commit_vehicle(session, vehicle)


# --- couriers ---------------------------------------------------------------------------------


def list_couriers(session: Session, actor: User) -> Sequence[User]:
    """The courier accounts a shift may name, active ones first, then by name."""
    _require_staff(actor)
    couriers = session.scalars(select(User).where(User.role == Role.COURIER)).all()
    return sorted(couriers, key=lambda u: (u.status != AccountStatus.ACTIVE, u.name, u.id))


# --- shifts -----------------------------------------------------------------------------------


def list_shifts(session: Session, actor: User, day: date | None) -> Sequence[Shift]:
    _require_staff(actor)
    query = select(Shift).order_by(Shift.starts_at, Shift.id)
    if day is not None:
        query = query.where(Shift.day == day)
    return session.scalars(query).all()


def _aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _invalid(field, "Give the time with its time zone (ISO 8601, e.g. +01:00).")
    return moment


def _parse_break(item: Mapping[str, Any], k: int) -> tuple[datetime, datetime, int]:
    try:
        start = item["start"]
        end = item["end"]
        start = datetime.fromisoformat(start) if isinstance(start, str) else start
        end = datetime.fromisoformat(end) if isinstance(end, str) else end
        duration = int(item.get("duration_s", (end - start).total_seconds()))
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid("breaks", f"Break {k}: needs start, end and duration_s.") from exc
    return _aware(start, "breaks"), _aware(end, "breaks"), duration


def _check_shift(session: Session, shift: Shift) -> None:
    """Times, breaks, courier and vehicle of a shift; then no overlap with another one."""
    starts, ends = _aware(shift.starts_at, "starts_at"), _aware(shift.ends_at, "ends_at")
    if ends <= starts:
        raise _invalid("ends_at", "The shift must end after it starts.")
    breaks = []
    for k, item in enumerate(shift.breaks or [], start=1):
        start, end, duration = _parse_break(item, k)
        if end <= start:
            raise _invalid("breaks", f"Break {k} must end after it starts.")
        if start < starts or end > ends:
            raise _invalid("breaks", f"Break {k} must lie inside the shift.")
        if not 0 < duration <= (end - start).total_seconds():
            raise _invalid("breaks", f"Break {k}: duration_s must be positive and fit its span.")
        breaks.append({"start": start.isoformat(), "end": end.isoformat(), "duration_s": duration})
    shift.breaks = breaks
    courier = session.get(User, shift.courier_id)
    if courier is None or courier.role != Role.COURIER or courier.status != AccountStatus.ACTIVE:
        raise _invalid("courier_id", "Not an active courier account.")
    vehicle = session.get(Vehicle, shift.vehicle_id)
    if vehicle is None:
        raise _invalid("vehicle_id", "No such vehicle.")
    if not vehicle.active:
        raise _invalid("vehicle_id", "The vehicle is not active.")
    shift.day = starts.astimezone(BERLIN).date()
    others = session.scalars(
        select(Shift).where(
            Shift.id != (shift.id or -1),
            (Shift.vehicle_id == shift.vehicle_id) | (Shift.courier_id == shift.courier_id),
            Shift.starts_at < ends,
            Shift.ends_at > starts,
        )
    ).all()
    for other in others:
        who = "vehicle" if other.vehicle_id == shift.vehicle_id else "courier"
        raise ShiftOverlaps(
            f"The {who} already has shift {other.id} "
            f"({other.starts_at.isoformat()}–{other.ends_at.isoformat()}).",
            fields={"json": {f"{who}_id": [f"Overlaps shift {other.id}."]}},
        )


def create_shift(session: Session, actor: User, data: Mapping[str, Any]) -> Shift:
    """Put a courier on a vehicle for a time span (see :func:`_check_shift`)."""
    _require_staff(actor)
    values = {k: data[k] for k in SHIFT_FIELDS if k in data}
    values.setdefault("breaks", [])
    shift = Shift(**values)
    # not added to the session before the checks: autoflush would store a half-checked row
    _check_shift(session, shift)
    session.add(shift)
    session.commit()
    return shift


def _get_shift(session: Session, shift_id: int) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"Shift {shift_id} not found.")
    return shift


def update_shift(session: Session, actor: User, shift_id: int, data: Mapping[str, Any]) -> Shift:
    """Change a shift; the result must pass the same checks as a new one."""
    _require_staff(actor)
    shift = _get_shift(session, shift_id)
    with session.no_autoflush:
        for key in SHIFT_FIELDS:
            if key in data:
                setattr(shift, key, data[key])
        with rollback_on_error(session):
            _check_shift(session, shift)
    session.commit()
    return shift


def delete_shift(session: Session, actor: User, shift_id: int) -> None:
    """Remove a shift the published plan does not route; drafts and older plans let go of it."""
    _require_staff(actor)
    shift = _get_shift(session, shift_id)
    published = on_plan.plans().published_plan(session, shift_id)
    if published is not None:
        raise ShiftPlanned(
            f"Shift {shift_id} is on the published plan {published}; re-plan the day without "
            "it and publish that plan first.",
        )
    on_plan.plans().release(session, shift_id)
    session.delete(shift)
    session.commit()


def get_vehicle(session: Session, actor: User, vehicle_id: int) -> Vehicle:
    _require_staff(actor)
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"Vehicle {vehicle_id} not found.")
    return vehicle


def get_shift(session: Session, actor: User, shift_id: int) -> Shift:
    _require_staff(actor)
    return _get_shift(session, shift_id)
