"""Domain errors. Services raise these; the web layer turns each into one JSON error shape.

This module must stay free of Flask so that services can raise its errors.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields
        self.headers = headers or {}


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class InvalidState(Conflict):
    """A state transition that the lifecycle does not allow."""

    code = "invalid_state"


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a rule; ``fields`` names the culprits."""

    status, code = 422, "validation_error"


class ServiceUnavailable(DomainError):
    """A dependency (geocoder, routing service) is down; retrying later may help."""

    status, code = 503, "service_unavailable"
