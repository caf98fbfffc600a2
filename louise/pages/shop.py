"""The shop's pages: today's items (coming in, at the shop, ready to go back) and the month's
figures here; offers in :mod:`.shop_offers`, opening hours in :mod:`.shop_hours`.

Receive, ready and reject call the same services as ``POST /api/v1/bookings/{id}/receive``,
``/ready`` and ``/reject`` (:mod:`louise.bookings.shop`); the month calls the same service as
``GET /api/v1/merchants/{id}/impact`` (:mod:`louise.impact.shops`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from louise import clock
from louise.auth.models import Role
from louise.bookings import shop as shop_service
from louise.bookings.models import Booking
from louise.bookings.runtime import get_context
from louise.bookings.schemas import RequiredReasonSchema
from louise.errors import DomainError
from louise.extensions import db
from louise.impact import shops as impact
from louise.impact.shop_schemas import ShopImpactQueryArgsSchema
from louise.pages import forms, shop_hours, shop_offers
from louise.pages.login import current_user, login_required
from louise.pages.shop_common import NoShop, bp, is_htmx, my_shop, today

__all__ = ["bp", "shop_hours", "shop_offers"]  # the offers' and hours' views join bp there


@bp.errorhandler(NoShop)
def _no_shop(error: NoShop) -> Any:
    return render_template("pages/shop/no_shop.html"), 404


# --------------------------------------------------------------------------- today


def _today_page(
    status: int = 200,
    *,
    notice: str | None = None,
    item_errors: dict[int, list[str]] | None = None,
    reject_errors: dict[int, forms.FormErrors] | None = None,
    reject_values: dict[int, str] | None = None,
) -> Any:
    board = shop_service.shop_board(db.session(), current_user())
    page = render_template(
        "pages/shop/today.html",
        board=board,
        notice=notice,
        item_errors=item_errors or {},
        reject_errors=reject_errors or {},
        reject_values=reject_values or {},
    )
    # htmx swaps only successful answers: a refusal shown on its item is still the page
    return page, 200 if is_htmx() else status


def _done(message: str) -> Any:
    if is_htmx():
        return _today_page(notice=message)
    flash(message, "success")
    return redirect(url_for("pages.shop.today"))


def _act(booking_id: int, action: Callable[[], Booking], message: str) -> Any:
    """Run a shop action on an item; a refusal (not a missing or foreign booking: those are
    error pages) becomes a message on that item."""
    try:
        booking = action()
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session().rollback()
        messages = _refusal(error)
        return _today_page(422, item_errors={booking_id: messages})
    return _done(message % {"code": booking.code})


#: a state the item has left already (a second tab, a double tap): "confirmed → ready …"
_MOVED_ON = re.compile(r"^\w+ → \w+ is not allowed$|^received already \(\w+\)$")


def _refusal(error: DomainError) -> list[str]:
    """A service's refusal in the shop's words: a state the item left already is said
    plainly, the rest as the service says it (translated, louise/pages/messages.py)."""
    refused = forms.errors_of(error)
    messages = []
    for found in refused.values():
        for message in found:
            if _MOVED_ON.match(message):
                message = _("Not possible any more: the item has moved on. The list is up to date.")
            if message not in messages:
                messages.append(message)
    return messages


@bp.get("/today", endpoint="today")
@login_required(Role.MERCHANT)
def today_items() -> Any:
    """The shop's items: coming in, at the shop, ready to go back."""
    return _today_page()


@bp.post("/items/<int:booking_id>/receive")
@login_required(Role.MERCHANT)
def receive(booking_id: int) -> Any:
    """Mark an item received at the shop."""
    return _act(
        booking_id,
        lambda: shop_service.confirm_receipt(db.session(), current_user(), booking_id, clock.now()),
        _("%(code)s is received: it is at the shop now."),
    )


@bp.post("/items/<int:booking_id>/ready")
@login_required(Role.MERCHANT)
def ready(booking_id: int) -> Any:
    """Mark a repair ready: the way back is scheduled."""
    return _act(
        booking_id,
        lambda: shop_service.mark_ready(
            db.session(), get_context(), current_user(), booking_id, clock.now()
        ),
        _("%(code)s is ready: the courier brings it back."),
    )


@bp.post("/items/<int:booking_id>/reject")
@login_required(Role.MERCHANT)
def reject(booking_id: int) -> Any:
    """Reject a booking, with a reason for the resident."""
    values = forms.form_data(request.form, ("reason",))
    data, errors = forms.load_form(RequiredReasonSchema(), values)
    if errors:
        return _today_page(
            422,
            reject_errors={booking_id: errors},
            reject_values={booking_id: values.get("reason", "")},
        )
    return _act(
        booking_id,
        lambda: shop_service.reject_booking(
            db.session(), current_user(), booking_id, data["reason"], clock.now()
        ),
        _("%(code)s is rejected; the resident is told why."),
    )


# --------------------------------------------------------------------------- the month


def _month_arg() -> tuple[date, forms.FormErrors]:
    current = today().replace(day=1)
    if "month" not in request.args:
        return current, forms.FormErrors()
    data, errors = forms.load_form(
        ShopImpactQueryArgsSchema(), forms.form_data(request.args, ("month",))
    )
    return (data["month"] if not errors else current), errors


@bp.get("/month")
@login_required(Role.MERCHANT)
def month() -> Any:
    """The shop's month: deliveries, round trips and CO2e avoided."""
    shop = my_shop()
    first, errors = _month_arg()
    figures = impact.shop_month(db.session(), current_user(), shop.id, first)
    current = today().replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render_template(
        "pages/shop/month.html",
        shop=shop,
        figures=figures,
        first=first,
        errors=errors,
        is_future=first > current,
        is_current=first == current,
        previous=previous,
        following=following if following <= current else None,
    ), (422 if errors else 200)
