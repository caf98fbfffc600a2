"""The shop's month of impact: deliveries, round trips and CO2e avoided (docs/impact.md)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from louise.auth.guards import auth_required, current_user
from louise.extensions import db
from louise.impact import shops
from louise.impact.shop_schemas import ShopImpactQueryArgsSchema, ShopImpactSchema
from louise.web import document_errors

blp = Blueprint("shop_impact", __name__, description="A shop's impact: its month")


@blp.route("/merchants/<int:merchant_id>/impact")
class ShopImpact(MethodView):
    @auth_required(blp)
    @blp.arguments(ShopImpactQueryArgsSchema, location="query")
    @blp.response(200, ShopImpactSchema)
    @document_errors(blp, 403, 404)
    def get(self, args: dict[str, Any], merchant_id: int) -> Any:
        """A shop's month: deliveries, round trips and CO2e avoided (owner and staff)."""
        return shops.shop_month(db.session(), current_user(), merchant_id, args["month"])
