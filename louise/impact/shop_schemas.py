"""Schemas of the shop's month (``GET /merchants/{id}/impact``)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Month(fields.Field):
    """``YYYY-MM`` on the wire, the month's first day in Python."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        match = MONTH.match(value) if isinstance(value, str) else None
        if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
            raise ValidationError("A month as YYYY-MM, e.g. 2026-11.")
        return date(int(match.group(1)), int(match.group(2)), 1)


class ShopImpactQueryArgsSchema(Schema):
    month = Month(
        required=True,
        metadata={"description": "YYYY-MM", "type": "string", "example": "2026-11"},
    )


class ShopImpactSchema(Schema):
    merchant_id = fields.Integer()
    month = fields.String(metadata={"description": "YYYY-MM"})
    days = fields.Integer(metadata={"description": "days of the month the shop had deliveries"})
    deliveries = fields.Integer(
        metadata={
            "description": "the shop's bookings the bikes or the e-car carried that month, "
            "each once (a round trip too)"
        }
    )
    legs = fields.Integer(
        metadata={
            "description": "the transport legs among them (a round trip: two or more, via the hub)"
        }
    )
    round_trips_completed = fields.Integer(
        metadata={"description": "repairs and services brought back to the resident"}
    )
    bike_km = fields.Float()
    ecar_km = fields.Float()
    van_km = fields.Float(metadata={"description": "the van counterfactual's km, their share"})
    avoided_km = fields.Float(metadata={"description": "van_km − bike_km − ecar_km"})
    avoided_co2e_g = fields.Integer(
        metadata={"description": "CO2e avoided against a van, whole grams (newest ledger)"}
    )
