"""Plan schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from louise.dispatch.service import plan_warnings
from louise.web import PaginationArgsSchema, UtcDateTime, iso_utc


class PlanCreateSchema(Schema):
    date = fields.Date(required=True)


class PlanMoveSchema(Schema):
    leg_id = fields.Integer(required=True, validate=validate.Range(min=1))
    route_id = fields.Integer(required=True, validate=validate.Range(min=1))
    position = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "where the leg's pickup goes among the route's stops (1 = first); "
            "its delivery follows it. Empty: at the end, or where it is (then it is only "
            "locked)"
        },
    )


class PlanQueryArgsSchema(PaginationArgsSchema):
    date = fields.Date()


class PlanAcceptedSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    version = fields.Integer()
    status = fields.String()
    runner = fields.String(metadata={"description": "inline | thread | celery"})


class StopSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    type = fields.String()
    leg_id = fields.Integer(allow_none=True)
    label = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    eta = fields.Method("_eta")
    window_start = fields.Method("_ws")
    window_end = fields.Method("_we")
    waiting_s = fields.Float()
    service_s = fields.Float()
    travel_s = fields.Float()
    distance_m = fields.Float()
    load_l = fields.Float()
    load_kg = fields.Float()
    status = fields.String()
    failure_reason = fields.String(allow_none=True)

    def _eta(self, stop: Any) -> str | None:
        return iso_utc(stop.eta)

    def _ws(self, stop: Any) -> str | None:
        return iso_utc(stop.window_start)

    def _we(self, stop: Any) -> str | None:
        return iso_utc(stop.window_end)


class RouteSchema(Schema):
    id = fields.Integer()
    shift_id = fields.Integer(
        allow_none=True, metadata={"description": "null once the shift was deleted (drafts)"}
    )
    vehicle_id = fields.Integer()
    courier_id = fields.Integer()
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    distance_m = fields.Float()
    duration_s = fields.Float()
    stops = fields.List(fields.Nested(StopSchema))


class UnassignedSchema(Schema):
    leg_id = fields.Integer()
    reason = fields.String()
    detail = fields.String(
        allow_none=True,
        metadata={"example": "no car works in Feldhausen between 09:00 and 11:00"},
    )


class PlanSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    version = fields.Integer()
    status = fields.String()
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    published_at = UtcDateTime(allow_none=True)
    error = fields.String(allow_none=True)
    stats = fields.Dict()
    routes = fields.List(fields.Nested(RouteSchema))
    unassigned = fields.List(fields.Nested(UnassignedSchema))
    warnings = fields.Function(
        plan_warnings,
        metadata={
            "description": "what changed in the fleet since the plan was made; a draft with "
            "warnings cannot be published (re-plan)"
        },
    )


class PlanSummarySchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    version = fields.Integer()
    status = fields.String()
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    error = fields.String(allow_none=True)
