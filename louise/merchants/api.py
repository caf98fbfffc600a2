"""Shops, opening hours and offers; the public catalogue needs no login."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from louise.auth.guards import auth_required, current_user, optional_user
from louise.auth.models import Role
from louise.db import read_only
from louise.extensions import db
from louise.geo.runtime import get_geocoder, get_service_area
from louise.merchants import catalogue, offers, opening, shops
from louise.merchants.catalogue import CatalogueQuery
from louise.merchants.schemas import (
    MerchantCreateSchema,
    MerchantPageSchema,
    MerchantQueryArgsSchema,
    MerchantSchema,
    MerchantUpdateSchema,
    MerchantWithOffersSchema,
    OfferCreateSchema,
    OfferPageSchema,
    OfferQueryArgsSchema,
    OfferSchema,
    OfferUpdateSchema,
    OpeningExceptionSchema,
    OpeningHoursSchema,
)
from louise.web import (
    LOCATION,
    PaginationArgsSchema,
    created,
    document_errors,
    page_of,
    page_schema,
)

blp = Blueprint(
    "merchants",
    __name__,
    description="Shops, opening hours and offers. Reading the catalogue needs no login; "
    "only a shop's owner or an admin may change a shop or its offers.",
)

MANAGERS = (Role.MERCHANT, Role.ADMIN)


@blp.route("/merchants")
class Merchants(MethodView):
    @blp.arguments(MerchantQueryArgsSchema, location="query")
    @blp.response(200, MerchantPageSchema)
    @document_errors(blp, 401)  # a token, when sent, must be valid
    @read_only
    def get(self, args: dict[str, Any]) -> Any:
        """List public shops: filter by category, kind, text, opening time and distance."""
        return catalogue.list_merchants(db.session(), optional_user(), CatalogueQuery(**args))

    @auth_required(blp, *MANAGERS)
    @blp.arguments(MerchantCreateSchema)
    @blp.response(201, MerchantSchema, headers=LOCATION)
    @document_errors(blp, 409)
    def post(self, data: dict[str, Any]) -> Any:
        """Open a shop: a merchant for themselves (one), an admin for a merchant account."""
        shop = shops.create_merchant(
            db.session(), current_user(), data, geocoder=get_geocoder(), area=get_service_area()
        )
        return created(shop, "merchants.MerchantById", merchant_id=shop.id)


@blp.route("/merchants/mine")
class MyMerchants(MethodView):
    @auth_required(blp, Role.MERCHANT)
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, page_schema(MerchantWithOffersSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """The logged-in merchant's own shops with all their offers, inactive ones included."""
        return page_of(shops.list_my_merchants(db.session(), current_user()), args)


@blp.route("/merchants/<int:merchant_id>")
class MerchantById(MethodView):
    @blp.response(200, MerchantSchema)
    @document_errors(blp, 401, 404)
    @read_only
    def get(self, merchant_id: int) -> Any:
        """One public shop (its owner and admins also see it while it is hidden)."""
        return shops.get_merchant(db.session(), optional_user(), merchant_id)

    @auth_required(blp, *MANAGERS)
    @blp.arguments(MerchantUpdateSchema)
    @blp.response(200, MerchantSchema)
    @document_errors(blp, 404)
    def patch(self, changes: dict[str, Any], merchant_id: int) -> Any:
        """Change some fields of a shop (owner or admin)."""
        return shops.update_merchant(
            db.session(),
            current_user(),
            merchant_id,
            changes,
            geocoder=get_geocoder() if "address" in changes else None,
            area=get_service_area() if "address" in changes else None,
        )


@blp.route("/merchants/<int:merchant_id>/opening-hours")
class MerchantOpeningHours(MethodView):
    @auth_required(blp, *MANAGERS)
    @blp.arguments(OpeningHoursSchema)
    @blp.response(200, MerchantSchema)
    @document_errors(blp, 404)
    def put(self, weekly: dict[int, Any], merchant_id: int) -> Any:
        """Replace the weekly opening hours (local time; a missing weekday is closed)."""
        return opening.replace_opening_hours(db.session(), current_user(), merchant_id, weekly)


@blp.route("/merchants/<int:merchant_id>/exceptions")
class MerchantExceptions(MethodView):
    @auth_required(blp, *MANAGERS)
    @blp.arguments(OpeningExceptionSchema)
    @blp.response(201, OpeningExceptionSchema, headers=LOCATION)
    @document_errors(blp, 404, 409)
    def post(self, data: dict[str, Any], merchant_id: int) -> Any:
        """Add a date exception: a closed day or special hours (one per date)."""
        exception = opening.add_opening_exception(db.session(), current_user(), merchant_id, **data)
        return created(
            exception,
            "merchants.MerchantExceptionById",
            merchant_id=merchant_id,
            exception_id=exception.id,
        )


@blp.route("/merchants/<int:merchant_id>/exceptions/<int:exception_id>")
class MerchantExceptionById(MethodView):
    @auth_required(blp, *MANAGERS)
    @blp.response(204)
    @document_errors(blp, 404)
    def delete(self, merchant_id: int, exception_id: int) -> None:
        """Delete a date exception; the weekly hours apply again on that date."""
        opening.remove_opening_exception(db.session(), current_user(), merchant_id, exception_id)


@blp.route("/merchants/<int:merchant_id>/offers")
class MerchantOffers(MethodView):
    @blp.arguments(OfferQueryArgsSchema, location="query")
    @blp.response(200, OfferPageSchema)
    @document_errors(blp, 401, 404)
    @read_only
    def get(self, args: dict[str, Any], merchant_id: int) -> Any:
        """The public offers of one shop, filtered, sorted and paged like /offers."""
        return catalogue.list_merchant_offers(
            db.session(), optional_user(), merchant_id, CatalogueQuery(**args)
        )

    @auth_required(blp, *MANAGERS)
    @blp.arguments(OfferCreateSchema)
    @blp.response(201, OfferSchema, headers=LOCATION)
    @document_errors(blp, 404)
    def post(self, data: dict[str, Any], merchant_id: int) -> Any:
        """List a new offer in this shop (owner or admin)."""
        offer = offers.create_offer(db.session(), current_user(), merchant_id, data)
        return created(offer, "merchants.OfferById", offer_id=offer.id)


@blp.route("/offers")
class Offers(MethodView):
    @blp.arguments(OfferQueryArgsSchema, location="query")
    @blp.response(200, OfferPageSchema)
    @document_errors(blp, 401)  # a token, when sent, must be valid
    @read_only
    def get(self, args: dict[str, Any]) -> Any:
        """List public offers: filter by shop, category, kind, text, opening time and distance."""
        return catalogue.list_offers(db.session(), optional_user(), CatalogueQuery(**args))


@blp.route("/offers/<int:offer_id>")
class OfferById(MethodView):
    @blp.response(200, OfferSchema)
    @document_errors(blp, 401, 404)
    @read_only
    def get(self, offer_id: int) -> Any:
        """One public offer (its shop's owner and admins also see it while it is inactive)."""
        return offers.get_offer(db.session(), optional_user(), offer_id)

    @auth_required(blp, *MANAGERS)
    @blp.arguments(OfferUpdateSchema)
    @blp.response(200, OfferSchema)
    @document_errors(blp, 404)
    def patch(self, changes: dict[str, Any], offer_id: int) -> Any:
        """Change some fields of an offer (owner or admin); kind and shop are fixed."""
        return offers.update_offer(db.session(), current_user(), offer_id, changes)

    @auth_required(blp, *MANAGERS)
    @blp.response(204)
    @document_errors(blp, 404)
    def delete(self, offer_id: int) -> None:
        """Withdraw an offer (deactivate; bookings keep referring to it)."""
        offers.deactivate_offer(db.session(), current_user(), offer_id)
