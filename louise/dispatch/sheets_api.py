"""Route sheets: a printable HTML page and a PDF per route, for dispatchers (any route) and
for couriers (their own routes of a published plan). German by default, English when the
request's ``Accept-Language`` prefers it."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from louise.auth.guards import auth_required, current_user
from louise.auth.models import STAFF, Role
from louise.dispatch.models import PlanRoute
from louise.dispatch.sheets import build_sheet, render_html, render_pdf, sheet_filename
from louise.dispatch.sheets.html import INLINE_STYLES
from louise.dispatch.sheets.i18n import DEFAULT_LANG, LANGS, language
from louise.dispatch.sheets.service import route_for_courier, route_for_dispatcher
from louise.extensions import db
from louise.security import html_policy, sha256_source
from louise.web import document_errors

blp = Blueprint("sheets", __name__, description="Printable route sheets (HTML and PDF)")

_HTML_DOC = {"type": "string", "description": "A self-contained HTML5 page (no scripts)."}
_PDF_DOC = {"type": "string", "format": "binary", "description": "A4 landscape PDF."}


def _hub_label() -> str | None:
    name, address = current_app.config.get("HUB_NAME"), current_app.config.get("HUB_ADDRESS")
    return f"{name}, {address}" if name and address else None


def _sheet_response(route: PlanRoute, kind: str, *, show_pins: bool) -> Response:
    lang = language(request.accept_languages.best_match(LANGS, default=DEFAULT_LANG))
    sheet = build_sheet(db.session(), route, lang, show_pins=show_pins, hub_label=_hub_label())
    if kind == "pdf":
        response = Response(render_pdf(sheet), mimetype="application/pdf")
    else:
        response = Response(render_html(sheet), mimetype="text/html")  # charset=utf-8 added
        # inline CSS and SVG only: the one <style> by its hash, no script, nothing loaded
        styles = tuple(sha256_source(css) for css in INLINE_STYLES)
        response.headers["Content-Security-Policy"] = html_policy(style_hashes=styles)
    response.headers["Content-Disposition"] = f'inline; filename="{sheet_filename(sheet, kind)}"'
    response.headers["Content-Language"] = sheet.lang
    response.headers["Vary"] = "Accept-Language, Authorization"
    # phone numbers and locker PINs: never kept by shared caches
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/plans/<int:plan_id>/routes/<int:route_id>/sheet.html")
class PlanRouteSheetHtml(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, _HTML_DOC, content_type="text/html")
    @document_errors(blp, 404)
    def get(self, plan_id: int, route_id: int) -> Any:
        """A route's printable sheet as an HTML page (map, stops, contacts; no locker PINs)."""
        route = route_for_dispatcher(db.session(), current_user(), plan_id, route_id)
        return _sheet_response(route, "html", show_pins=False)


@blp.route("/plans/<int:plan_id>/routes/<int:route_id>/sheet.pdf")
class PlanRouteSheetPdf(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, _PDF_DOC, content_type="application/pdf")
    @document_errors(blp, 404)
    def get(self, plan_id: int, route_id: int) -> Any:
        """A route's printable sheet as a PDF (A4 landscape)."""
        route = route_for_dispatcher(db.session(), current_user(), plan_id, route_id)
        return _sheet_response(route, "pdf", show_pins=False)


@blp.route("/courier/routes/<int:route_id>/sheet.html")
class CourierRouteSheetHtml(MethodView):
    @auth_required(blp, Role.COURIER)
    @blp.response(200, _HTML_DOC, content_type="text/html")
    @document_errors(blp, 404)
    def get(self, route_id: int) -> Any:
        """The courier's own route sheet (published plans only) as an HTML page."""
        route = route_for_courier(db.session(), current_user(), route_id)
        return _sheet_response(route, "html", show_pins=True)


@blp.route("/courier/routes/<int:route_id>/sheet.pdf")
class CourierRouteSheetPdf(MethodView):
    @auth_required(blp, Role.COURIER)
    @blp.response(200, _PDF_DOC, content_type="application/pdf")
    @document_errors(blp, 404)
    def get(self, route_id: int) -> Any:
        """The courier's own route sheet (published plans only) as a PDF."""
        route = route_for_courier(db.session(), current_user(), route_id)
        return _sheet_response(route, "pdf", show_pins=True)
