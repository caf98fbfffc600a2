"""What the shop's pages share: the blueprint, the signed-in merchant's shop, money in euros,
days and windows in words, and how a page answers an htmx request.

The views are in :mod:`louise.pages.shop` (today, the month), :mod:`louise.pages.shop_offers`
and :mod:`louise.pages.shop_hours`; all of them are merchants' pages, and every shop sees
only its own items, offers and hours (the services decide, as for the API).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.dates import format_skeleton
from flask import Blueprint, request
from flask_babel import format_currency, format_decimal, format_time, get_locale
from flask_babel import gettext as _

from louise import clock
from louise.extensions import db
from louise.localtime import BUSINESS_TZ
from louise.merchants import shops
from louise.merchants.models import Merchant
from louise.pages.login import current_user

bp = Blueprint("shop", __name__, url_prefix="/shop")

_EUROS = re.compile(r"^-?\d+([.,]\d{1,2})?$")


class NoShop(Exception):
    """The merchant's account has no shop yet (an admin opens it)."""


def my_shop() -> Merchant:
    """The signed-in merchant's shop (their first, should an admin have opened several)."""
    mine = shops.list_my_merchants(db.session(), current_user())
    if not mine:
        raise NoShop()
    return mine[0]


def today() -> date:
    return clock.now().astimezone(BUSINESS_TZ).date()


def euros(cents: int | None) -> str:
    """Cents as the page's language writes euros: "12,50 €" in German."""
    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, "EUR")


def euros_typed(cents: int | None) -> str:
    """Cents as a shopkeeper types them into the price field: "12,50"."""
    if cents is None:
        return ""
    text = f"{cents / 100:.2f}"
    return text.replace(".", ",") if str(get_locale()) == "de" else text


def parse_euros(text: str) -> int | None:
    """A typed price in euros ("12,50", "12.50", "12 €", "-3") as cents; None when it is
    not a price at all. Whether the amount is allowed is the offer schema's rule."""
    cleaned = text.replace("€", "").replace("\u00a0", "").replace(" ", "")
    if not _EUROS.match(cleaned):
        return None
    try:
        amount = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None
    return int(amount * 100)


def day_label(day: date | None) -> str:
    """ "today", "tomorrow" or a short weekday and date in the page's language."""
    if day is None:
        return ""
    now = today()
    if day == now:
        return _("today")
    if day == now + timedelta(days=1):
        return _("tomorrow")
    return str(format_skeleton("MMMEd", day, locale=get_locale()))


def window_label(start: datetime | None, end: datetime | None) -> str:
    """A time window in local time: "today, 17:30–19:00"."""
    if start is None or end is None:
        return ""
    local = start.astimezone(BUSINESS_TZ)
    return _(
        "%(day)s, %(start)s–%(end)s",
        day=day_label(local.date()),
        start=format_time(start, "HH:mm"),
        end=format_time(end, "HH:mm"),
    )


def number(value: float, pattern: str | None = None) -> str:
    """A number as the page's language writes it ("1.234,5" in German)."""
    return str(format_decimal(value, format=pattern))


def is_htmx() -> bool:
    """An htmx request (a row updated in place) rather than a plain form post."""
    return request.headers.get("HX-Request") == "true"


@bp.context_processor
def _shop_helpers() -> dict[str, Any]:
    return {
        "euros": euros,
        "number": number,
        "day_label": day_label,
        "window_label": window_label,
    }
