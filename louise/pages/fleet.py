"""Fleet and shifts: the vehicles, the couriers, the shifts of a day with their breaks and
the window capacities of that day (dispatchers and admins).

Every change goes through the services and schemas of ``/api/v1/vehicles``,
``/api/v1/shifts`` and ``/api/v1/capacity/<day>/<window>``; the form only turns a local day
and clock times into the API's ISO times (Europe/Berlin), and a refusal is shown beside its
field with everything typed kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from louise import clock
from louise.auth.models import Role
from louise.bookings import slots
from louise.bookings.runtime import get_context
from louise.bookings.schemas import CapacitySchema
from louise.errors import DomainError
from louise.extensions import db
from louise.fleet import service
from louise.fleet.models import Shift, Vehicle
from louise.fleet.schemas import (
    KINDS,
    ShiftCreateSchema,
    ShiftUpdateSchema,
    VehicleSchema,
    VehicleUpdateSchema,
)
from louise.localtime import BUSINESS_TZ
from louise.pages import forms
from louise.pages.login import current_user, login_required

bp = Blueprint("fleet", __name__, url_prefix="/fleet")

SHIFT_FIELDS = (
    "courier_id",
    "vehicle_id",
    "day",
    "starts_at",
    "ends_at",
    "break_start",
    "break_end",
    "break_minutes",
)
#: where the API's names of a shift's fields are shown on the form
SHIFT_FIELD_OF = {
    "courier_id": "courier_id",
    "vehicle_id": "vehicle_id",
    "starts_at": "starts_at",
    "ends_at": "ends_at",
    "breaks": "break_start",
    "start": "break_start",
    "end": "break_end",
    "duration_s": "break_minutes",
}
VEHICLE_FIELDS = ("name", "kind", "capacity_l", "capacity_kg", "speed_kmh", "districts")
KIND_NAMES = {"bike": _l("E-cargo-bike"), "car": _l("E-car")}
NOT_A_TIME = "Not a valid time."
#: service messages with a number in them, said in the page's language
NUMBERED = (
    (re.compile(r"Overlaps shift (\d+)\."), _l("Overlaps shift %(num)s.")),
    (re.compile(r"At least (\d+)\."), _l("At least %(num)s.")),
    (re.compile(r"Unknown districts: (.+)\."), _l("Unknown districts: %(num)s.")),
)


def _said(errors: forms.FormErrors) -> forms.FormErrors:
    """``errors`` with the numbered service messages translated."""
    for messages in errors.values():
        for k, message in enumerate(messages):
            for pattern, text in NUMBERED:
                found = pattern.fullmatch(message)
                if found:
                    messages[k] = str(text) % {"num": found.group(1)}
    return errors


@dataclass
class ShiftForm:
    """A shift as the form carries it: a local day, clock times, one optional break."""

    values: dict[str, str] = field(default_factory=dict)
    errors: forms.FormErrors = field(default_factory=forms.FormErrors)

    @classmethod
    def of(cls, form: MultiDict[str, str]) -> ShiftForm:
        return cls({name: form.get(name, "").strip() for name in SHIFT_FIELDS})

    @classmethod
    def of_shift(cls, shift: Shift) -> ShiftForm:
        values = {
            "courier_id": str(shift.courier_id),
            "vehicle_id": str(shift.vehicle_id),
            "day": shift.day.isoformat(),
            "starts_at": _clock(shift.starts_at),
            "ends_at": _clock(shift.ends_at),
        }
        if shift.breaks:
            first = shift.breaks[0]
            start, end = (
                datetime.fromisoformat(first["start"]),
                datetime.fromisoformat(first["end"]),
            )
            values["break_start"], values["break_end"] = _clock(start), _clock(end)
            values["break_minutes"] = str(int(first.get("duration_s", 0)) // 60)
        return cls(values)

    def _moment(self, day: date, name: str) -> str | None:
        text = self.values.get(name, "")
        if not text:
            return None
        try:
            clock_time = time.fromisoformat(text)
        except ValueError:
            self.errors.add(name, NOT_A_TIME)
            return None
        return datetime.combine(day, clock_time, tzinfo=BUSINESS_TZ).isoformat()

    def body(self) -> dict[str, Any]:
        """The shift as ``POST /api/v1/shifts`` takes it (errors of the form in ``errors``)."""
        body: dict[str, Any] = {
            k: self.values[k] for k in ("courier_id", "vehicle_id") if self.values.get(k)
        }
        try:
            day = date.fromisoformat(self.values.get("day", ""))
        except ValueError:
            self.errors.add("day", "Not a valid date.")
            return body
        for name in ("starts_at", "ends_at"):
            moment = self._moment(day, name)
            if moment is not None:
                body[name] = moment
        start, end = self._moment(day, "break_start"), self._moment(day, "break_end")
        minutes = self.values.get("break_minutes", "")
        if start or end or minutes:
            item: dict[str, Any] = {"start": start, "end": end}
            if minutes:
                item["duration_s"] = int(minutes) * 60 if minutes.isdigit() else minutes
            elif start and end:
                span = datetime.fromisoformat(end) - datetime.fromisoformat(start)
                item["duration_s"] = max(1, int(span.total_seconds()))
            body["breaks"] = [item]
        else:
            body["breaks"] = []
        return body

    def load(self, schema: Any) -> dict[str, Any]:
        body = self.body()
        if self.errors:
            return {}
        data, errors = forms.load_form(schema, body)
        self.add(errors)
        return data

    def add(self, errors: forms.FormErrors) -> None:
        for name, messages in errors.items():
            self.errors.setdefault(SHIFT_FIELD_OF.get(name, forms.FORM), []).extend(messages)


def _clock(moment: datetime) -> str:
    return moment.astimezone(BUSINESS_TZ).strftime("%H:%M")


def _today() -> date:
    return clock.now().astimezone(BUSINESS_TZ).date()


def _day_of(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return _today()


@dataclass
class VehicleForm:
    values: dict[str, str] = field(default_factory=dict)
    active: bool = True
    errors: forms.FormErrors = field(default_factory=forms.FormErrors)

    @classmethod
    def of(cls, form: MultiDict[str, str]) -> VehicleForm:
        values = {name: form.get(name, "").strip() for name in VEHICLE_FIELDS}
        return cls(values, active=form.get("active") == "on")

    @classmethod
    def of_vehicle(cls, vehicle: Vehicle) -> VehicleForm:
        values = {
            "name": vehicle.name,
            "kind": vehicle.kind.value,
            "capacity_l": _number(vehicle.capacity_l),
            "capacity_kg": _number(vehicle.capacity_kg),
            "speed_kmh": _number(vehicle.speed_kmh),
            "districts": ", ".join(vehicle.districts or []),
        }
        return cls(values, active=vehicle.active)

    def load(self, schema: Any) -> dict[str, Any]:
        body: dict[str, Any] = forms.form_data(MultiDict(self.values), VEHICLE_FIELDS[:2])
        for name in ("capacity_l", "capacity_kg", "speed_kmh"):
            if self.values.get(name):
                body[name] = self.values[name].replace(",", ".")  # "12,5" as typed in German
        body["districts"] = [
            d.strip() for d in self.values.get("districts", "").split(",") if d.strip()
        ]
        body["active"] = self.active
        data, errors = forms.load_form(schema, body)
        self.errors.update(errors)
        return data


def _number(value: float) -> str:
    return f"{value:g}"


def _render(
    day: date,
    shift_form: ShiftForm | None = None,
    vehicle_form: VehicleForm | None = None,
    capacity_errors: dict[str, forms.FormErrors] | None = None,
    capacity_values: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    actor, session = current_user(), db.session()
    page = render_template(
        "pages/fleet/overview.html",
        day=day,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        vehicles=service.list_vehicles(session, actor),
        couriers=service.list_couriers(session, actor),
        shifts=service.list_shifts(session, actor, day),
        capacities=slots.window_capacities(session, get_context(), actor, day),
        shift_form=shift_form or ShiftForm({"day": day.isoformat()}),
        vehicle_form=vehicle_form or VehicleForm({"kind": "bike"}),
        capacity_errors=capacity_errors or {},
        capacity_values=capacity_values or {},
    )
    return page, status


@bp.get("/")
@login_required(Role.DISPATCHER, Role.ADMIN)
def overview() -> Any:
    """Fleet and shifts of a day: window capacities, shifts with breaks, vehicles, couriers."""
    return _render(_day_of(request.args.get("day")))


@bp.post("/shifts")
@login_required(Role.DISPATCHER, Role.ADMIN)
def add_shift() -> Any:
    """Add a shift with its break (``POST /api/v1/shifts``'s service)."""
    form = ShiftForm.of(request.form)
    day = _day_of(form.values.get("day"))
    data = form.load(ShiftCreateSchema())
    if not form.errors:
        try:
            service.create_shift(db.session(), current_user(), data)
        except DomainError as error:
            form.add(_said(forms.errors_of(error, SHIFT_FIELD_OF)))
    if form.errors:
        return _render(day, shift_form=form, status=422)
    return redirect(url_for("pages.fleet.overview", day=day.isoformat()) + "#shifts", 303)


@bp.route("/shifts/<int:shift_id>", methods=["GET", "POST"])
@login_required(Role.DISPATCHER, Role.ADMIN)
def edit_shift(shift_id: int) -> Any:
    """Change a shift's courier, vehicle, times or break (``PATCH /api/v1/shifts/<id>``)."""
    actor, session = current_user(), db.session()
    shift = service.get_shift(session, actor, shift_id)
    if request.method == "GET":
        form = ShiftForm.of_shift(shift)
        return _render_shift(shift, form)
    form = ShiftForm.of(request.form)
    data = form.load(ShiftUpdateSchema())
    if not form.errors:
        try:
            shift = service.update_shift(session, actor, shift_id, data)
        except DomainError as error:
            form.add(_said(forms.errors_of(error, SHIFT_FIELD_OF)))
    if form.errors:
        return _render_shift(service.get_shift(session, actor, shift_id), form, 422)
    return redirect(url_for("pages.fleet.overview", day=shift.day.isoformat()) + "#shifts", 303)


def _render_shift(shift: Shift, form: ShiftForm, status: int = 200) -> Any:
    actor, session = current_user(), db.session()
    page = render_template(
        "pages/fleet/shift.html",
        shift=shift,
        shift_form=form,
        vehicles=service.list_vehicles(session, actor),
        couriers=service.list_couriers(session, actor),
    )
    return page, status


@bp.post("/shifts/<int:shift_id>/delete")
@login_required(Role.DISPATCHER, Role.ADMIN)
def delete_shift(shift_id: int) -> Any:
    """Remove a shift the published plan does not route (``DELETE /api/v1/shifts/<id>``)."""
    actor, session = current_user(), db.session()
    day = service.get_shift(session, actor, shift_id).day
    try:
        service.delete_shift(session, actor, shift_id)
    except DomainError as error:
        form = ShiftForm({"day": day.isoformat()})
        form.errors = forms.errors_of(error)
        return _render(day, shift_form=form, status=error.status)
    return redirect(url_for("pages.fleet.overview", day=day.isoformat()) + "#shifts", 303)


@bp.post("/capacity/<day>/<window>")
@login_required(Role.DISPATCHER, Role.ADMIN)
def set_capacity(day: str, window: str) -> Any:
    """Cap or widen a window on a day (``PUT /api/v1/capacity/<day>/<window>``)."""
    the_day = _day_of(day)
    typed = request.form.get("capacity", "").strip()
    data, errors = forms.load_form(CapacitySchema(), {"capacity": typed} if typed else {})
    if not errors:
        try:
            slots.set_window_capacity(
                db.session(), get_context(), current_user(), the_day, window, data["capacity"]
            )
        except DomainError as error:
            errors = _said(forms.errors_of(error, ("capacity",)))
    if errors:
        return _render(
            the_day,
            capacity_errors={window: errors},
            capacity_values={window: typed},
            status=422,
        )
    return redirect(url_for("pages.fleet.overview", day=the_day.isoformat()) + "#capacity", 303)


@bp.post("/vehicles")
@login_required(Role.DISPATCHER, Role.ADMIN)
def add_vehicle() -> Any:
    """Add a vehicle (``POST /api/v1/vehicles``'s service)."""
    form = VehicleForm.of(request.form)
    day = _day_of(request.form.get("day"))
    data = form.load(VehicleSchema())
    if not form.errors:
        try:
            service.create_vehicle(db.session(), current_user(), data)
        except DomainError as error:
            form.errors = _said(forms.errors_of(error, VEHICLE_FIELDS))
    if form.errors:
        return _render(day, vehicle_form=form, status=422)
    return redirect(url_for("pages.fleet.overview", day=day.isoformat()) + "#vehicles", 303)


@bp.route("/vehicles/<int:vehicle_id>", methods=["GET", "POST"])
@login_required(Role.DISPATCHER, Role.ADMIN)
def edit_vehicle(vehicle_id: int) -> Any:
    """Change a vehicle, or take it out of service (``PATCH /api/v1/vehicles/<id>``)."""
    actor, session = current_user(), db.session()
    vehicle = service.get_vehicle(session, actor, vehicle_id)
    if request.method == "GET":
        return _render_vehicle(vehicle, VehicleForm.of_vehicle(vehicle))
    form = VehicleForm.of(request.form)
    data = form.load(VehicleUpdateSchema())
    if not form.errors:
        try:
            service.update_vehicle(session, actor, vehicle_id, data)
        except DomainError as error:
            form.errors = _said(forms.errors_of(error, VEHICLE_FIELDS))
    if form.errors:
        session.rollback()
        return _render_vehicle(service.get_vehicle(session, actor, vehicle_id), form, 422)
    return redirect(url_for("pages.fleet.overview") + "#vehicles", 303)


def _render_vehicle(vehicle: Vehicle, form: VehicleForm, status: int = 200) -> Any:
    return render_template("pages/fleet/vehicle.html", vehicle=vehicle, vehicle_form=form), status


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "kinds": KINDS,
        "kind_names": KIND_NAMES,
        "local_time": lambda moment: format_datetime(moment, "HH:mm"),
        "long_date": lambda day: format_date(day, "full"),
        "break_time": lambda text: format_datetime(datetime.fromisoformat(text), "HH:mm"),
        "number": _number,
    }
