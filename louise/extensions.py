"""Unbound extension objects, attached to the app in ``create_app``."""

from __future__ import annotations

from typing import Any

from flask import Flask
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


db = Database()
jwt = JWTManager()
api = LouiseApi()
