"""JWT wiring (Flask side): identity, revocation lookup and 401 answers in the one error shape."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from flask_jwt_extended import JWTManager

from louise.auth import service
from louise.auth.models import AccountStatus, User
from louise.extensions import db
from louise.web import error_payload


def _unauthorized(message: str) -> Any:
    return jsonify(error_payload(401, message)), 401


def _subject(payload: dict[str, Any]) -> int | None:
    try:
        return int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        return None


def register_jwt_callbacks(jwt: JWTManager) -> None:
    @jwt.user_identity_loader
    def _identity(user: Any) -> str:
        return str(user.id if isinstance(user, User) else user)

    # flask-jwt-extended asks "revoked?" and then "whose?"; both are answered by one
    # statement, whose user is kept for the request (g) until the second question.
    @jwt.token_in_blocklist_loader
    def _revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        user_id = _subject(payload)
        holder = service.token_holder(db.session(), user_id, payload["jti"])
        g.louise_token_holder = (payload["jti"], holder.user)
        g.louise_reference_version = holder.reference_version
        return holder.revoked

    @jwt.user_lookup_loader
    def _lookup(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
        user_id = _subject(payload)
        if user_id is None:
            return None
        held = g.pop("louise_token_holder", None)
        if held is not None and held[0] == payload["jti"]:
            user = held[1]
        else:
            user = service.get_user(db.session(), user_id)
        if user is None or user.status != AccountStatus.ACTIVE:
            return None
        return user

    @jwt.expired_token_loader
    def _expired(_h: dict[str, Any], _p: dict[str, Any]) -> Any:
        return _unauthorized("Token has expired.")

    @jwt.invalid_token_loader
    def _invalid(reason: str) -> Any:
        return _unauthorized(f"Invalid token: {reason}")

    @jwt.unauthorized_loader
    def _missing(reason: str) -> Any:
        return _unauthorized(f"Authentication required: {reason}")

    @jwt.revoked_token_loader
    def _revoked_answer(_h: dict[str, Any], _p: dict[str, Any]) -> Any:
        return _unauthorized("Token has been revoked.")

    @jwt.user_lookup_error_loader
    def _no_user(_h: dict[str, Any], _p: dict[str, Any]) -> Any:
        return _unauthorized("The account of this token no longer exists or is not active.")

    @jwt.needs_fresh_token_loader
    def _not_fresh(_h: dict[str, Any], _p: dict[str, Any]) -> Any:
        return _unauthorized("A fresh login is required.")
