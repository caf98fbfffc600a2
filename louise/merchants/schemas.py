"""Request and response schemas of shops, opening hours, offers and the catalogue.

Bodies reject unknown fields (marshmallow RAISE), so ``id``, ``owner_id`` (except an admin
opening a shop), ``merchant_id`` and timestamps cannot be set through the API.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from louise.geo.schemas import AddressInputSchema, AddressSchema
from louise.localtime import WEEKDAYS
from louise.merchants.hours import interval_problems
from louise.merchants.models import Category, Merchant, OfferKind, ParcelSize, offer_problems
from louise.web import Id, PaginationArgsSchema, UtcDateTime, page_schema

CATEGORIES = [c.value for c in Category]
KINDS = [k.value for k in OfferKind]
SIZES = [s.value for s in ParcelSize]
MAX_PRICE_CENTS = 10_000_000  # 100 000 € — anything above is a typo
MAX_RADIUS_M = 50_000


class HourMinute(fields.Field):
    """A local wall-clock time as "HH:MM" (opening hours carry no time zone by design)."""

    default_error_messages = {"invalid": "Not a valid time; use HH:MM, e.g. 09:30."}

    def _serialize(self, value: time | None, attr: str | None, obj: Any, **kw: Any) -> str | None:
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> time:
        if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
            raise self.make_error("invalid")
        try:
            return time.fromisoformat(value)
        except ValueError as exc:
            raise self.make_error("invalid") from exc


class StrictBoolean(fields.Boolean):
    """Only JSON ``true``/``false``; "yes", 1 or "0" are type errors in a body."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


#: What LatLon accepts, for the document: degrees, latitude within ±90, longitude within ±180.
LAT_LON_PATTERN = (
    r"^-?(90(\.0+)?|[0-8]?[0-9](\.[0-9]+)?),-?(180(\.0+)?|(1[0-7][0-9]|[0-9]?[0-9])(\.[0-9]+)?)$"
)


class LatLon(fields.Field):
    """A point as "lat,lon" in degrees, e.g. near=51.5236,6.9281."""

    default_error_messages = {"invalid": "Not a point; use lat,lon in degrees, e.g. 51.52,6.93."}

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kw: Any
    ) -> tuple[float, float]:
        try:
            lat_s, lon_s = str(value).split(",")
            lat, lon = float(lat_s), float(lon_s)
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise self.make_error("invalid")
        return lat, lon


# --------------------------------------------------------------------------- opening hours


class IntervalSchema(Schema):
    opens = HourMinute(required=True, metadata={"example": "09:00"})
    closes = HourMinute(required=True, metadata={"example": "18:00"})

    @validates_schema
    def _closes_after_opens(self, data: dict[str, Any], **kw: Any) -> None:
        if data["closes"] <= data["opens"]:
            raise ValidationError("Must be after opens.", field_name="closes")


def _intervals() -> fields.List:
    return fields.List(fields.Nested(IntervalSchema), load_default=list)


class OpeningHoursSchema(Schema):
    """Weekly hours, local time: ``{"mon": [{"opens": "09:00", "closes": "13:00"}, ...]}``.

    A weekday that is missing or empty is closed. Intervals of a day must not overlap.
    """

    mon = _intervals()
    tue = _intervals()
    wed = _intervals()
    thu = _intervals()
    fri = _intervals()
    sat = _intervals()
    sun = _intervals()

    @validates_schema
    def _no_overlaps(self, data: dict[str, Any], **kw: Any) -> None:
        errors = {}
        for day in WEEKDAYS:
            problems = interval_problems((i["opens"], i["closes"]) for i in data.get(day, []))
            if problems:
                errors[day] = problems
        if errors:
            raise ValidationError(errors)

    @post_load
    def _by_weekday(self, data: dict[str, Any], **kw: Any) -> dict[int, list[tuple[time, time]]]:
        return {
            weekday: [(i["opens"], i["closes"]) for i in data.get(day, [])]
            for weekday, day in enumerate(WEEKDAYS)
            if data.get(day)
        }


def dump_opening_hours(obj: Merchant | Any) -> dict[str, list[dict[str, str]]]:
    merchant: Merchant = getattr(obj, "item", obj)  # a catalogue Hit wraps the merchant
    weekly = merchant.weekly_hours()
    return {
        day: [
            {"opens": i.opens.strftime("%H:%M"), "closes": i.closes.strftime("%H:%M")}
            for i in sorted(weekly.get(weekday, []))
        ]
        for weekday, day in enumerate(WEEKDAYS)
    }


class OpeningExceptionSchema(Schema):
    """A date with other hours: ``closed: true``, or ``closed: false`` with special intervals."""

    id = fields.Integer(dump_only=True)
    day = fields.Date(data_key="date", required=True, metadata={"example": "2025-12-24"})
    closed = StrictBoolean(required=True)
    intervals = fields.List(fields.Nested(IntervalSchema), load_default=list)
    reason = fields.String(
        allow_none=True, validate=validate.Length(max=200), metadata={"example": "Heiligabend"}
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kw: Any) -> None:
        intervals = data.get("intervals") or []
        if data.get("closed") and intervals:
            raise ValidationError("A closed day has no opening intervals.", "intervals")
        if data.get("closed") is False and not intervals:
            raise ValidationError(
                "Give the special opening intervals, or set closed to true.", "intervals"
            )
        problems = interval_problems((i["opens"], i["closes"]) for i in intervals)
        if problems:
            raise ValidationError(problems, "intervals")

    @post_load
    def _as_tuples(self, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
        data["intervals"] = [(i["opens"], i["closes"]) for i in data.get("intervals", [])]
        return data


# --------------------------------------------------------------------------- shops


class _HitAwareSchema(Schema):
    """Dumps a model or a catalogue ``Hit`` (model plus ``distance_m`` when near was given)."""

    distance_m = fields.Float(
        dump_only=True, metadata={"description": "metres from `near` (only when near is given)"}
    )

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        # unwrap a Hit once per object, not once per field (a catalogue page dumps hundreds)
        if many or not (hasattr(obj, "item") and hasattr(obj, "distance_m")):
            return super()._serialize(obj, many=many)
        ret = super()._serialize(obj.item)  # a model has no distance_m: left out
        if obj.distance_m is not None:
            ret["distance_m"] = round(obj.distance_m, 1)
        return ret


class MerchantSummarySchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    slug = fields.String(dump_only=True)
    category = fields.String(dump_only=True)


class MerchantSchema(_HitAwareSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    slug = fields.String(dump_only=True)
    category = fields.String(metadata={"enum": CATEGORIES})
    description = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    address = fields.Nested(AddressSchema, dump_only=True)
    lat = fields.Float(dump_only=True)
    lon = fields.Float(dump_only=True)
    opening_hours = fields.Function(
        dump_opening_hours, dump_only=True, metadata={"description": "local times per weekday"}
    )
    exceptions = fields.List(
        fields.Nested(OpeningExceptionSchema), attribute="opening_exceptions", dump_only=True
    )
    active = fields.Boolean(dump_only=True)
    public = fields.Boolean(
        attribute="is_public",
        dump_only=True,
        metadata={"description": "false: hidden from the catalogue (inactive or not approved)"},
    )
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class _MerchantInputFields(Schema):
    description = fields.String(validate=validate.Length(max=5000))
    phone = fields.String(allow_none=True, validate=validate.Length(min=3, max=40))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    active = StrictBoolean(metadata={"description": "false hides the shop from the catalogue"})
    opening_hours = fields.Nested(OpeningHoursSchema)


class MerchantCreateSchema(_MerchantInputFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    address = fields.Nested(AddressInputSchema, required=True)
    owner_id = Id(
        strict=True,
        metadata={"description": "admins only: the merchant account that owns the shop"},
    )


class MerchantUpdateSchema(_MerchantInputFields):
    """Partial update: only the fields given change."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    address = fields.Nested(AddressInputSchema)


# --------------------------------------------------------------------------- offers


class OfferSchema(_HitAwareSchema):
    id = fields.Integer(dump_only=True)
    merchant_id = fields.Integer(dump_only=True)
    merchant = fields.Nested(MerchantSummarySchema, dump_only=True)
    kind = fields.String(dump_only=True, metadata={"enum": KINDS})
    title = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    price_cents = fields.Integer(dump_only=True)
    parcel_size = fields.String(dump_only=True, metadata={"enum": SIZES})
    volume_l = fields.Float(dump_only=True)
    weight_kg = fields.Float(dump_only=True)
    turnaround_days = fields.Integer(dump_only=True, allow_none=True)
    daily_capacity = fields.Integer(dump_only=True, allow_none=True)
    active = fields.Boolean(dump_only=True)
    public = fields.Boolean(attribute="is_public", dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class _OfferInputFields(Schema):
    description = fields.String(validate=validate.Length(max=5000))
    volume_l = fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=1000),
        metadata={"description": "litres; only with parcel_size custom"},
    )
    weight_kg = fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=500),
        metadata={"description": "kilograms; only with parcel_size custom"},
    )
    turnaround_days = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=60),
        metadata={"description": "services only: days until the item comes back"},
    )
    daily_capacity = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": "services only: items the shop can process per day"},
    )
    active = StrictBoolean()


class OfferCreateSchema(_OfferInputFields):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    price_cents = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=MAX_PRICE_CENTS)
    )
    parcel_size = fields.String(required=True, validate=validate.OneOf(SIZES))

    @validates_schema(skip_on_field_errors=True)
    def _consistent(self, data: dict[str, Any], **kw: Any) -> None:
        problems = offer_problems(
            kind=OfferKind(data["kind"]),
            parcel_size=ParcelSize(data["parcel_size"]),
            volume_l=data.get("volume_l"),
            weight_kg=data.get("weight_kg"),
            turnaround_days=data.get("turnaround_days"),
            daily_capacity=data.get("daily_capacity"),
        )
        if problems:
            raise ValidationError(problems)


class OfferUpdateSchema(_OfferInputFields):
    """Partial update. ``kind`` is fixed once created; the result is checked as a whole."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    price_cents = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_PRICE_CENTS))
    parcel_size = fields.String(validate=validate.OneOf(SIZES))


class MerchantWithOffersSchema(MerchantSchema):
    offers = fields.List(fields.Nested(OfferSchema), dump_only=True)


# --------------------------------------------------------------------------- catalogue


class _CatalogueArgsSchema(PaginationArgsSchema):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "text"})
    open_at = UtcDateTime(metadata={"description": "open at this moment (ISO 8601 with time zone)"})
    open_on = fields.Date(metadata={"description": "open at some time on this date"})
    near = LatLon(
        metadata={
            "description": "lat,lon; adds distance_m to each result",
            "type": "string",
            "pattern": LAT_LON_PATTERN,
            "example": "51.5236,6.9281",
        }
    )
    radius_m = fields.Float(
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_RADIUS_M),
        metadata={"description": "only within this many metres of near"},
    )
    include_inactive = fields.Boolean(
        load_default=False,
        metadata={"description": "owners see their own hidden items too, admins all"},
    )

    @validates_schema
    def _radius_needs_point(self, data: dict[str, Any], **kw: Any) -> None:
        if "radius_m" in data and "near" not in data:
            raise ValidationError("Needs near=lat,lon.", "radius_m")
        if str(data.get("sort", "")).lstrip("-") == "distance" and "near" not in data:
            raise ValidationError("Sorting by distance needs near=lat,lon.", "sort")


def _sorts(*keys: str) -> list[str]:
    return [s for k in keys for s in (k, f"-{k}")]


class MerchantQueryArgsSchema(_CatalogueArgsSchema):
    sort = fields.String(
        validate=validate.OneOf(_sorts("name", "created", "distance")),
        metadata={"description": "default: distance when near is given, else name"},
    )


class OfferQueryArgsSchema(_CatalogueArgsSchema):
    merchant_id = Id(data_key="merchant", metadata={"description": "shop id"})
    sort = fields.String(
        validate=validate.OneOf(_sorts("name", "price", "created", "distance")),
        metadata={"description": "default: distance when near is given, else name (title)"},
    )


MerchantPageSchema = page_schema(MerchantSchema)
OfferPageSchema = page_schema(OfferSchema)
