"""Who may print which route sheet.

Rules:
- dispatchers and admins print any route of any plan (the route must belong to that plan);
- a courier prints only their own routes, and only once the plan is published: a draft may
  still change, and a sheet in a courier's pocket must not.
Anything else a courier asks for is "not found", so route ids of others are not revealed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from louise.auth.models import STAFF, Role, User
from louise.dispatch.models import PlanRoute, PlanStatus
from louise.errors import Forbidden, NotFound


def route_for_dispatcher(session: Session, actor: User, plan_id: int, route_id: int) -> PlanRoute:
    """The route ``route_id`` of plan ``plan_id``, for dispatchers and admins."""
    if actor.role not in STAFF:
        raise Forbidden("Only dispatchers print the sheets of any route.")
    route = session.get(PlanRoute, route_id)
    if route is None or route.plan_id != plan_id:
        raise NotFound(f"Plan {plan_id} has no route {route_id}.")
    return route


def route_for_courier(session: Session, actor: User, route_id: int) -> PlanRoute:
    """The courier's own route ``route_id`` of a published plan."""
    if actor.role != Role.COURIER:
        raise Forbidden("Only couriers have their own routes.")
    route = session.get(PlanRoute, route_id)
    if route is None or route.courier_id != actor.id or route.plan.status != PlanStatus.PUBLISHED:
        raise NotFound(f"You have no published route {route_id}.")
    return route
