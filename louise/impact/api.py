"""The city's aggregate view: KPIs and impact of a date range, as JSON or as CSV (open data).

Who: the ``city`` role, dispatchers and admins (``AGGREGATE_READERS``); not anonymous — the
city publishes the CSV it downloads (docs/impact.md, "Who may read")."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from louise.auth.guards import auth_required
from louise.auth.models import AGGREGATE_READERS
from louise.extensions import db
from louise.impact.kpis import GroupBy, kpis
from louise.impact.opendata import report_csv, report_dict
from louise.impact.schemas import ImpactQueryArgsSchema, ImpactSchema

blp = Blueprint("impact", __name__, description="Impact and service KPIs (aggregates only)")

CSV = "text/csv"
_CSV_DOC = {
    200: {
        "content": {
            CSV: {
                "schema": {
                    "type": "string",
                    "description": "The same groups as the JSON, one row each, a header row "
                    "first and the total last (RFC 4180, UTF-8).",
                }
            }
        }
    }
}


def _wants_csv(args: dict[str, Any]) -> bool:
    if args.get("format"):
        return bool(args["format"] == "csv")
    return request.accept_mimetypes.best_match(["application/json", CSV]) == CSV


@blp.route("/impact")
class Impact(MethodView):
    @auth_required(blp, *AGGREGATE_READERS)
    @blp.doc(responses=_CSV_DOC)
    @blp.arguments(ImpactQueryArgsSchema, location="query")
    @blp.response(200, ImpactSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """KPIs and km/CO2e avoided per day, week, month, district or shop (JSON or CSV)."""
        report = kpis(db.session(), args["from_"], args["to"], GroupBy(args["group_by"]))
        if not _wants_csv(args):
            return report_dict(report)
        name = f"louise-impact-{report.first}-{report.last}-{report.group_by.value}.csv"
        response = Response(report_csv(report), mimetype=CSV)  # charset=utf-8 added
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Vary"] = "Accept, Authorization"
        return response
