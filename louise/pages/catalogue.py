"""The catalogue: shops to search, filter by category, "open now" and "near me", and each
shop's page with its hours and offers. Readable without login, like the API's catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import get_day_names
from flask import Blueprint, g, render_template, request
from flask_babel import (
    format_currency,
    format_date,
    format_decimal,
    format_time,
    get_locale,
    ngettext,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from louise import clock
from louise.auth.models import Role, User
from louise.bookings.customers import saved_addresses
from louise.collation import sort_key
from louise.db import read_only
from louise.extensions import db
from louise.geo.distance import haversine_m
from louise.geo.models import Address
from louise.localtime import BUSINESS_TZ
from louise.merchants import catalogue
from louise.merchants import shops as shop_service
from louise.merchants.catalogue import CatalogueQuery, Hit, OfferCard, ShopOffers
from louise.merchants.models import Category, Merchant, Offer, OfferKind, ParcelSize
from louise.merchants.schemas import MerchantQueryArgsSchema
from louise.pages import forms

bp = Blueprint("catalogue", __name__)

SEARCH_FIELDS = ("q", "category")
#: shops on one page of the catalogue (a town's catalogue fits on one or two)
PAGE_SIZE = 50
#: offers named on a shop's card, and offers listed beside the shops for a text search
OFFERS_PER_CARD = 3
MATCHING_OFFERS = 10
#: how far ahead a shop's page lists its date exceptions
EXCEPTIONS_AHEAD = timedelta(days=90)

CATEGORY_LABELS: dict[Category, Any] = {
    Category.COBBLER: _l("Cobbler"),
    Category.LAUNDRY: _l("Laundry and dry cleaning"),
    Category.TAILOR: _l("Tailor"),
    Category.BOOKSHOP: _l("Bookshop"),
    Category.BIKE_SHOP: _l("Bike shop"),
    Category.GROCERY: _l("Grocery"),
    Category.FLORIST: _l("Florist"),
    Category.PHARMACY: _l("Pharmacy"),
    Category.BAKERY: _l("Bakery"),
    Category.ELECTRONICS: _l("Electronics repair"),
    Category.OTHER: _l("Other shops"),
}

KIND_LABELS: dict[OfferKind, Any] = {
    OfferKind.SERVICE: _l("Service: we collect it and bring it back"),
    OfferKind.PRODUCT: _l("Product: delivered to you"),
    OfferKind.COLLECTION: _l("Collection: we take it to the shop"),
}


@dataclass(frozen=True)
class ShopCard:
    """A shop as the catalogue lists it."""

    merchant: Merchant
    distance_m: float | None
    is_open: bool
    opening: str
    offers: ShopOffers | None


@bp.get("/shops")
@read_only
def shops() -> Any:
    """The shop catalogue: search, category, open now, near me."""
    session = db.session()
    values = forms.form_data(request.args, SEARCH_FIELDS)
    open_now = request.args.get("open") == "1"
    near_me = request.args.get("near") == "1"
    offset = _offset(request.args.get("offset"))
    args, errors = forms.load_form(MerchantQueryArgsSchema(), values)
    now = clock.now()
    home = _home_of(session, g.get("user"))
    page: catalogue.Page[Merchant] | None = None
    cards: list[ShopCard] = []
    matching: list[Hit[Any]] = []
    if not errors:
        category = Category(args["category"]) if "category" in args else None
        query = CatalogueQuery(
            category=category,
            q=args.get("q"),
            open_at=now if open_now else None,
            near=(home.lat, home.lon) if home is not None else None,
            sort="distance" if near_me and home is not None else "name",
            limit=PAGE_SIZE,
            offset=offset,
        )
        page = catalogue.list_merchants(session, None, query)
        previews = catalogue.offer_previews(
            session, (hit.item.id for hit in page.items), OFFERS_PER_CARD
        )
        cards = [_card(hit, now, previews.get(hit.item.id)) for hit in page.items]
        if query.q:
            # shops and offers are searched together: "Absätze" finds the cobbler's offer
            found = catalogue.list_offers(
                session,
                None,
                CatalogueQuery(
                    category=category,
                    q=query.q,
                    open_at=query.open_at,
                    near=query.near,
                    sort=query.sort,
                    limit=MATCHING_OFFERS,
                ),
            )
            matching = list(found.items)
    context = {
        "values": values,
        "errors": errors,
        "open_now": open_now,
        "near_me": near_me,
        "near_problem": _near_problem(g.get("user"), home) if near_me else None,
        "home": home,
        "page": page,
        "count_text": _count_text(page, near_me and home is not None),
        "cards": cards,
        "matching": matching,
        "categories": _category_choices(),
        "category_labels": CATEGORY_LABELS,
        "kind_labels": KIND_LABELS,
        "money": money,
        "distance": distance,
        "next_offset": (
            offset + PAGE_SIZE if page is not None and page.total > offset + PAGE_SIZE else None
        ),
    }
    status = 422 if errors else 200
    partial = request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "pages/catalogue/results.html" if partial else "pages/catalogue/shops.html"
    return render_template(template, partial=partial, **context), status, {"Vary": "HX-Request"}


@bp.get("/shops/<int:merchant_id>")
@read_only
def shop(merchant_id: int) -> Any:
    """A shop's page: address, opening hours, exceptions ahead and its offers."""
    session = db.session()
    viewer = g.get("user")
    merchant = shop_service.get_merchant(session, viewer, merchant_id)
    offers = catalogue.list_merchant_offers(session, viewer, merchant_id, CatalogueQuery(limit=100))
    now = clock.now()
    today = now.astimezone(BUSINESS_TZ).date()
    home = _home_of(session, viewer)
    weekly = merchant.weekly_hours()
    day_names = get_day_names("wide", locale=get_locale())
    week = [
        (day_names[weekday], [_span(i.opens, i.closes) for i in weekly.get(weekday, [])])
        for weekday in range(7)
    ]
    exceptions = [
        (
            format_date(e.day, "EEEE, d. MMMM y"),
            [_span(i.opens, i.closes) for i in e.intervals] if not e.closed else [],
            e.reason,
        )
        for e in merchant.opening_exceptions
        if today <= e.day <= today + EXCEPTIONS_AHEAD
    ]
    return render_template(
        "pages/catalogue/shop.html",
        merchant=merchant,
        category=CATEGORY_LABELS.get(merchant.category, merchant.category.value),
        is_open=merchant.is_open_at(now),
        opening=opening_text(merchant, now),
        week=week,
        today=today.weekday(),
        exceptions=exceptions,
        offers=[hit.item for hit in offers.items],
        distance_m=(
            haversine_m(home.lat, home.lon, merchant.lat, merchant.lon)
            if home is not None
            else None
        ),
        kind_labels=KIND_LABELS,
        money=money,
        distance=distance,
        turnaround=turnaround,
        parcel=parcel,
    )


def _count_text(page: catalogue.Page[Merchant] | None, nearest_first: bool) -> str:
    if page is None:
        return ""
    found = ngettext("%(num)d shop found", "%(num)d shops found", page.total)
    return _("%(found)s, nearest first", found=found) if nearest_first else found


def _offset(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), 10_000))
    except ValueError:
        return 0


def _home_of(session: Any, user: User | None) -> Address | None:
    """The resident's address: the one of their latest booking (none before the first)."""
    if user is None or user.role != Role.CUSTOMER:
        return None
    addresses = saved_addresses(session, user.id)
    return addresses[0] if addresses else None


def _near_problem(user: User | None, home: Address | None) -> str | None:
    if home is not None:
        return None
    return "anonymous" if user is None else "no_address"


def _category_choices() -> list[tuple[str, str]]:
    labelled = [(c.value, str(label)) for c, label in CATEGORY_LABELS.items()]
    return sorted(labelled, key=lambda item: sort_key(item[1]))


def _card(hit: Hit[Merchant], now: datetime, offers: ShopOffers | None) -> ShopCard:
    merchant = hit.item
    return ShopCard(
        merchant=merchant,
        distance_m=hit.distance_m,
        is_open=merchant.is_open_at(now),
        opening=opening_text(merchant, now),
        offers=offers,
    )


def _span(opens: Any, closes: Any) -> str:
    return _("%(opens)s–%(closes)s", opens=opens.strftime("%H:%M"), closes=closes.strftime("%H:%M"))


def opening_text(merchant: Merchant, now: datetime) -> str:
    """Beside "open now" or "closed": "until 13:00" or "opens tomorrow at 09:00"."""
    until = merchant.open_until(now)
    if until is not None:
        return _("until %(time)s", time=format_time(until, "HH:mm"))
    opens = merchant.next_opening(now)
    if opens is None:
        return _("not in the next two weeks")
    today = now.astimezone(BUSINESS_TZ).date()
    day: date = opens.date()
    time_text = format_time(opens, "HH:mm")
    if day == today:
        return _("opens today at %(time)s", time=time_text)
    if day == today + timedelta(days=1):
        return _("opens tomorrow at %(time)s", time=time_text)
    if day < today + timedelta(days=7):
        return _(
            "opens on %(weekday)s at %(time)s",
            weekday=format_date(day, "EEEE"),
            time=time_text,
        )
    return _(
        "opens on %(date)s at %(time)s",
        date=format_date(day, "EEEE, d. MMMM"),
        time=time_text,
    )


def money(cents: int) -> str:
    """Euros from integer cents, in the page's language: "18,90 €" (or "free")."""
    if cents == 0:
        return _("free")
    return str(format_currency(cents / 100, "EUR"))


def distance(metres: float | None) -> str:
    """ "650 m" or "1,2 km"."""
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(metres)s m", metres=format_decimal(round(metres / 10) * 10, "#,##0"))
    return _("%(km)s km", km=format_decimal(metres / 1000, "#,##0.0"))


def turnaround(offer: Offer | OfferCard) -> str:
    if offer.turnaround_days is None:
        return ""
    return ngettext("Back after %(num)d day", "Back after %(num)d days", offer.turnaround_days)


def parcel(offer: Offer | OfferCard) -> str:
    size = offer.parcel_size
    label = _("custom") if size == ParcelSize.CUSTOM else size.value
    return _(
        "Parcel %(size)s: up to %(litres)s l, %(kg)s kg",
        size=label,
        litres=format_decimal(offer.volume_l, "#,##0.#"),
        kg=format_decimal(offer.weight_kg, "#,##0.#"),
    )
