"""Request and response schemas of vehicles and shifts.

Times are ISO 8601 with a time zone (a naive time is a 422); answers give them in UTC
(RFC 3339 with ``Z``, whole seconds).
Bodies reject unknown fields, so ``id``, ``day`` and timestamps cannot be set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from louise.fleet.models import VehicleKind
from louise.web import Id, PaginationArgsSchema, UtcDateTime
from louise.web import iso_utc as _iso

KINDS = [k.value for k in VehicleKind]
POSITIVE = validate.Range(min=0, min_inclusive=False)


class StrictBoolean(fields.Boolean):
    """Only JSON ``true``/``false``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class VehicleSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "bike (e-cargo-bike) | car (e-car)"},
    )
    capacity_l = fields.Float(required=True, validate=POSITIVE)
    capacity_kg = fields.Float(required=True, validate=POSITIVE)
    speed_kmh = fields.Float(
        required=True, validate=POSITIVE, metadata={"description": "average speed profile"}
    )
    districts = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        load_default=list,
        metadata={"description": "names of districts it may serve; empty: every district"},
    )
    active = StrictBoolean(load_default=True)


class VehicleUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    kind = fields.String(validate=validate.OneOf(KINDS))
    capacity_l = fields.Float(validate=POSITIVE)
    capacity_kg = fields.Float(validate=POSITIVE)
    speed_kmh = fields.Float(validate=POSITIVE)
    districts = fields.List(fields.String(validate=validate.Length(min=1, max=100)))
    active = StrictBoolean()


class BreakSchema(Schema):
    start = UtcDateTime(required=True)
    end = UtcDateTime(required=True)
    duration_s = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=86400),
        metadata={"description": "length of the break, taken somewhere within [start, end]"},
    )


class ShiftCreateSchema(Schema):
    courier_id = Id(required=True)
    vehicle_id = Id(required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    breaks = fields.List(fields.Nested(BreakSchema), load_default=list)


class ShiftUpdateSchema(Schema):
    courier_id = Id()
    vehicle_id = Id()
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    breaks = fields.List(fields.Nested(BreakSchema))


class ShiftQueryArgsSchema(PaginationArgsSchema):
    date = fields.Date(metadata={"description": "the shifts of this day (YYYY-MM-DD)"})


class ShiftSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    courier_id = fields.Integer()
    courier_name = fields.Function(lambda s: s.courier.name)
    vehicle_id = fields.Integer()
    vehicle_name = fields.Function(lambda s: s.vehicle.name)
    starts_at = fields.Method("_starts")
    ends_at = fields.Method("_ends")
    breaks = fields.Method("_breaks")

    def _starts(self, shift: Any) -> str | None:
        return _iso(shift.starts_at)

    def _ends(self, shift: Any) -> str | None:
        return _iso(shift.ends_at)

    def _breaks(self, shift: Any) -> list[dict[str, Any]]:
        return [
            {
                "start": _iso(datetime.fromisoformat(b["start"])),
                "end": _iso(datetime.fromisoformat(b["end"])),
                "duration_s": b.get("duration_s"),
            }
            for b in shift.breaks or []
        ]
