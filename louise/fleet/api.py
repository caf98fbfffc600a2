"""Fleet: vehicles and courier shifts, managed by dispatchers and admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from louise.auth.guards import auth_required, current_user
from louise.auth.models import STAFF
from louise.extensions import db
from louise.fleet import service
from louise.fleet.schemas import (
    ShiftCreateSchema,
    ShiftQueryArgsSchema,
    ShiftSchema,
    ShiftUpdateSchema,
    VehicleSchema,
    VehicleUpdateSchema,
)
from louise.web import (
    LOCATION,
    PaginationArgsSchema,
    created,
    document_errors,
    page_of,
    page_schema,
)

blp = Blueprint(
    "fleet",
    __name__,
    description="Vehicles (e-cargo-bikes, the e-car) and courier shifts with breaks. "
    "Dispatchers and admins only.",
)


@blp.route("/vehicles")
class Vehicles(MethodView):
    @auth_required(blp, *STAFF)
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, page_schema(VehicleSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """Every vehicle of the fleet, inactive ones included."""
        return page_of(service.list_vehicles(db.session(), current_user()), args)

    @auth_required(blp, *STAFF)
    @blp.arguments(VehicleSchema)
    @blp.response(201, VehicleSchema, headers=LOCATION)
    @document_errors(blp, 409, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a vehicle: kind, capacity (l, kg), speed, the districts it may serve."""
        vehicle = service.create_vehicle(db.session(), current_user(), data)
        return created(vehicle, "fleet.VehicleById", vehicle_id=vehicle.id)


@blp.route("/vehicles/<int:vehicle_id>")
class VehicleById(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, VehicleSchema)
    @document_errors(blp, 404)
    def get(self, vehicle_id: int) -> Any:
        """One vehicle."""
        return service.get_vehicle(db.session(), current_user(), vehicle_id)

    @auth_required(blp, *STAFF)
    @blp.arguments(VehicleUpdateSchema)
    @blp.response(200, VehicleSchema)
    @document_errors(blp, 404, 409, 422)
    def patch(self, data: dict[str, Any], vehicle_id: int) -> Any:
        """Change a vehicle (e.g. take it out of service with active=false)."""
        return service.update_vehicle(db.session(), current_user(), vehicle_id, data)


@blp.route("/shifts")
class Shifts(MethodView):
    @auth_required(blp, *STAFF)
    @blp.arguments(ShiftQueryArgsSchema, location="query")
    @blp.response(200, page_schema(ShiftSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """Shifts in time order (filter by date)."""
        return page_of(service.list_shifts(db.session(), current_user(), args.get("date")), args)

    @auth_required(blp, *STAFF)
    @blp.arguments(ShiftCreateSchema)
    @blp.response(201, ShiftSchema, headers=LOCATION)
    @document_errors(blp, 409, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Put a courier on a vehicle from a start to an end time, with breaks."""
        shift = service.create_shift(db.session(), current_user(), data)
        return created(shift, "fleet.ShiftById", shift_id=shift.id)


@blp.route("/shifts/<int:shift_id>")
class ShiftById(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, ShiftSchema)
    @document_errors(blp, 404)
    def get(self, shift_id: int) -> Any:
        """One shift with its breaks."""
        return service.get_shift(db.session(), current_user(), shift_id)

    @auth_required(blp, *STAFF)
    @blp.arguments(ShiftUpdateSchema)
    @blp.response(200, ShiftSchema)
    @document_errors(blp, 404, 409, 422)
    def patch(self, data: dict[str, Any], shift_id: int) -> Any:
        """Change a shift's courier, vehicle, times or breaks."""
        return service.update_shift(db.session(), current_user(), shift_id, data)

    @auth_required(blp, *STAFF)
    @blp.response(204)
    @document_errors(blp, 404, 409)
    def delete(self, shift_id: int) -> None:
        """Remove a shift the published plan does not route (drafts let go of it)."""
        service.delete_shift(db.session(), current_user(), shift_id)
