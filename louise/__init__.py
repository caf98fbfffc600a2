"""louise: city-logistics booking backend (LOUISE, Bottrop)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import text
from swagger_ui_bundle import swagger_ui_path

from louise.config import load_config

API_PREFIX = "/api/v1"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → errors → CLI."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))
    app.config.update(
        API_TITLE="louise",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/static/",
        API_SPEC_OPTIONS={
            "info": {
                "description": "City-logistics booking backend: local shops, residents, "
                "e-cargo-bike routes. Errors share one JSON shape (see ErrorSchema).",
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
        JSON_SORT_KEYS=False,
    )

    from louise import logs, observability

    if not app.testing:  # tests read records through caplog, not a stream
        logs.configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    observability.init_app(app)  # first: every later hook and view runs with the request id

    from louise.auth import passwords
    from louise.extensions import api, db, jwt
    from louise.models import load_all

    load_all()  # every mapper known before the first query
    passwords.configure(
        app.config["ARGON2_TIME_COST"],
        app.config["ARGON2_MEMORY_KIB"],
        app.config["ARGON2_PARALLELISM"],
    )
    db.init_app(app)
    jwt.init_app(app)
    api.init_app(app)
    from louise.web import install_id_converter

    install_id_converter(app, api)  # every <int:...> in a URL is an id: 1 … 2^31 − 1

    from louise.auth.api import blp as auth_blp
    from louise.auth.tokens import register_jwt_callbacks
    from louise.bookings.api import blp as bookings_blp
    from louise.dispatch.api import blp as plans_blp
    from louise.dispatch.courier_api import blp as courier_blp
    from louise.dispatch.sheets_api import blp as sheets_blp
    from louise.fleet.api import blp as fleet_blp
    from louise.geo.api import blp as geo_blp
    from louise.impact.api import blp as impact_blp
    from louise.impact.shop_api import blp as shop_impact_blp
    from louise.merchants.api import blp as merchants_blp
    from louise.privacy.api import blp as privacy_blp

    register_jwt_callbacks(jwt)
    from louise.bookings import footprint, on_route
    from louise.dispatch.courier.board import RouteBoard
    from louise.dispatch.models import ShiftPlans
    from louise.fleet import on_plan
    from louise.impact.reading import LedgerAvoided

    on_route.register(RouteBoard())  # booking changes take their legs off published routes
    footprint.register(LedgerAvoided())  # the resident's line reads the impact ledger
    on_plan.register(ShiftPlans())  # deleting a shift asks the plans
    for blp in (
        auth_blp,
        merchants_blp,
        geo_blp,
        bookings_blp,
        fleet_blp,
        plans_blp,
        courier_blp,
        sheets_blp,
        privacy_blp,
        impact_blp,
        shop_impact_blp,
    ):
        api.register_blueprint(blp, url_prefix=API_PREFIX)

    from louise import pages

    pages.init_app(app)  # the web app (docs/web.md): before the rate limits wrap its views

    from louise.web import register_error_handlers

    register_error_handlers(app)
    _register_ops_routes(app)

    from louise import ratelimit, security

    security.init_app(app)  # headers on every answer, CORS, ProxyFix
    ratelimit.init_app(app)  # after the blueprints: it wraps their @rate_limited views

    from louise.cli import register_cli

    register_cli(app)
    return app


def _register_ops_routes(app: Flask) -> None:
    from flask import send_from_directory

    from louise.extensions import db

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Any:
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # any driver error means "not ready"
            from louise.web import error_payload

            return jsonify(error_payload(503, "Database unreachable.")), 503
        return jsonify(status="ready")

    @app.get("/api/docs/static/<path:filename>")
    def swagger_static(filename: str) -> Any:
        # Served from the installed swagger-ui-bundle so the docs work offline, without a CDN.
        return send_from_directory(swagger_ui_path, filename)
