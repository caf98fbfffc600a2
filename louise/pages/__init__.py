"""The web app: pages rendered on the server for residents and shops (docs/web.md).

Pages call the same services as the API, so a rule is written once. Login is a cookie session
(:mod:`louise.pages.login`), every form carries a CSRF token (Flask-WTF), and every text comes
from one translation catalogue (``louise/translations``; German by default, English on request).
Only ``create_app`` imports this package.
"""

from __future__ import annotations

from flask import Flask

_areas_registered = False  # the page areas hang under the parent blueprint once per process


def init_app(app: Flask) -> None:
    """Session cookie, CSRF, translations and the page blueprints."""
    from louise.pages import (
        account,
        book,
        bookings,
        catalogue,
        city,
        courier,
        dispatch,
        fleet,
        home,
        hotline,
        i18n,
        shell,
        shop,
    )

    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # the API uses bearer tokens
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a token lives as long as its session
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config["SESSION_COOKIE_SECURE"]),
        PERMANENT_SESSION_LIFETIME=app.config["SESSION_LIFETIME"],
    )
    shell.csrf.init_app(app)
    i18n.init_app(app)
    global _areas_registered
    if not _areas_registered:  # every app of the process (tests build several) shares them
        for area in (
            home.bp,
            account.bp,
            catalogue.bp,
            bookings.bp,
            shop.bp,
            book.bp,
            city.bp,
            hotline.bp,
            fleet.bp,
            courier.bp,
            dispatch.bp,
        ):
            shell.bp.register_blueprint(area)
        _areas_registered = True
    app.register_blueprint(shell.bp)
    shell.html_for_unknown_pages(app)
