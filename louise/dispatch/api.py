"""Planning: start a run for a day (202), follow it, read and publish the plan."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from louise import clock
from louise.auth.guards import auth_required, current_user
from louise.auth.models import STAFF
from louise.dispatch import adjust, service
from louise.dispatch.runtime import dispatch_plan, planning_lease
from louise.dispatch.schemas import (
    PlanAcceptedSchema,
    PlanCreateSchema,
    PlanMoveSchema,
    PlanQueryArgsSchema,
    PlanSchema,
    PlanSummarySchema,
)
from louise.extensions import db
from louise.web import LOCATION, created, document_errors, page_of, page_schema

blp = Blueprint("plans", __name__, description="Daily planning of routes")


@blp.route("/plans")
class Plans(MethodView):
    @auth_required(blp, *STAFF)
    @blp.arguments(PlanCreateSchema)
    @blp.response(202, PlanAcceptedSchema, headers=LOCATION)
    @document_errors(blp, 409)
    def post(self, data: dict[str, Any]) -> Any:
        """Plan a day in the background; answers 202 with the plan's id (409 if one runs)."""
        lease = planning_lease(current_app.config)
        plan = service.request_plan(db.session(), current_user(), data["date"], clock.now(), lease)
        runner = dispatch_plan(plan.id)
        db.session.refresh(plan)
        accepted = {
            "id": plan.id,
            "day": plan.day,
            "version": plan.version,
            "status": plan.status.value,
            "runner": runner,
        }
        return created(accepted, "plans.PlanById", plan_id=plan.id)

    @auth_required(blp, *STAFF)
    @blp.arguments(PlanQueryArgsSchema, location="query")
    @blp.response(200, page_schema(PlanSummarySchema))
    def get(self, args: dict[str, Any]) -> Any:
        """Plans, newest first (filter by date)."""
        lease = planning_lease(current_app.config)
        plans = service.list_plans(
            db.session(), current_user(), args.get("date"), clock.now(), lease
        )
        return page_of(plans, args)


@blp.route("/plans/<int:plan_id>")
class PlanById(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, PlanSchema)
    @document_errors(blp, 404)
    def get(self, plan_id: int) -> Any:
        """A plan: its status while it runs, then routes, stops with ETAs and unassigned legs."""
        lease = planning_lease(current_app.config)
        return service.get_plan(db.session(), current_user(), plan_id, clock.now(), lease)


@blp.route("/plans/<int:plan_id>/publish")
class PlanPublish(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, PlanSchema)
    @document_errors(blp, 404, 409)
    def post(self, plan_id: int) -> Any:
        """Publish a draft: legs are locked, couriers see their routes, residents are told."""
        return service.publish_plan(db.session(), current_user(), plan_id, clock.now())


@blp.route("/plans/<int:plan_id>/moves")
class PlanMoves(MethodView):
    @auth_required(blp, *STAFF)
    @blp.arguments(PlanMoveSchema)
    @blp.response(200, PlanSchema)
    @document_errors(blp, 404, 409)
    def post(self, data: dict[str, Any], plan_id: int) -> Any:
        """Move a leg of a draft to a route and position, checked by the validator; it stays
        there when the day is re-planned (409 ``move_refused`` with the reason)."""
        hub = (current_app.config["HUB_LAT"], current_app.config["HUB_LON"])
        return adjust.move_leg(
            db.session(),
            current_user(),
            plan_id,
            data["leg_id"],
            data["route_id"],
            data["position"],
            hub,
        )
