"""The start page and the language switch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, make_response, redirect, render_template, request

from louise.pages.i18n import LANGUAGE_COOKIE, LANGUAGES
from louise.pages.login import safe_next

bp = Blueprint("home", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/")
def start() -> Any:
    """What LOUISE is, how it works, and the day's cut-off."""
    policy = current_app.config
    return render_template(
        "pages/home.html",
        cutoff=policy["SAME_DAY_CUTOFF"],
        evening_from=str(policy["EVENING_WINDOW"]).split("-")[0],
    )


@bp.get("/language/<code>")
def language(code: str) -> Any:
    """Switch the pages' language (a cookie) and go back to the page the visitor was on."""
    response = make_response(redirect(safe_next(request.args.get("next"), "/")))
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
            httponly=True,
        )
    return response
