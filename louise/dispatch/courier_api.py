"""Couriers: their routes of a day and what happened at each stop; public tracking links."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE, RAISE, ValidationError

from louise import clock
from louise.auth.guards import auth_required, current_user
from louise.auth.models import Role
from louise.bookings.runtime import get_context
from louise.dispatch import tracking
from louise.dispatch.courier import cards, stops
from louise.dispatch.courier.common import Proof
from louise.dispatch.courier_schemas import (
    CourierDaySchema,
    CourierRoutesQueryArgsSchema,
    CourierStopSchema,
    CourierTodayQueryArgsSchema,
    StopCompleteSchema,
    StopFailSchema,
    StopFailureSchema,
    TrackingSchema,
)
from louise.dispatch.runtime import MULTIPART_OVERHEAD, courier_settings
from louise.errors import ValidationFailed
from louise.extensions import db
from louise.web import document_errors

blp = Blueprint("courier", __name__, description="Couriers' day and public tracking")

UPLOAD_FIELDS = ("photo", "signature")

_COMPLETE_BODY = {
    "required": False,
    "content": {
        "application/json": {"schema": StopCompleteSchema},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    name: {"type": "string", "format": "binary", "description": "JPEG or PNG"}
                    for name in UPLOAD_FIELDS
                },
            }
        },
    },
}


def _proof_from_request() -> Proof | None:
    """The proof of a completed stop: one uploaded image, or a PIN / booking code in JSON."""
    if request.mimetype.startswith("multipart/"):
        # Uploads may be larger than the app-wide body limit; Werkzeug answers 413 beyond.
        request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"] + MULTIPART_OVERHEAD
        uploads = [(name, request.files[name]) for name in UPLOAD_FIELDS if name in request.files]
        if len(uploads) != 1:
            raise ValidationFailed(
                "Send exactly one file: 'photo' or 'signature'.",
                fields={"files": {"photo": ["Exactly one of photo or signature."]}},
            )
        name, upload = uploads[0]
        data = upload.stream.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
        return Proof(kind=name, data=data, filename=upload.filename)
    if not request.content_length:
        return None
    try:
        body = StopCompleteSchema().load(request.get_json() or {})
    except ValidationError as exc:
        raise ValidationFailed(
            "Invalid proof.", fields={"json": exc.normalized_messages()}
        ) from None
    for kind in ("pin", "booking_code"):
        if kind in body:
            return Proof(kind=kind, value=body[kind])
    return None


@blp.route("/courier/today")
class CourierToday(MethodView):
    @auth_required(blp, Role.COURIER)
    @blp.arguments(CourierTodayQueryArgsSchema, location="query", unknown=INCLUDE)
    @blp.response(200, CourierDaySchema)
    @document_errors(blp, 422)
    def get(self, _args: dict[str, Any]) -> Any:
        """My routes of today's published plan, with their stops in order."""
        return cards.today(db.session(), current_user(), clock.now())


@blp.route("/courier/routes")
class CourierRoutes(MethodView):
    @auth_required(blp, Role.COURIER)
    @blp.arguments(CourierRoutesQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, CourierDaySchema)
    @document_errors(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """My routes of a day's published plan (default today), with their stops in order."""
        day = args.get("date") or get_context().policy.local(clock.now()).date()
        return cards.routes_of_day(db.session(), current_user(), day)


@blp.route("/courier/stops/<int:stop_id>/arrived")
class StopArrived(MethodView):
    @auth_required(blp, Role.COURIER)
    @blp.response(200, CourierStopSchema)
    @document_errors(blp, 404, 409)
    def post(self, stop_id: int) -> Any:
        """Record that I arrived at a stop."""
        return stops.record_arrival(db.session(), current_user(), stop_id, clock.now())


@blp.route("/courier/stops/<int:stop_id>/complete")
class StopComplete(MethodView):
    @auth_required(blp, Role.COURIER)
    @blp.doc(requestBody=_COMPLETE_BODY)
    @blp.response(200, CourierStopSchema)
    @document_errors(blp, 400, 404, 409, 413, 415, 422)
    def post(self, stop_id: int) -> Any:
        """Complete a stop with a proof: photo or signature (multipart), PIN or booking code."""
        return stops.complete_stop(
            db.session(),
            courier_settings(),
            current_user(),
            stop_id,
            _proof_from_request(),
            clock.now(),
        )


@blp.route("/courier/stops/<int:stop_id>/fail")
class StopFail(MethodView):
    @auth_required(blp, Role.COURIER)
    @blp.arguments(StopFailSchema)
    @blp.response(200, StopFailureSchema)
    @document_errors(blp, 404, 409, 422)
    def post(self, data: dict[str, Any], stop_id: int) -> Any:
        """Record a failed pickup or delivery; a failed door delivery may go to a Point."""
        return stops.fail_stop(
            db.session(),
            courier_settings(),
            current_user(),
            stop_id,
            data["reason"],
            data.get("note"),
            clock.now(),
        )


@blp.route("/track/<string:token>")
class TrackingByToken(MethodView):
    @blp.response(200, TrackingSchema)
    @document_errors(blp, 404)
    def get(self, token: str) -> Any:
        """A booking's state and its next ETA window, by tracking link (no login)."""
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        return tracking.track(db.session(), token), 200, headers
