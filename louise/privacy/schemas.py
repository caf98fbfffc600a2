"""The export document and the erasure answers (API side)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from louise.web import UtcDateTime


class ExportAccountSchema(Schema):
    id = fields.Integer()
    email = fields.String(allow_none=True)
    name = fields.String()
    phone = fields.String(allow_none=True)
    role = fields.String(attribute="role.value")
    status = fields.String(attribute="status.value")
    locale = fields.String()
    has_login = fields.Function(lambda user: user.password_hash is not None)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class ExportAddressSchema(Schema):
    id = fields.Integer()
    label = fields.String()
    street = fields.String(allow_none=True)
    house_number = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()
    created_at = UtcDateTime()


class ExportLegSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    purpose = fields.String(attribute="purpose.value")
    day = fields.Date()
    status = fields.String(attribute="status.value")
    window = fields.String(attribute="window_code", allow_none=True)
    origin_kind = fields.String(attribute="origin_kind.value")
    origin_label = fields.String()
    dest_kind = fields.String(attribute="dest_kind.value")
    dest_label = fields.String()
    pickup_start = UtcDateTime()
    pickup_end = UtcDateTime()
    delivery_start = UtcDateTime()
    delivery_end = UtcDateTime()
    failure_reason = fields.String(allow_none=True)


class ExportStatusChangeSchema(Schema):
    at = UtcDateTime()
    leg_id = fields.Integer(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor_role = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ExportProofSchema(Schema):
    stop_id = fields.Integer(attribute="stop.id")
    leg_id = fields.Integer(attribute="stop.leg_id")
    stop_type = fields.String(attribute="stop.type.value")
    proof_kind = fields.String(attribute="stop.proof_kind", allow_none=True)
    done_at = UtcDateTime(attribute="stop.done_at", allow_none=True)
    note = fields.String(attribute="stop.note", allow_none=True)
    file_name = fields.String(allow_none=True)
    content_type = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    content_base64 = fields.String(
        allow_none=True, metadata={"description": "the photo or signature image, base64"}
    )
    missing = fields.Boolean(metadata={"description": "the file is referenced but gone"})


class ExportBookingSchema(Schema):
    id = fields.Integer(attribute="booking.id")
    code = fields.String(attribute="booking.code")
    channel = fields.String(attribute="booking.channel.value")
    kind = fields.String(attribute="booking.kind")
    status = fields.String(attribute="booking.status.value")
    offer_id = fields.Integer(attribute="booking.offer_id")
    offer_title = fields.String(allow_none=True)
    merchant_id = fields.Integer(attribute="booking.merchant_id")
    merchant_name = fields.String(allow_none=True)
    created_at = UtcDateTime(attribute="booking.created_at")
    address_id = fields.Integer(attribute="booking.address_id")
    address_label = fields.String(attribute="booking.address_label")
    lat = fields.Float(attribute="booking.lat")
    lon = fields.Float(attribute="booking.lon")
    district = fields.String(attribute="booking.district")
    destination_type = fields.String(attribute="booking.destination_type.value")
    point_id = fields.Integer(attribute="booking.point_id", allow_none=True)
    pickup_pin = fields.String(attribute="booking.pickup_pin", allow_none=True)
    contact_name = fields.String(attribute="booking.contact_name")
    contact_phone = fields.String(attribute="booking.contact_phone", allow_none=True)
    notes = fields.String(attribute="booking.notes", allow_none=True)
    price_cents = fields.Integer(attribute="booking.price_cents")
    parcel_size = fields.String(attribute="booking.parcel_size")
    return_due = fields.Date(attribute="booking.return_due", allow_none=True)
    tracking_token = fields.String(attribute="booking.tracking_token")
    cancel_reason = fields.String(attribute="booking.cancel_reason", allow_none=True)
    locale = fields.String(attribute="booking.locale")
    legs = fields.List(fields.Nested(ExportLegSchema), attribute="booking.legs")
    history = fields.List(fields.Nested(ExportStatusChangeSchema))
    proofs = fields.List(fields.Nested(ExportProofSchema))


class ExportMessageSchema(Schema):
    id = fields.Integer(attribute="message.id")
    booking_id = fields.Integer(attribute="message.booking_id", allow_none=True)
    channel = fields.String(attribute="message.channel.value")
    recipient = fields.String(attribute="message.recipient", allow_none=True)
    template = fields.String(attribute="message.template")
    locale = fields.String(attribute="message.locale")
    created_at = UtcDateTime(attribute="message.created_at")
    sent_at = UtcDateTime(attribute="message.sent_at", allow_none=True)
    subject = fields.String()
    text = fields.String()
    values = fields.Dict(attribute="message.context", metadata={"description": "stored values"})


class ExportRevokedTokenSchema(Schema):
    jti = fields.String()
    token_type = fields.String()
    revoked_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)


class PersonalDataSchema(Schema):
    """Everything louise stores about one person (docs/privacy.md)."""

    exported_at = UtcDateTime()
    account = fields.Nested(ExportAccountSchema)
    addresses = fields.List(fields.Nested(ExportAddressSchema))
    bookings = fields.List(fields.Nested(ExportBookingSchema))
    messages = fields.List(fields.Nested(ExportMessageSchema))
    revoked_tokens = fields.List(fields.Nested(ExportRevokedTokenSchema))


class EraseMyselfSchema(Schema):
    password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "the account's password, typed again to confirm"},
    )


class ErasureSchema(Schema):
    """The erasure log entry: no personal data."""

    id = fields.Integer()
    user_id = fields.Integer()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String()
    at = UtcDateTime()
    bookings_kept = fields.Integer(metadata={"description": "anonymised, still counted"})
    addresses_deleted = fields.Integer()
    messages_deleted = fields.Integer()
    proofs_deleted = fields.Integer()


def attachment(user_id: int, data: Any) -> tuple[Any, int, dict[str, str]]:
    """The export as a download."""
    name = f"louise-personal-data-{user_id}.json"
    return data, 200, {"Content-Disposition": f'attachment; filename="{name}"'}
