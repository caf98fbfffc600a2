"""Booking, slot, Point and district schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from louise.bookings.models import BookingStatus, DestinationType
from louise.geo.schemas import AddressInputSchema
from louise.localtime import WEEKDAYS
from louise.merchants.models import STANDARD_SIZES
from louise.merchants.schemas import OpeningHoursSchema
from louise.web import Id, PaginationArgsSchema, UtcDateTime, iso_utc, page_schema

DESTINATIONS = [d.value for d in DestinationType]


class SlotQueryArgsSchema(Schema):
    date = fields.Date(
        required=True,
        metadata={
            "description": "local day within the booking horizon: today up to "
            "LOUISE_BOOKING_HORIZON_DAYS (14) days ahead; other days are a 422"
        },
    )
    lat = fields.Float(
        validate=validate.Range(min=-90, max=90),
        metadata={"description": "with lon, inside the service area; or give address_id"},
    )
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    address_id = Id(
        metadata={
            "description": "a stored address the caller may name: staff any, a customer the "
            "addresses of their bookings, a merchant their shop's (others: 404)"
        }
    )
    offer_id = Id()
    lang = fields.String(
        load_default="de",
        validate=validate.OneOf(["de", "en"]),
        metadata={"description": "language of the promise: de (default, like mails) or en"},
    )

    @validates_schema
    def _place(self, data: dict[str, Any], **_kw: Any) -> None:
        has_point = data.get("lat") is not None and data.get("lon") is not None
        if not has_point and data.get("address_id") is None:
            raise ValidationError("Give lat and lon, or an address_id.", field_name="lat")


class SlotSchema(Schema):
    date = fields.Date()
    window = fields.String()
    start = UtcDateTime()
    end = UtcDateTime()
    remaining = fields.Integer(metadata={"description": "stops still free in this window"})
    bookable = fields.Boolean()
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "in_past|beyond_horizon|closed_day|past_cutoff|shop_closed|"
            "not_served|full"
        },
    )
    via_hub = fields.Boolean(metadata={"description": "the shop is closed then: via City-Station"})
    promise = fields.String(allow_none=True)


class SlotListSchema(Schema):
    date = fields.Date()
    district = fields.String()
    slots = fields.List(fields.Nested(SlotSchema))


class HotlineCustomerSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=validate.Length(min=3, max=40))
    email = fields.Email(load_default=None, allow_none=True)
    locale = fields.String(load_default="de", validate=validate.OneOf(["de", "en"]))


class BookingCreateSchema(Schema):
    offer_id = Id(required=True)
    date = fields.Date(required=True, metadata={"description": "day of the first leg (local)"})
    window = fields.String(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"example": "evening"},
    )
    address = fields.Nested(AddressInputSchema)
    address_id = Id()
    destination = fields.String(load_default="door", validate=validate.OneOf(DESTINATIONS))
    point_id = Id()
    notes = fields.String(validate=validate.Length(max=1000))
    contact_phone = fields.String(validate=validate.Length(max=40))
    customer_id = Id(metadata={"description": "hotline: existing customer"})
    customer = fields.Nested(
        HotlineCustomerSchema, metadata={"description": "hotline: a customer without login"}
    )

    @validates_schema
    def _address_given(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("address") is None and data.get("address_id") is None:
            raise ValidationError("Give an address or an address_id.", field_name="address")
        if data.get("address") is not None and data.get("address_id") is not None:
            raise ValidationError("Give either address or address_id.", field_name="address_id")
        if data.get("destination", "door") != "door" and data.get("point_id") is None:
            raise ValidationError(
                "A Point or locker delivery needs point_id.", field_name="point_id"
            )


class RescheduleSchema(Schema):
    legs = fields.String(
        load_default="outbound",
        validate=validate.OneOf(["outbound", "return"]),
        metadata={"description": "outbound (pickup/delivery) or return (services)"},
    )
    date = fields.Date(required=True)
    window = fields.String(required=True, validate=validate.Length(min=1, max=20))


class ReasonSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=300))


class RequiredReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class LegSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    purpose = fields.String()
    day = fields.Date()
    status = fields.String()
    tentative = fields.Boolean()
    locked = fields.Boolean()
    window = fields.String(attribute="window_code", allow_none=True)
    origin = fields.Method("_origin")
    destination = fields.Method("_dest")
    pickup_window = fields.Method("_pickup")
    delivery_window = fields.Method("_delivery")
    failure_reason = fields.String(allow_none=True)

    def _origin(self, leg: Any) -> dict[str, Any]:
        return {
            "kind": leg.origin_kind.value,
            "label": leg.origin_label,
            "lat": leg.origin_lat,
            "lon": leg.origin_lon,
        }

    def _dest(self, leg: Any) -> dict[str, Any]:
        return {
            "kind": leg.dest_kind.value,
            "label": leg.dest_label,
            "lat": leg.dest_lat,
            "lon": leg.dest_lon,
        }

    def _pickup(self, leg: Any) -> dict[str, str | None]:
        return {"start": iso_utc(leg.pickup_start), "end": iso_utc(leg.pickup_end)}

    def _delivery(self, leg: Any) -> dict[str, str | None]:
        return {"start": iso_utc(leg.delivery_start), "end": iso_utc(leg.delivery_end)}


class ImpactLineSchema(Schema):
    """The resident's line (docs/impact.md): what this booking avoided against a van."""

    avoided_co2e_g = fields.Integer(
        metadata={"description": "whole grams of CO2e all the booking's legs avoided"}
    )
    text = fields.String(
        metadata={
            "description": "the line in the booking's language, e.g. 'This delivery avoided "
            "about 312 g CO2e compared with a van'"
        }
    )


IMPACT_DESCRIPTION = (
    "CO2e the booking's legs avoided compared with a van doing the same stops, from the "
    "impact ledger (newest version); null until the ledger holds a day of the booking"
)


class BookingSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    kind = fields.String()
    channel = fields.String()
    offer_id = fields.Integer()
    merchant_id = fields.Integer()
    customer_id = fields.Integer()
    address_label = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    district = fields.String()
    destination = fields.String(attribute="destination_type")
    point_id = fields.Integer(allow_none=True)
    pickup_pin = fields.Method(
        "_pin",
        metadata={
            "description": "only for the resident (and the courier at the stop); for a "
            "hotline booking also for dispatchers and admins"
        },
    )
    contact_name = fields.String()
    contact_phone = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    price_cents = fields.Integer()
    parcel_size = fields.String()
    volume_l = fields.Float()
    weight_kg = fields.Float()
    return_due = fields.Date(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    tracking_token = fields.Method(
        "_tracking", metadata={"description": "shown to whoever sees the pickup_pin"}
    )
    tracking_url = fields.Method(
        "_tracking_url",
        metadata={"description": "the public tracking link (no login), with tracking_token"},
    )
    created_at = UtcDateTime()
    legs = fields.List(fields.Nested(LegSchema))
    impact = fields.Nested(
        ImpactLineSchema,
        allow_none=True,
        dump_default=None,
        attribute="impact_line",
        metadata={"description": IMPACT_DESCRIPTION},
    )

    # The view marks, per request, whether the actor may see the PIN (see may_see_pin).
    def _pin(self, booking: Any) -> str | None:
        return booking.pickup_pin if getattr(booking, "show_private", False) else None

    def _tracking(self, booking: Any) -> str | None:
        return booking.tracking_token if getattr(booking, "show_private", False) else None

    def _tracking_url(self, booking: Any) -> str | None:
        if not getattr(booking, "show_private", False):
            return None
        return getattr(booking, "tracking_url", None)


class BookingQueryArgsSchema(PaginationArgsSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in BookingStatus]))
    date = fields.Date()


BookingPageSchema = page_schema(BookingSchema)


class StatusChangeSchema(Schema):
    id = fields.Integer()
    leg_id = fields.Integer(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String(allow_none=True)
    at = UtcDateTime()
    note = fields.String(allow_none=True)


class MerchantItemsQueryArgsSchema(Schema):
    date = fields.Date(required=True)


class UnservedQueryArgsSchema(PaginationArgsSchema):
    date = fields.Date(
        metadata={"description": "this day only (YYYY-MM-DD); default: today to the horizon"}
    )


class UnservedLegSchema(Schema):
    leg_id = fields.Integer()
    booking_id = fields.Integer()
    booking_code = fields.String()
    day = fields.Date()
    window = fields.String(allow_none=True)
    purpose = fields.String(metadata={"description": "collect | return | deliver"})
    district = fields.String(allow_none=True)
    detail = fields.String(
        metadata={"example": "no car works in Feldhausen between 09:00 and 11:00"}
    )


class MerchantItemSchema(LegSchema):
    booking_id = fields.Integer()
    booking_code = fields.Function(lambda leg: leg.booking.code)
    booking_status = fields.Function(lambda leg: leg.booking.status.value)
    parcel_size = fields.Function(lambda leg: leg.booking.parcel_size)
    offer_id = fields.Function(lambda leg: leg.booking.offer_id)


class MerchantItemsSchema(Schema):
    date = fields.Date()
    incoming = fields.List(fields.Nested(MerchantItemSchema))
    outgoing = fields.List(fields.Nested(MerchantItemSchema))


class PointHours(fields.Nested):
    """A Point's weekly hours in the shops' shape (``OpeningHoursSchema``):
    ``{"mon": [{"opens": "08:00", "closes": "20:00"}], ..., "sun": []}``; ``null`` is open
    around the clock (lockers). Stored as ``{"mon": [["08:00", "20:00"]]}``."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(
            OpeningHoursSchema,
            allow_none=True,
            metadata={"description": "local times per weekday; null: always open (lockers)"},
            **kw,
        )

    def _serialize(self, nested_obj: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if nested_obj is None:
            return None
        return {
            day: [{"opens": o, "closes": c} for o, c in sorted(nested_obj.get(day, []))]
            for day in WEEKDAYS
        }

    def _deserialize(self, value: Any, attr: str | None, data: Any, *args: Any, **kw: Any) -> Any:
        weekly = super()._deserialize(value, attr, data, *args, **kw)
        return {
            WEEKDAYS[weekday]: [[o.strftime("%H:%M"), c.strftime("%H:%M")] for o, c in spans]
            for weekday, spans in weekly.items()
        }


def _hours_field() -> fields.Field:
    return PointHours()


class PointSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(["point", "locker"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address_label = fields.String(required=True, validate=validate.Length(min=1, max=300))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    opening_hours = _hours_field()
    shelf_capacity = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    compartments = fields.Dict(
        keys=fields.String(validate=validate.OneOf(STANDARD_SIZES)),
        values=fields.Integer(validate=validate.Range(min=0, max=1000)),
        load_default=dict,
    )
    access_notes = fields.String(allow_none=True, validate=validate.Length(max=300))
    active = fields.Boolean(load_default=True)
    free = fields.Integer(dump_only=True, allow_none=True)


class PointUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address_label = fields.String(validate=validate.Length(min=1, max=300))
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    opening_hours = _hours_field()
    shelf_capacity = fields.Integer(validate=validate.Range(min=0, max=10000))
    compartments = fields.Dict(
        keys=fields.String(validate=validate.OneOf(STANDARD_SIZES)),
        values=fields.Integer(validate=validate.Range(min=0, max=1000)),
    )
    access_notes = fields.String(allow_none=True, validate=validate.Length(max=300))
    active = fields.Boolean()


class PointQueryArgsSchema(PaginationArgsSchema):
    kind = fields.String(validate=validate.OneOf(["point", "locker"]))
    date = fields.Date()
    size = fields.String(load_default="M", validate=validate.OneOf(STANDARD_SIZES))


class DistrictSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    min_lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    min_lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    max_lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    max_lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    vehicle_kinds = fields.List(
        fields.String(validate=validate.OneOf(["bike", "car"])),
        required=True,
        validate=validate.Length(min=1),
    )
    priority = fields.Integer(
        load_default=100,
        validate=validate.Range(min=0, max=10000),
        metadata={"description": "where districts overlap the lower number wins"},
    )
    active = fields.Boolean(load_default=True)


class CapacitySchema(Schema):
    capacity = fields.Integer(required=True, validate=validate.Range(min=0, max=100000))


class CapacityCounterSchema(Schema):
    day = fields.Date()
    window = fields.String(attribute="key")
    capacity = fields.Integer()
    used = fields.Integer()


class CustomerQueryArgsSchema(PaginationArgsSchema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "part of the name, or of the phone number in any notation"},
    )


class SavedAddressSchema(Schema):
    id = fields.Integer(metadata={"description": "book again with address_id"})
    label = fields.String()


class CustomerSchema(Schema):
    id = fields.Integer(metadata={"description": "book again with customer_id"})
    name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    locale = fields.String()
    has_login = fields.Boolean(metadata={"description": "false: a hotline customer"})
    addresses = fields.List(
        fields.Nested(SavedAddressSchema),
        metadata={"description": "addresses of their bookings, most recently used first"},
    )


class TrackingLinkSchema(Schema):
    email = fields.Email(
        validate=validate.Length(max=254),
        metadata={"description": "send the link by e-mail to this address"},
    )
    phone = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "or by SMS to this number (7 to 15 digits; spaces, / - . ( ) and "
            "a leading + allowed)",
            "example": "0171 2233441",
        },
    )


class OutboxMessageSchema(Schema):
    id = fields.Integer()
    booking_id = fields.Integer(allow_none=True)
    template = fields.String()
    channel = fields.String(metadata={"description": "email | sms"})
    recipient = fields.String(allow_none=True)
    status = fields.Method(
        "_status",
        metadata={
            "description": "queued | failing (unsent; the sender retries, see last_error "
            "and attempts) | sent | not_sent (settled without sending, e.g. no SMS "
            "gateway: read the link out)"
        },
    )
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)

    def _status(self, message: Any) -> str:
        if message.sent_at is None:
            return "failing" if message.last_error else "queued"
        if message.last_error and message.last_error.startswith("not sent"):
            return "not_sent"
        return "sent"
