"""The shop's opening hours: the week (per weekday one or two intervals, or closed) and the
date exceptions (a closed day, or special hours on a date).

The API's schemas check the forms (``OpeningHoursSchema``, ``OpeningExceptionSchema``) and
the API's services change the hours (:mod:`louise.merchants.opening`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from louise.auth.models import Role
from louise.errors import DomainError
from louise.extensions import db
from louise.localtime import WEEKDAYS
from louise.merchants import opening
from louise.merchants.models import Merchant
from louise.merchants.schemas import OpeningExceptionSchema, OpeningHoursSchema
from louise.pages import forms
from louise.pages.login import current_user, login_required
from louise.pages.shop_common import bp, my_shop

DAY_NAMES = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
EXCEPTION_FIELDS = ("date", "kind", "opens", "closes", "reason")

#: the hours rules' messages that name the times (written as the service writes them)
_OVERLAP = re.compile(r"^Intervals (\S+)–(\S+) and (\S+)–(\S+) overlap\.$")
_BACKWARDS = re.compile(r"^Interval (\S+)–(\S+) must close after it opens\.$")


def _worded(message: str) -> str:
    """A message of the hours rules in the page's language (the times are in the text)."""
    found = _OVERLAP.match(message)
    if found:
        first, second = f"{found[1]}–{found[2]}", f"{found[3]}–{found[4]}"
        return _("%(first)s and %(second)s overlap.", first=first, second=second)
    found = _BACKWARDS.match(message)
    if found:
        return _("%(interval)s closes before it opens.", interval=f"{found[1]}–{found[2]}")
    return _(message)


def _leaves(node: Any) -> list[str]:
    if isinstance(node, Mapping):
        return [m for value in node.values() for m in _leaves(value)]
    if isinstance(node, list | tuple):
        return [m for value in node for m in _leaves(value)]
    return [str(node)]


def _by_top_field(messages: Any, rename: Mapping[str, str] | None = None) -> forms.FormErrors:
    """Nested schema messages ({"mon": {0: {"closes": [...]}}}) beside their top field."""
    errors = forms.FormErrors()
    for field, node in (messages or {}).items():
        if field in ("json", "form"):
            for name, messages_of in _by_top_field(node, rename).items():
                errors.setdefault(name, []).extend(messages_of)
            continue
        target = (rename or {}).get(str(field), str(field))
        for message in _leaves(node):
            errors.setdefault(target, []).append(_worded(message))
    return errors


def _week_values(shop: Merchant) -> dict[str, str]:
    values: dict[str, str] = {}
    weekly = shop.weekly_hours()
    for weekday, day in enumerate(WEEKDAYS):
        for n, interval in enumerate(sorted(weekly.get(weekday, []))[:2], start=1):
            values[f"{day}-{n}-opens"] = interval.opens.strftime("%H:%M")
            values[f"{day}-{n}-closes"] = interval.closes.strftime("%H:%M")
    return values


def _page(
    shop: Merchant,
    *,
    week: dict[str, str] | None = None,
    week_errors: forms.FormErrors | None = None,
    exception: dict[str, str] | None = None,
    exception_errors: forms.FormErrors | None = None,
) -> Any:
    refused = bool(week_errors) or bool(exception_errors)
    return render_template(
        "pages/shop/hours.html",
        shop=shop,
        weekdays=WEEKDAYS,
        day_names=DAY_NAMES,
        week=week if week is not None else _week_values(shop),
        week_errors=week_errors or forms.FormErrors(),
        exception=exception or {"kind": "closed"},
        exception_errors=exception_errors or forms.FormErrors(),
        exceptions=sorted(shop.opening_exceptions, key=lambda e: e.day),
    ), (422 if refused else 200)


@bp.route("/hours", methods=["GET", "POST"], endpoint="hours")
@login_required(Role.MERCHANT)
def hours_page() -> Any:
    """The weekly opening hours and the date exceptions; saving replaces the week."""
    shop = my_shop()
    if request.method == "GET":
        return _page(shop)
    week = {name: request.form.get(name, "").strip() for name in _week_fields()}
    body: dict[str, list[dict[str, str]]] = {}
    for day in WEEKDAYS:
        body[day] = []
        for n in (1, 2):
            interval = {
                part: week[f"{day}-{n}-{part}"]
                for part in ("opens", "closes")
                if week[f"{day}-{n}-{part}"]
            }
            if interval:
                body[day].append(interval)
    try:
        weekly = OpeningHoursSchema().load(body)
    except ValidationError as error:
        return _page(shop, week=week, week_errors=_by_top_field(error.messages))
    try:
        opening.replace_opening_hours(db.session(), current_user(), shop.id, weekly)
    except DomainError as error:
        db.session().rollback()
        return _page(shop, week=week, week_errors=_by_top_field(_fields_of(error)))
    flash(_("The opening hours are saved."), "success")
    return redirect(url_for("pages.shop.hours"))


def _week_fields() -> list[str]:
    return [f"{day}-{n}-{part}" for day in WEEKDAYS for n in (1, 2) for part in ("opens", "closes")]


def _fields_of(error: DomainError) -> dict[str, Any]:
    """A service's messages by field; the weekly ones come as ``opening_hours``: {day: …}."""
    fields = dict((error.fields or {}).get("json", error.fields or {}))
    fields.update(fields.pop("opening_hours", {}) or {})
    return fields or {forms.FORM: [error.message]}


@bp.post("/hours/exceptions")
@login_required(Role.MERCHANT)
def exception_add() -> Any:
    """Add a date exception: closed all day, or special hours."""
    shop = my_shop()
    values = forms.form_data(request.form, EXCEPTION_FIELDS)
    values.setdefault("kind", "closed")
    special = values["kind"] == "special"
    body: dict[str, Any] = {"closed": not special}
    if "date" in values:
        body["date"] = values["date"]
    if "reason" in values:
        body["reason"] = values["reason"]
    if special and ("opens" in values or "closes" in values):
        body["intervals"] = [{k: values[k] for k in ("opens", "closes") if k in values}]
    rename = {"intervals": "hours", "opens": "hours", "closes": "hours", "day": "date"}
    try:
        data = OpeningExceptionSchema().load(body)
    except ValidationError as error:
        return _page(shop, exception=values, exception_errors=_by_top_field(error.messages, rename))
    try:
        opening.add_opening_exception(db.session(), current_user(), shop.id, **data)
    except DomainError as error:
        db.session().rollback()
        errors = _by_top_field(_fields_of(error), rename)
        return _page(shop, exception=values, exception_errors=errors)
    flash(_("The exception on %(day)s is saved.", day=format_date(data["day"])), "success")
    return redirect(url_for("pages.shop.hours"))


@bp.post("/hours/exceptions/<int:exception_id>/delete")
@login_required(Role.MERCHANT)
def exception_remove(exception_id: int) -> Any:
    """Remove a date exception: the weekly hours apply on that date again."""
    shop = my_shop()
    opening.remove_opening_exception(db.session(), current_user(), shop.id, exception_id)
    flash(_("The exception is removed; the weekly hours apply on that date again."), "success")
    return redirect(url_for("pages.shop.hours"))
