"""Account pages: register, log in and out, change the password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from louise.auth import service
from louise.auth.models import Role, User
from louise.auth.schemas import RegisterSchema
from louise.errors import DomainError
from louise.extensions import db
from louise.pages import forms
from louise.pages import login as sessions
from louise.pages.i18n import page_language
from louise.ratelimit import rate_limited_page

bp = Blueprint("account", __name__, url_prefix="/account")

REGISTER_FIELDS = ("name", "email", "phone", "password")
PASSWORD_FIELDS = ("current_password", "new_password")

#: where each role starts after logging in (an area not built yet falls back to the start)
HOME_OF_ROLE = {
    Role.CUSTOMER: "pages.bookings.mine",
    Role.MERCHANT: "pages.shop.today",
    Role.DISPATCHER: "pages.dispatch.day",
    Role.ADMIN: "pages.dispatch.day",
    Role.COURIER: "pages.courier.route",
    Role.CITY: "pages.city.dashboard",
}


def home_of(user: User) -> str:
    from flask import current_app

    endpoint = HOME_OF_ROLE.get(user.role, "pages.home.start")
    if endpoint not in current_app.view_functions:
        endpoint = "pages.home.start"
    return url_for(endpoint)


@bp.route("/login", methods=["GET", "POST"])
@rate_limited_page("login_account", "login_ip")
def login() -> Any:
    """Log in with e-mail and password."""
    errors = forms.FormErrors()
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        try:
            user = service.authenticate(db.session(), email, request.form.get("password", ""))
        except DomainError as error:
            errors = forms.errors_of(error)
        else:
            sessions.sign_in(user)
            return redirect(sessions.safe_next(request.args.get("next"), home_of(user)))
    status = 401 if errors else 200
    return render_template("pages/account/login.html", errors=errors, email=email), status


@bp.post("/logout")
def logout() -> Any:
    """Log out (a form with its CSRF token: a link elsewhere cannot log you out)."""
    sessions.sign_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for("pages.home.start"))


@bp.route("/register", methods=["GET", "POST"])
@rate_limited_page("register_ip")
def register() -> Any:
    """Create a resident's account and log in."""
    values = forms.form_data(request.form, REGISTER_FIELDS)
    errors = forms.FormErrors()
    if request.method == "POST":
        data, errors = forms.load_form(RegisterSchema(), values | {"locale": page_language()})
        if not errors:
            data.pop("role", None)
            try:
                user = service.register(db.session(), service.AccountData(**data), Role.CUSTOMER)
            except DomainError as error:
                errors = forms.errors_of(error, REGISTER_FIELDS)
            else:
                sessions.sign_in(user)
                flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
                return redirect(sessions.safe_next(request.args.get("next"), home_of(user)))
    values.pop("password", None)
    status = 422 if errors else 200
    return render_template("pages/account/register.html", errors=errors, values=values), status


@bp.route("/password", methods=["GET", "POST"])
@sessions.login_required()
def password() -> Any:
    """Change the password; every other signed-in browser is logged out."""
    user = sessions.current_user()
    errors = forms.FormErrors()
    if request.method == "POST":
        try:
            service.change_password(
                db.session(),
                user,
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
            )
        except DomainError as error:
            errors = forms.errors_of(error, PASSWORD_FIELDS)
        else:
            sessions.sign_in(user)  # this browser stays in, with the new fingerprint
            flash(_("Your password is changed."), "success")
            return redirect(url_for("pages.account.password"))
    status = 422 if errors else 200
    return render_template("pages/account/password.html", errors=errors), status
