"""GDPR: download all one's personal data, and erasure (residents; the hotline for its
customers). The rules are in ``louise.privacy`` and docs/privacy.md."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint

from louise import clock
from louise.auth.guards import auth_required, current_user
from louise.auth.models import STAFF
from louise.extensions import db
from louise.privacy import erasure, export
from louise.privacy.access import customer_for_staff
from louise.privacy.schemas import (
    EraseMyselfSchema,
    ErasureSchema,
    PersonalDataSchema,
    attachment,
)
from louise.web import document_errors

blp = Blueprint("privacy", __name__, description="GDPR: personal data export and erasure")

_DOWNLOAD = {"Content-Disposition": {"schema": {"type": "string"}, "description": "attachment"}}


def upload_dir() -> Path:
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured or Path(current_app.instance_path) / "uploads")


def _this_requests_tokens() -> list[erasure.TokenToRevoke]:
    claims = get_jwt()
    tokens = [
        erasure.TokenToRevoke(claims["jti"], "access", datetime.fromtimestamp(claims["exp"], UTC))
    ]
    if claims.get("rjti"):
        expiry = clock.now() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
        tokens.append(erasure.TokenToRevoke(claims["rjti"], "refresh", expiry))
    return tokens


@blp.route("/me/export")
class MyExport(MethodView):
    @auth_required(blp)
    @blp.response(200, PersonalDataSchema, headers=_DOWNLOAD)
    def get(self) -> Any:
        """Download all my personal data as one JSON file (proof images embedded, base64)."""
        user = current_user()
        return attachment(user.id, export.collect(db.session(), user, upload_dir(), clock.now()))


@blp.route("/me/erase")
class EraseMe(MethodView):
    @auth_required(blp)
    @blp.arguments(EraseMyselfSchema)
    @blp.response(200, ErasureSchema)
    @document_errors(blp, 403, 409, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Erase my account (residents; confirm with the password): bookings stay anonymised."""
        return erasure.erase_myself(
            db.session(),
            current_user(),
            data["password"],
            upload_dir(),
            clock.now(),
            _this_requests_tokens(),
        )


@blp.route("/customers/<int:user_id>/export")
class CustomerExport(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, PersonalDataSchema, headers=_DOWNLOAD)
    @document_errors(blp, 404)
    def get(self, user_id: int) -> Any:
        """A customer's personal data as one JSON file (dispatchers: hotline customers)."""
        session = db.session()
        person = customer_for_staff(session, current_user(), user_id)
        return attachment(person.id, export.collect(session, person, upload_dir(), clock.now()))


@blp.route("/customers/<int:user_id>/erase")
class EraseCustomer(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, ErasureSchema)
    @document_errors(blp, 404, 409)
    def post(self, user_id: int) -> Any:
        """Erase a customer (dispatchers: hotline customers; admins: any customer)."""
        return erasure.erase_customer(
            db.session(), current_user(), user_id, upload_dir(), clock.now()
        )
