"""What every page shares: the parent blueprint ``pages`` with the signed-in user, the CSRF
check of every form, the page's Content-Security-Policy and the HTML error pages.

Each area (home, account, catalogue, booking, shop …) is a child blueprint of ``bp``, so these
hooks run for all of them and for nothing in the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from louise.auth.models import Role
from louise.errors import DomainError
from louise.pages import login
from louise.ratelimit import retry_after
from louise.web import DATABASE_UNAVAILABLE

bp = Blueprint("pages", __name__)
csrf = CSRFProtect()

#: Pages load only what the app serves: its CSS, its scripts (htmx and louise.js), its images.
#: No inline script or style, so nothing injected can run; forms post only to the app itself.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


#: The navigation per role: (endpoint, label). An area not built yet is simply not shown.
NAVIGATION: dict[str | None, tuple[tuple[str, Any], ...]] = {
    None: (("pages.catalogue.shops", _l("Shops")),),
    Role.CUSTOMER: (
        ("pages.catalogue.shops", _l("Shops")),
        ("pages.bookings.mine", _l("My bookings")),
    ),
    Role.MERCHANT: (
        ("pages.shop.today", _l("Today")),
        ("pages.shop.offers", _l("Offers")),
        ("pages.shop.hours", _l("Opening hours")),
        ("pages.shop.month", _l("The month")),
    ),
    Role.DISPATCHER: (
        ("pages.dispatch.day", _l("The day")),
        ("pages.hotline.start", _l("Hotline")),
        ("pages.fleet.overview", _l("Fleet and shifts")),
    ),
    Role.ADMIN: (
        ("pages.dispatch.day", _l("The day")),
        ("pages.hotline.start", _l("Hotline")),
        ("pages.fleet.overview", _l("Fleet and shifts")),
        ("pages.city.dashboard", _l("Figures")),
    ),
    Role.COURIER: (("pages.courier.route", _l("My route")),),
    Role.CITY: (("pages.city.dashboard", _l("Figures")),),
}


@bp.before_request
def _signed_in_user_and_csrf() -> None:
    g.user = login.user_of_session()
    if request.method not in _SAFE_METHODS:
        # PostgreSQL cannot store U+0000 in text: refuse it before any service sees it
        if any("\x00" in value for value in request.form.values()):
            abort(400)
        csrf.protect()


@bp.context_processor
def _page_context() -> dict[str, Any]:
    user = g.get("user")
    role = user.role if user is not None else None
    items = NAVIGATION.get(role, ())
    return {
        "current_user": user,
        "get_locale": get_locale,
        "config_endpoints": current_app.view_functions,
        "navigation": [(e, label) for e, label in items if e in current_app.view_functions],
    }


@bp.after_request
def _page_headers(response: Response) -> Response:
    if response.mimetype == "text/html":
        # a page that brings its own stricter policy keeps it (a printable route sheet)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        # pages show personal data: never from a shared cache, never from the back button
        # of someone else's browser session after logout
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError) -> Any:
    return render_template("pages/error.html", status=400, reason="csrf"), 400


@bp.errorhandler(RateLimitExceeded)
def _too_many(error: RateLimitExceeded) -> Any:
    seconds = retry_after(error)
    page = render_template("pages/error.html", status=429, reason="too_many", seconds=seconds)
    return page, 429, {"Retry-After": str(seconds)}


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Any:
    status = error.code or 500
    if status in (301, 302, 303, 307, 308):
        return error
    reason = {401: "login", 403: "forbidden", 404: "not_found", 429: "too_many"}.get(
        status, "other"
    )
    response = error.get_response()
    body = render_template("pages/error.html", status=status, reason=reason)
    return (
        body,
        status,
        {k: v for k, v in response.headers.items() if k in ("Retry-After", "Allow")},
    )


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Any:
    """A service refused outside a form (a booking that is not yours, an unknown shop): an
    HTML page with the status, never the API's JSON."""
    reason = {401: "login", 403: "forbidden", 404: "not_found", 429: "too_many"}.get(
        error.status, "other"
    )
    page = render_template("pages/error.html", status=error.status, reason=reason, error=error)
    return page, error.status, error.headers


def _database_unavailable(error: Exception) -> Any:
    page = render_template("pages/error.html", status=503, reason="unavailable")
    return page, 503, {"Retry-After": "2"}


for _error in DATABASE_UNAVAILABLE:
    bp.register_error_handler(_error, _database_unavailable)


def html_for_unknown_pages(app: Flask) -> None:
    """An address that matches nothing answers the HTML 404 page to a browser, and the API's
    JSON error under ``/api/`` or to a client that does not ask for HTML."""
    from louise.extensions import api

    def not_found(error: HTTPException) -> Any:
        in_pages = (request.blueprint or "").split(".")[0] == bp.name  # a page's own 404
        wants_html = in_pages or (
            request.accept_mimetypes.accept_html and not request.path.startswith("/api/")
        )
        if not wants_html:
            return api.handle_http_exception(error)
        g.user = login.user_of_session()
        page = render_template(
            "pages/error.html", status=404, reason="not_found", **_page_context()
        )
        return page, 404, {"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store"}

    app.register_error_handler(404, not_found)
