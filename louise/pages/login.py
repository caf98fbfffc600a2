"""The web app's login: a signed session cookie (HttpOnly, SameSite=Lax, Secure outside
development) that names the user and a fingerprint of their password hash.

Changing the password, erasure (which removes the hash) or disabling the account ends every
session at its next request, in every worker, with nothing stored server-side. The API keeps
its bearer tokens; the two never mix.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for

from louise.auth import service
from louise.auth.models import Role, User
from louise.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

_USER = "uid"
_FINGERPRINT = "pwf"


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode("utf-8")).hexdigest()[:16]


def sign_in(user: User) -> None:
    """Start a session for ``user`` (already authenticated by :func:`service.authenticate`).
    A new session on every login: whatever an attacker planted before is dropped."""
    _new_session()
    session.permanent = True
    session[_USER] = user.id
    session[_FINGERPRINT] = _fingerprint(user)
    g.user = user


def sign_out() -> None:
    _new_session()
    g.user = None


def _new_session() -> None:
    session.clear()
    # the CSRF token Flask-WTF cached for this request belonged to the old session
    g.pop("csrf_token", None)


def user_of_session() -> User | None:
    """The signed-in user, or None when there is no session or it is no longer valid."""
    user_id = session.get(_USER)
    if not isinstance(user_id, int):
        return None
    user = service.get_user(db.session(), user_id)
    if (
        user is None
        or not user.can_log_in
        or not hmac.compare_digest(str(session.get(_FINGERPRINT, "")), _fingerprint(user))
    ):
        session.pop(_USER, None)
        session.pop(_FINGERPRINT, None)
        return None
    return user


def current_user() -> User:
    """The signed-in user of a view decorated with :func:`login_required`."""
    user: User | None = g.get("user")
    if user is None:
        abort(401)
    return user


def safe_next(target: str | None, default: str) -> str:
    """Where to go after login: a path of this app only, never another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def login_required(*roles: Role) -> Callable[[F], F]:
    """Send visitors to the login page (and back afterwards); a signed-in user of another
    role gets 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user: User | None = g.get("user")
            if user is None:
                return redirect(url_for("pages.account.login", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
