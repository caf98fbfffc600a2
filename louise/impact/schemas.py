"""Impact API schemas: the KPI query and its answer (JSON; the CSV has the same columns)."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from louise.impact.kpis import MAX_RANGE_DAYS, MIN_GROUP_BOOKINGS, GroupBy

#: dates the API reads: louise's service years, with room on both sides
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
_DAY = validate.Range(min=FIRST_DAY, max=LAST_DAY)


class ImpactQueryArgsSchema(Schema):
    from_ = fields.Date(
        data_key="from",
        required=True,
        validate=_DAY,
        metadata={"description": "first day (YYYY-MM-DD, Europe/Berlin), inclusive"},
    )
    to = fields.Date(
        required=True,
        validate=_DAY,
        metadata={
            "description": f"last day, inclusive: not before 'from', at most {MAX_RANGE_DAYS} "
            "days in all"
        },
    )
    group_by = fields.String(
        load_default=GroupBy.DAY.value,
        validate=validate.OneOf([g.value for g in GroupBy]),
        metadata={"description": "day | week (ISO) | month | district | merchant"},
    )
    format = fields.String(
        validate=validate.OneOf(["json", "csv"]),
        metadata={"description": "csv answers text/csv (as does Accept: text/csv)"},
    )

    @validates_schema
    def _range(self, data: dict[str, Any], **_kw: Any) -> None:
        first, last = data.get("from_"), data.get("to")
        if first is None or last is None:
            return
        if last < first:
            raise ValidationError("Must not be before 'from'.", field_name="to")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise ValidationError(f"At most {MAX_RANGE_DAYS} days after 'from'.", field_name="to")


_RATE = {"description": "0…1, null without a denominator"}


class FiguresSchema(Schema):
    bookings = fields.Integer(
        allow_none=True, metadata={"description": "distinct bookings with a leg in the group"}
    )
    active_residents = fields.Integer(allow_none=True)
    active_shops = fields.Integer(allow_none=True)
    routes = fields.Integer(allow_none=True, metadata={"description": "routes with its stops"})
    stops = fields.Integer(
        allow_none=True, metadata={"description": "pickups and deliveries not skipped"}
    )
    stops_per_route = fields.Float(allow_none=True)
    stops_per_km = fields.Float(allow_none=True, metadata={"description": "per bike + e-car km"})
    deliveries = fields.Integer(
        allow_none=True, metadata={"description": "legs delivered to a resident, Point or locker"}
    )
    on_time_rate = fields.Float(allow_none=True, metadata=_RATE)
    failed_attempt_rate = fields.Float(allow_none=True, metadata=_RATE)
    point_locker_share = fields.Float(allow_none=True, metadata=_RATE)
    round_trips = fields.Integer(allow_none=True, metadata={"description": "returns delivered"})
    avg_turnaround_days = fields.Float(allow_none=True)
    bike_km = fields.Float(allow_none=True)
    ecar_km = fields.Float(allow_none=True)
    van_km = fields.Float(allow_none=True, metadata={"description": "the van counterfactual"})
    van_km_avoided = fields.Float(allow_none=True)
    co2e_avoided_kg = fields.Float(allow_none=True)


class KpiGroupSchema(FiguresSchema):
    key = fields.String(
        required=True,
        metadata={"description": "2026-11-23 | 2026-W48 | 2026-11 | district | shop id | total"},
    )
    label = fields.String(required=True, metadata={"description": "the key, or the shop's name"})
    from_ = fields.Date(data_key="from", attribute="from", required=True)
    to = fields.Date(required=True)
    suppressed = fields.Boolean(
        required=True,
        metadata={"description": f"fewer than {MIN_GROUP_BOOKINGS} bookings: every figure is null"},
    )


class ImpactSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from", required=True)
    to = fields.Date(required=True)
    group_by = fields.String(required=True)
    min_group_bookings = fields.Integer(
        required=True, metadata={"description": "groups with fewer bookings are suppressed"}
    )
    factor_set_versions = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "the emission-factor sets of the ledger read"},
    )
    groups = fields.List(fields.Nested(KpiGroupSchema), required=True)
    total = fields.Nested(KpiGroupSchema, required=True)
