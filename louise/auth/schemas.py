"""Account and token schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from louise.auth.models import AccountStatus, Role
from louise.web import PaginationArgsSchema, UtcDateTime, page_schema

ROLE_VALUES = [r.value for r in Role]
STATUS_VALUES = [s.value for s in AccountStatus]


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(allow_none=True)
    name = fields.String()
    phone = fields.String(allow_none=True)
    role = fields.String()
    status = fields.String()
    locale = fields.String()
    created_at = UtcDateTime(dump_only=True)


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=10, max=200)
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=validate.Length(max=40))
    locale = fields.String(load_default="de", validate=validate.OneOf(["de", "en"]))
    role = fields.String(
        load_default=Role.CUSTOMER.value,
        validate=validate.OneOf([Role.CUSTOMER.value, Role.MERCHANT.value]),
        metadata={"description": "customer (active at once) or merchant (waits for an admin)"},
    )


class AccountCreateSchema(Schema):
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))
    password = fields.String(
        load_only=True, load_default=None, validate=validate.Length(min=10, max=200)
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=validate.Length(max=40))
    locale = fields.String(load_default="de", validate=validate.OneOf(["de", "en"]))
    role = fields.String(required=True, validate=validate.OneOf(ROLE_VALUES))


class AccountStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUS_VALUES))


class UserQueryArgsSchema(PaginationArgsSchema):
    role = fields.String(validate=validate.OneOf(ROLE_VALUES))
    status = fields.String(validate=validate.OneOf(STATUS_VALUES))


UserPageSchema = page_schema(UserSchema)


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "access token lifetime in seconds"})


class AccessTokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
