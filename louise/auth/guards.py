"""Role guards for views (Flask side)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask_jwt_extended import current_user as _jwt_current_user
from flask_jwt_extended import verify_jwt_in_request

from louise.auth.models import Role, User
from louise.errors import Forbidden
from louise.web import document_errors

F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> User:
    """The logged-in user of this request (only inside a guarded view)."""
    user: User = _jwt_current_user._get_current_object()
    return user


def optional_user() -> User | None:
    verify_jwt_in_request(optional=True)
    user = _jwt_current_user._get_current_object()
    return user if isinstance(user, User) else None


def auth_required(blp: Any, *roles: Role) -> Callable[[F], F]:
    """Require a valid access token, and one of ``roles`` if any are given.

    Also documents the bearer security and the 401/403 answers in OpenAPI.
    """

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()
            if roles and current_user().role not in roles:
                allowed = ", ".join(r.value for r in roles)
                raise Forbidden(f"This needs one of the roles: {allowed}.")
            return func(*args, **kwargs)

        documented = blp.doc(security=[{"bearerAuth": []}])(wrapper)
        codes = (401, 403) if roles else (401,)
        return document_errors(blp, *codes)(documented)

    return decorator
