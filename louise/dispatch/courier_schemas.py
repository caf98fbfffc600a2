"""Schemas of the courier workflow and of public tracking."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from louise.bookings.schemas import IMPACT_DESCRIPTION, ImpactLineSchema
from louise.dispatch.courier.common import REASONS
from louise.web import iso_utc as _iso


class CourierStopSchema(Schema):
    """A stop as its courier sees it (a ``StopCard``)."""

    id = fields.Integer(attribute="stop.id")
    seq = fields.Integer(attribute="stop.seq")
    type = fields.String(attribute="stop.type.value")
    status = fields.String(attribute="stop.status.value")
    leg_id = fields.Integer(attribute="stop.leg_id", allow_none=True)
    label = fields.String(attribute="stop.label")
    lat = fields.Float(attribute="stop.lat")
    lon = fields.Float(attribute="stop.lon")
    eta = fields.Function(lambda card: _iso(card.stop.eta))
    window_start = fields.Function(lambda card: _iso(card.stop.window_start))
    window_end = fields.Function(lambda card: _iso(card.stop.window_end))
    service_s = fields.Float(attribute="stop.service_s")
    travel_s = fields.Float(attribute="stop.travel_s")
    arrived_at = fields.Function(lambda card: _iso(card.stop.arrived_at))
    done_at = fields.Function(lambda card: _iso(card.stop.done_at))
    proof_kind = fields.String(attribute="stop.proof_kind", allow_none=True)
    failure_reason = fields.String(attribute="stop.failure_reason", allow_none=True)
    note = fields.String(attribute="stop.note", allow_none=True)
    booking_code = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True, metadata={"description": "collect | deliver | return"})
    place_kind = fields.String(
        allow_none=True, metadata={"description": "resident | shop | hub | point | locker"}
    )
    contact_name = fields.String(allow_none=True, metadata={"description": "at a door only"})
    contact_phone = fields.String(allow_none=True, metadata={"description": "at a door only"})
    notes = fields.String(allow_none=True, metadata={"description": "at a door only"})
    access_notes = fields.String(allow_none=True)
    pin = fields.String(
        allow_none=True, metadata={"description": "only on handovers at a Point or locker"}
    )
    item = fields.String(allow_none=True, metadata={"description": "the offer's title"})
    parcel_size = fields.String(allow_none=True, metadata={"description": "S, M, L …"})


class CourierRouteSchema(Schema):
    id = fields.Integer(attribute="route.id")
    plan_id = fields.Integer(attribute="route.plan_id")
    shift_id = fields.Integer(attribute="route.shift_id")
    vehicle = fields.String()
    starts_at = fields.Function(lambda card: _iso(card.route.starts_at))
    ends_at = fields.Function(lambda card: _iso(card.route.ends_at))
    distance_m = fields.Float(attribute="route.distance_m")
    duration_s = fields.Float(attribute="route.duration_s")
    stops = fields.List(fields.Nested(CourierStopSchema))


class CourierDaySchema(Schema):
    date = fields.Date()
    plan_id = fields.Integer(allow_none=True)
    routes = fields.List(fields.Nested(CourierRouteSchema))


class CourierRoutesQueryArgsSchema(Schema):
    date = fields.Date(
        metadata={"description": "YYYY-MM-DD; default: today (Europe/Berlin)"},
    )


class CourierTodayQueryArgsSchema(Schema):
    """No arguments: ``today`` is today. Another day is ``/courier/routes?date=``. Loaded with
    ``unknown=INCLUDE`` so that any argument is refused here, with the way to another day."""

    @validates_schema
    def _no_arguments(self, data: dict[str, Any], **_: Any) -> None:
        if data:
            raise ValidationError(
                {
                    name: [
                        "Unknown field. For another day use "
                        "GET /api/v1/courier/routes?date=YYYY-MM-DD."
                    ]
                    for name in data
                }
            )


class StopCompleteSchema(Schema):
    """JSON proof; a photo or signature comes as multipart/form-data instead."""

    pin = fields.String(
        validate=validate.Regexp(r"^\d{6}$", error="Six digits."),
        metadata={"description": "the pickup PIN, for a handover at a Point or locker"},
    )
    booking_code = fields.String(validate=validate.Length(min=1, max=12))

    @validates_schema
    def _one_proof(self, data: dict[str, Any], **_: Any) -> None:
        if "pin" in data and "booking_code" in data:
            raise ValidationError("Give a pin or a booking_code, not both.", "pin")


class StopFailSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class FallbackSchema(Schema):
    point_id = fields.Integer()
    point_name = fields.String()
    point_kind = fields.String()
    day = fields.Date()
    same_wave = fields.Boolean()
    leg_id = fields.Integer()
    stop_id = fields.Integer(allow_none=True, metadata={"description": "set when same wave"})
    hub_stop_id = fields.Integer(
        allow_none=True,
        metadata={"description": "next day: the stop where the parcel is handed in at the hub"},
    )
    place = fields.String(allow_none=True, metadata={"description": "the Point's address"})
    pin = fields.String(
        allow_none=True, metadata={"description": "the booking's new pickup PIN at the Point"}
    )


class StopFailureSchema(Schema):
    stop = fields.Nested(CourierStopSchema)
    fallback = fields.Nested(FallbackSchema, allow_none=True)


class NextStepSchema(Schema):
    type = fields.String(metadata={"description": "pickup | delivery"})
    eta_window = fields.Function(
        lambda step: {"start": _iso(step.start), "end": _iso(step.end)},
        metadata={"description": "{start, end} in UTC"},
    )
    planned = fields.Boolean(
        metadata={"description": "true: from the published route; false: the booked window"}
    )


class TrackingSchema(Schema):
    status = fields.String()
    kind = fields.String()
    next = fields.Nested(NextStepSchema, allow_none=True)
    updated_at = fields.Function(lambda t: _iso(t.updated_at))
    impact = fields.Nested(
        ImpactLineSchema, allow_none=True, metadata={"description": IMPACT_DESCRIPTION}
    )
