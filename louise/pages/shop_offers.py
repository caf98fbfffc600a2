"""The shop's offers: the list, a new offer, editing one, pausing and resuming.

The API's offer schemas check the form (:mod:`louise.merchants.schemas`) and the API's offer
services change it (:mod:`louise.merchants.offers`); the owner check is the API's
(:func:`louise.merchants.access.offer_for_write`). The page only turns typed euros into cents.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from werkzeug.datastructures import MultiDict

from louise.auth.models import Role
from louise.errors import DomainError
from louise.extensions import db
from louise.merchants import access, offers
from louise.merchants.models import Offer, OfferKind, ParcelSize
from louise.merchants.schemas import MAX_PRICE_CENTS, OfferCreateSchema, OfferUpdateSchema
from louise.pages import forms
from louise.pages.login import current_user, login_required
from louise.pages.shop_common import bp, euros, euros_typed, my_shop, parse_euros

FIELDS = (
    "kind",
    "title",
    "description",
    "price",
    "parcel_size",
    "volume_l",
    "weight_kg",
    "turnaround_days",
    "daily_capacity",
)
_INTEGERS = ("turnaround_days", "daily_capacity")
_DECIMALS = ("volume_l", "weight_kg")

KIND_LABELS = {
    OfferKind.SERVICE.value: _l("Service (round trip)"),
    OfferKind.PRODUCT.value: _l("Product (delivery)"),
    OfferKind.COLLECTION.value: _l("Collection (to the shop)"),
}
KIND_NAMES = {
    OfferKind.SERVICE.value: _l("Service"),
    OfferKind.PRODUCT.value: _l("Product"),
    OfferKind.COLLECTION.value: _l("Collection"),
}
SIZE_LABELS = {
    ParcelSize.S.value: _l("S (up to 10 l, 3 kg)"),
    ParcelSize.M.value: _l("M (up to 25 l, 8 kg)"),
    ParcelSize.L.value: _l("L (up to 50 l, 15 kg)"),
    ParcelSize.XL.value: _l("XL (up to 100 l, 30 kg)"),
    ParcelSize.CUSTOM.value: _l("Other size (litres and kilograms below)"),
}


def _schema_data(
    values: dict[str, str], *, editing: bool
) -> tuple[dict[str, Any], forms.FormErrors]:
    """The typed form as the API's body: euros as cents, numbers as numbers. What is not a
    number at all is left as typed, so the schema names it beside its field."""
    errors = forms.FormErrors()
    data: dict[str, Any] = {k: values[k] for k in ("kind", "title", "parcel_size") if k in values}
    data["description"] = values.get("description", "")
    if "price" in values:
        cents = parse_euros(values["price"])
        if cents is None:
            errors.add("price", "Enter the price in euros, for example 12,50.")
        else:
            data["price_cents"] = cents
    for name in _INTEGERS:
        raw = values.get(name)
        if raw is None:
            if editing:
                data[name] = None  # an emptied field clears the value
            continue
        try:
            data[name] = int(raw)
        except ValueError:
            data[name] = raw
    if values.get("parcel_size") == ParcelSize.CUSTOM.value:
        for name in _DECIMALS:
            if name in values:
                data[name] = values[name].replace(",", ".")
    return data, errors


def _load(
    schema: Schema, form: MultiDict[str, str], *, editing: bool
) -> tuple[dict[str, Any], dict[str, str], forms.FormErrors]:
    values = forms.form_data(form, FIELDS)
    data, errors = _schema_data(values, editing=editing)
    if not editing:
        data["active"] = form.get("active") == "on"
    loaded, schema_errors = forms.load_form(schema, data)
    for field, messages in _as_form_fields(schema_errors, data).items():
        for message in messages:
            errors.setdefault(field, []).append(message)
    return loaded, values, errors


def _as_form_fields(errors: forms.FormErrors, data: dict[str, Any]) -> forms.FormErrors:
    """The schema speaks of ``price_cents``; the form has a price in euros."""
    moved = forms.FormErrors()
    for field, messages in errors.items():
        if field == "price_cents" and isinstance(data.get("price_cents"), int):
            moved.add("price", _price_range())
        elif field == "price_cents":
            moved.setdefault("price", []).extend(messages)
        else:
            moved.setdefault(field, []).extend(messages)
    return moved


def _price_range() -> str:
    return _(
        "The price must be from %(low)s to %(high)s.", low=euros(0), high=euros(MAX_PRICE_CENTS)
    )


def _refused(error: DomainError) -> forms.FormErrors:
    return _as_form_fields(forms.errors_of(error, (*FIELDS, "price_cents")), {})


def _form_page(offer: Offer | None, values: dict[str, str], errors: forms.FormErrors) -> Any:
    return render_template(
        "pages/shop/offer_form.html",
        offer=offer,
        values=values,
        errors=errors,
        kinds=KIND_LABELS,
        sizes=SIZE_LABELS,
    ), (422 if errors else 200)


def _values_of(offer: Offer) -> dict[str, str]:
    custom = offer.parcel_size == ParcelSize.CUSTOM
    return {
        "kind": offer.kind.value,
        "title": offer.title,
        "description": offer.description or "",
        "price": euros_typed(offer.price_cents),
        "parcel_size": offer.parcel_size.value,
        "volume_l": f"{offer.volume_l:g}" if custom else "",
        "weight_kg": f"{offer.weight_kg:g}" if custom else "",
        "turnaround_days": str(offer.turnaround_days or ""),
        "daily_capacity": str(offer.daily_capacity or ""),
    }


@bp.get("/offers", endpoint="offers")
@login_required(Role.MERCHANT)
def offers_list() -> Any:
    """The shop's offers with price, size, turnaround, capacity and whether they are listed."""
    shop = my_shop()
    listed = sorted(shop.offers, key=lambda o: (not o.active, o.title.casefold(), o.id))
    return render_template(
        "pages/shop/offers.html", shop=shop, offers=listed, kinds=KIND_NAMES, sizes=SIZE_LABELS
    )


@bp.route("/offers/new", methods=["GET", "POST"])
@login_required(Role.MERCHANT)
def offer_new() -> Any:
    """List a new offer in the shop."""
    shop = my_shop()
    if request.method == "GET":
        fresh = {"kind": OfferKind.SERVICE.value, "parcel_size": ParcelSize.S.value}
        return _form_page(None, fresh, forms.FormErrors())
    data, values, errors = _load(OfferCreateSchema(), request.form, editing=False)
    if not errors:
        try:
            offer = offers.create_offer(db.session(), current_user(), shop.id, data)
        except DomainError as error:
            db.session().rollback()
            errors = _refused(error)
        else:
            flash(_("“%(title)s” is listed.", title=offer.title), "success")
            return redirect(url_for("pages.shop.offers"))
    values["active"] = "on" if request.form.get("active") == "on" else ""
    return _form_page(None, values, errors)


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@login_required(Role.MERCHANT)
def offer_edit(offer_id: int) -> Any:
    """Change an offer of the shop (its kind stays)."""
    offer = access.offer_for_write(db.session(), current_user(), offer_id)
    if request.method == "GET":
        return _form_page(offer, _values_of(offer), forms.FormErrors())
    form = request.form.copy()
    form.pop("kind", None)  # the kind of an offer never changes: bookings depend on it
    data, values, errors = _load(OfferUpdateSchema(), form, editing=True)
    values["kind"] = offer.kind.value
    if not errors:
        try:
            offers.update_offer(db.session(), current_user(), offer_id, data)
        except DomainError as error:
            db.session().rollback()
            errors = _refused(error)
        else:
            flash(_("“%(title)s” is saved.", title=offer.title), "success")
            return redirect(url_for("pages.shop.offers"))
    return _form_page(offer, values, errors)


@bp.post("/offers/<int:offer_id>/active")
@login_required(Role.MERCHANT)
def offer_active(offer_id: int) -> Any:
    """Pause an offer (residents no longer see it) or list it again."""
    active = request.form.get("active") == "1"
    offer = offers.update_offer(db.session(), current_user(), offer_id, {"active": active})
    if active:
        flash(_("“%(title)s” is listed again.", title=offer.title), "success")
    else:
        flash(_("“%(title)s” is paused: residents cannot book it.", title=offer.title), "success")
    return redirect(url_for("pages.shop.offers"))
