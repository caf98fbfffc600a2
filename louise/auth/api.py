"""Accounts and tokens: register, login, refresh, logout, me; admin account management."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    decode_token,
    get_jwt,
    jwt_required,
)
from flask_smorest import Blueprint

from louise.auth import service
from louise.auth.guards import auth_required, current_user
from louise.auth.models import STAFF, AccountStatus, Role
from louise.auth.schemas import (
    AccessTokenSchema,
    AccountCreateSchema,
    AccountStatusSchema,
    LoginSchema,
    RegisterSchema,
    TokenPairSchema,
    UserPageSchema,
    UserQueryArgsSchema,
    UserSchema,
)
from louise.extensions import db
from louise.ratelimit import rate_limited
from louise.web import LOCATION, created, document_errors, page

blp = Blueprint("auth", __name__, description="Accounts, roles and tokens")


def _expires_in() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def _access_token(user: Any, refresh_jti: str) -> str:
    # The access token carries its refresh token's id, so logout can revoke both.
    return create_access_token(
        identity=user, additional_claims={"role": user.role.value, "rjti": refresh_jti}
    )


@blp.route("/auth/register")
class Register(MethodView):
    @blp.arguments(RegisterSchema)
    @blp.response(201, UserSchema, headers=LOCATION)
    @document_errors(blp, 403, 409)
    @rate_limited(blp, "register_ip")
    def post(self, data: dict[str, Any]) -> Any:
        """Register a resident (active at once) or a shop (waits for an admin's approval)."""
        role = Role(data.pop("role"))
        user = service.register(db.session(), service.AccountData(**data), role)
        return created(user, "auth.UserById", user_id=user.id)


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @document_errors(blp, 401, 403)
    @rate_limited(blp, "login_account", "login_ip")
    def post(self, data: dict[str, Any]) -> Any:
        """Log in with e-mail and password; returns an access and a refresh token."""
        user = service.authenticate(db.session(), data["email"], data["password"])
        refresh = create_refresh_token(identity=user, additional_claims={"role": user.role.value})
        refresh_jti = decode_token(refresh)["jti"]
        return {
            "access_token": _access_token(user, refresh_jti),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": _expires_in(),
        }


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @jwt_required(refresh=True)
    @blp.response(200, AccessTokenSchema)
    @blp.doc(security=[{"bearerAuth": []}], description="Send the refresh token as bearer.")
    @document_errors(blp, 401)
    def post(self) -> Any:
        """Exchange a refresh token for a new short-lived access token."""
        claims = get_jwt()
        return {
            "access_token": _access_token(current_user(), claims["jti"]),
            "token_type": "Bearer",
            "expires_in": _expires_in(),
        }


@blp.route("/auth/logout")
class Logout(MethodView):
    @auth_required(blp)
    @blp.response(204)
    def post(self) -> None:
        """Log out: revoke this access token and its refresh token (stored in the database)."""
        claims = get_jwt()
        tokens = [
            (claims["jti"], "access", datetime.fromtimestamp(claims["exp"], UTC)),
        ]
        if claims.get("rjti"):
            refresh_expiry = datetime.now(UTC) + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
            tokens.append((claims["rjti"], "refresh", refresh_expiry))
        service.revoke_tokens(db.session(), current_user().id, tokens)


@blp.route("/me")
class Me(MethodView):
    @auth_required(blp)
    @blp.response(200, UserSchema)
    def get(self) -> Any:
        """The logged-in account."""
        return current_user()


@blp.route("/users")
class Users(MethodView):
    @auth_required(blp, Role.ADMIN)
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List accounts (admin), e.g. shops waiting for approval: ?status=pending."""
        role = Role(args["role"]) if args.get("role") else None
        status = AccountStatus(args["status"]) if args.get("status") else None
        items, total = service.list_users(
            db.session(), current_user(), role, status, args["limit"], args["offset"]
        )
        return page(items, total, args)

    @auth_required(blp, *STAFF)
    @blp.arguments(AccountCreateSchema)
    @blp.response(201, UserSchema, headers=LOCATION)
    @document_errors(blp, 409)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an account: admins any role; dispatchers hotline customers without login."""
        role = Role(data.pop("role"))
        user = service.create_account(
            db.session(), current_user(), service.AccountData(**data), role
        )
        return created(user, "auth.UserById", user_id=user.id)


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @auth_required(blp)
    @blp.response(200, UserSchema)
    @document_errors(blp, 404)
    def get(self, user_id: int) -> Any:
        """One account: admins any, dispatchers customers, everyone their own."""
        return service.read_user(db.session(), current_user(), user_id)


@blp.route("/users/<int:user_id>/status")
class UserStatus(MethodView):
    @auth_required(blp, Role.ADMIN)
    @blp.arguments(AccountStatusSchema)
    @blp.response(200, UserSchema)
    @document_errors(blp, 404, 409)
    def put(self, data: dict[str, Any], user_id: int) -> Any:
        """Approve (active) or disable an account (admin)."""
        return service.set_status(
            db.session(), current_user(), user_id, AccountStatus(data["status"])
        )
