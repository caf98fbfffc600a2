"""Address check: geocode an address (or accept coordinates) and store it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from louise.extensions import db
from louise.geo import service
from louise.geo.runtime import get_geocoder, get_service_area
from louise.geo.schemas import AddressInputSchema, AddressSchema
from louise.web import document_errors

blp = Blueprint("geo", __name__, description="Addresses and geocoding")


@blp.route("/geocode")
class Geocode(MethodView):
    @blp.arguments(AddressInputSchema)
    @blp.response(200, AddressSchema)
    @document_errors(blp, 413, 422, 503)
    def post(self, data: dict[str, Any]) -> Any:
        """Check an address: find it (or take the given coordinates) inside the service area.

        Public, for sign-up forms; bodies are size-limited (MAX_BODY_BYTES). Each distinct
        address is geocoded once and stored; the answer is the stored address.
        """
        return service.check_address(db.session(), get_geocoder(), get_service_area(), **data)
