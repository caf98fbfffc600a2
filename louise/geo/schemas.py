"""Address schemas, shared by every body that carries an address (geocode, merchants, bookings).

Typical reuse in another body::

    address = fields.Nested(AddressInputSchema, required=True)
    ...
    resolve_address(session, geocoder, area, **data["address"], field="address")
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

_NOT_BLANK = validate.Regexp(r"\S", error="Must not be blank.")


class AddressInputSchema(Schema):
    """A typed address (street, house number, postcode, city) or coordinates, or both.

    Coordinates, when given, win: they are stored as the client sent them (inside the service
    area). Without coordinates a street (or a place name such as "Altmarkt-Passage") is required.
    """

    street = fields.String(
        allow_none=True,
        validate=[validate.Length(min=1, max=200), _NOT_BLANK],
        metadata={"description": "street or place name", "example": "Hansastraße"},
    )
    house_number = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=20),
            # normalize.parse_house_number: a house number starts with a digit (or is empty)
            validate.Regexp(
                r"^\s*([0-9][\s\S]*)?$", error="The house number must start with a digit, e.g. 12a."
            ),
        ],
        metadata={"description": "house number with optional suffix", "example": "12a"},
    )
    postcode = fields.String(
        allow_none=True,
        validate=validate.Regexp(
            r"^\s*[0-9A-Za-z][0-9A-Za-z \-]{1,9}\s*$", error="Not a postcode."
        ),
        metadata={"example": "46236"},
    )
    city = fields.String(
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"example": "Bottrop"},
    )
    lat = fields.Float(
        allow_none=True,
        validate=validate.Range(min=-90, max=90),
        metadata={
            "description": "WGS-84 latitude, degrees; inside the service area "
            "(LOUISE_SERVICE_AREA_BBOX). Without lat and lon, street is required.",
            "example": 51.5236,
        },
    )
    lon = fields.Float(
        allow_none=True,
        validate=validate.Range(min=-180, max=180),
        metadata={"description": "WGS-84 longitude, degrees", "example": 6.9285},
    )

    @validates_schema
    def _street_or_coordinates(self, data: dict[str, Any], **_kw: Any) -> None:
        lat, lon = data.get("lat"), data.get("lon")
        if lat is not None and lon is None:
            raise ValidationError("Give lon together with lat.", field_name="lon")
        if lon is not None and lat is None:
            raise ValidationError("Give lat together with lon.", field_name="lat")
        if lat is None and not (data.get("street") or "").strip():
            raise ValidationError(
                "Give a street (or place name), or the coordinates lat and lon.",
                field_name="street",
            )


class AddressSchema(Schema):
    """A stored, geocoded address."""

    id = fields.Integer(dump_only=True)
    label = fields.String(dump_only=True, metadata={"example": "Hansastraße 12, 46236 Bottrop"})
    street = fields.String(dump_only=True, allow_none=True)
    house_number = fields.String(dump_only=True, allow_none=True)
    postcode = fields.String(dump_only=True, allow_none=True)
    city = fields.String(dump_only=True, allow_none=True)
    district = fields.String(dump_only=True, allow_none=True, metadata={"example": "Stadtmitte"})
    lat = fields.Float(dump_only=True)
    lon = fields.Float(dump_only=True)
    source = fields.String(
        dump_only=True, metadata={"description": "gazetteer | nominatim | client"}
    )
    precision = fields.String(
        dump_only=True,
        metadata={"description": "house | interpolated | street | place | client"},
    )
