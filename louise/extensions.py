"""Unbound extension objects, attached to the app in ``create_app``."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache
from flask import Flask, current_app
from flask.globals import app_ctx
from flask_jwt_extended import JWTManager
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from louise.db import READ_ONLY_MARK, make_engine, read_only_sessions
from louise.web import LouiseApi


def _app_ctx_id() -> int:
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


class Database:
    """Engine and a session scoped to the Flask app context (one session per request)."""

    def __init__(self) -> None:
        self._engines: dict[int, Engine] = {}
        self._factories: dict[int, sessionmaker[Session]] = {}
        self._read_only_factories: dict[int, sessionmaker[Session]] = {}
        self._bound: set[int] = set()  # apps whose sessions join a test's connection
        self.session: scoped_session[Session] = scoped_session(
            self._make_session,  # type: ignore[arg-type]  # any callable returning a Session
            _app_ctx_id,
        )

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"], app.config["DATABASE_ECHO"])
        app.extensions["louise.db"] = self
        self._engines[id(app)] = engine
        self._factories[id(app)] = sessionmaker(bind=engine, expire_on_commit=False)
        if engine.dialect.name == "postgresql":
            self._read_only_factories[id(app)] = read_only_sessions(engine)

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    @property
    def engine(self) -> Engine:
        from flask import current_app

        return self._engines[id(current_app._get_current_object())]  # type: ignore[attr-defined]

    def engine_for(self, app: Flask) -> Engine:
        return self._engines[id(app)]

    def bind_app_to(self, app: Flask, connection: Connection | None) -> None:
        """Tests: make every session of ``app`` join ``connection``'s outer transaction.

        Services still call ``commit()``; with ``create_savepoint`` that only releases a
        savepoint, so the test can roll everything back. ``None`` restores the engine.
        """
        if connection is None:
            self._bound.discard(id(app))
            self._factories[id(app)] = sessionmaker(
                bind=self._engines[id(app)], expire_on_commit=False
            )
        else:
            self._bound.add(id(app))
            self._factories[id(app)] = sessionmaker(
                bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )

    def _make_session(self, **kw: Any) -> Session:
        from flask import current_app

        key = id(current_app._get_current_object())  # type: ignore[attr-defined]
        if (
            key in self._read_only_factories
            and key not in self._bound
            and _view_is_read_only(current_app)
        ):
            return self._read_only_factories[key](**kw)
        return self._factories[key](**kw)


def _view_is_read_only(app: Flask) -> bool:
    """Whether the request's view is marked :func:`louise.db.read_only` (a MethodView's
    method for the request's HTTP method, or a plain view function)."""
    from flask import has_request_context, request

    if not has_request_context() or request.endpoint is None:
        return False
    view = app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, request.method.lower(), None)
    return bool(getattr(view, READ_ONLY_MARK, False))


class VerifyOnceJWTManager(JWTManager):
    """flask-jwt-extended's manager that verifies a token's signature and claims once per
    worker, not on every request.

    Decoding a token costs about 1.2 M instructions (it is parsed three times, and every
    character of each part is checked), a twentieth of a booking. A resident sends the
    same token with every request for its lifetime, so the app keeps the claims of the
    tokens it verified (``VERIFIED_TOKENS`` per app, by the token's exact text). A kept
    token is used only while it is surely valid by its time claims (``exp`` in the future,
    ``nbf`` and ``iat`` not), read with PyJWT's clock; otherwise it is decoded as before and
    any error is the same. Revocation and the account are still checked on every request
    (the blocklist and user loaders run as before); a cookie token with its CSRF value, or
    a decode that allows an expired token, is always decoded afresh."""

    VERIFIED_TOKENS = 4096

    def init_app(self, app: Flask, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        app.extensions["louise.verified_tokens"] = (
            LRUCache(maxsize=self.VERIFIED_TOKENS),
            threading.Lock(),
        )

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: Any = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        verified, lock = current_app.extensions["louise.verified_tokens"]
        with lock:
            claims = verified.get(encoded_token)
        if claims is None or not _surely_valid(claims):
            claims = super()._decode_jwt_from_config(encoded_token)
            with lock:
                verified[encoded_token] = claims
        return dict(claims)  # a copy: the caller may change it


def _surely_valid(claims: dict[str, Any]) -> bool:
    """The time claims hold now without any leeway (PyJWT's clock; PyJWT allows more)."""
    now = datetime.now(tz=UTC).timestamp()
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    return (
        isinstance(exp, int | float)
        and now < exp
        and (nbf is None or (isinstance(nbf, int | float) and nbf <= now))
        and (iat is None or (isinstance(iat, int | float) and iat <= now))
    )


db = Database()
jwt = VerifyOnceJWTManager()
api = LouiseApi()
