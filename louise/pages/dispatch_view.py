"""What the dispatcher's board shows, prepared for its templates: a plan's routes with their
stops, colours and map, the unassigned legs with their reasons in words, and what moved.

Nothing here decides anything: the plan, the move check and the reasons come from
:mod:`louise.dispatch`; this module only puts them into the page's words and shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings.models import Leg
from louise.dispatch.adjust import MoveRefused
from louise.dispatch.models import Plan, PlanRoute, PlanStatus, PlanStop, StopType
from louise.dispatch.sheets.svgmap import plan_svg
from louise.localtime import BUSINESS_TZ

#: why a leg is on no route, by the planner's reason code
REASONS: Mapping[str, Any] = {
    "no_shift": _l("Nobody works on this day: there is no shift on an active vehicle."),
    "no_vehicle_with_skills": _l("No vehicle that works then serves this district."),
    "over_capacity": _l("The parcel is larger than every vehicle that could take it."),
    "outside_time_windows": _l(
        "No vehicle can reach it within its window and still be back before its shift ends."
    ),
    "max_travel_time": _l("Serving it would take a vehicle beyond its longest ride."),
    "max_distance": _l("Serving it would take a vehicle beyond its longest distance."),
    "max_tasks": _l("Every suitable vehicle already has its most stops."),
    "fleet_saturated": _l(
        "It fits on its own, but there is no room left next to the other stops (time or space)."
    ),
    "no_solution_in_time": _l("The planner found no place for it within its time limit."),
}
STATUS_TEXT: Mapping[str, Any] = {
    "queued": _l("waiting to start"),
    "running": _l("planning"),
    "draft": _l("draft"),
    "published": _l("published"),
    "superseded": _l("replaced by a newer plan"),
    "failed": _l("failed"),
}
STOP_TEXT: Mapping[str, Any] = {
    "start": _l("Start"),
    "pickup": _l("Collect"),
    "delivery": _l("Hand over"),
    "break": _l("Break"),
    "end": _l("Back"),
}
ATTENTION_TEXT: Mapping[str, Any] = {
    "failed": _l("A stop failed"),
    "ready": _l("Ready to go back"),
    "unserved": _l("No shift serves it any more"),
    "rough_address": _l("Address found only roughly"),
}


def hhmm(moment: datetime | None) -> str:
    return f"{moment.astimezone(BUSINESS_TZ):%H:%M}" if moment is not None else ""


def reason_text(reason: str) -> str:
    text = REASONS.get(reason)
    return str(text) if text is not None else _("Another reason: %(code)s", code=reason)


def refusal_text(error: MoveRefused) -> str:
    """The validator's reason for refusing a move, in the page's language."""
    p = error.params
    if error.kind == "time_window" and "at" in p:
        return _(
            "Refused: booking %(code)s would be served at %(at)s, outside its window "
            "%(start)s–%(end)s. Nothing was changed.",
            code=p["code"],
            at=p["at"],
            start=p["start"],
            end=p["end"],
        )
    if error.kind == "time_window":
        return _("Refused: a stop would miss its time window. Nothing was changed.")
    if error.kind == "capacity":
        return _(
            "Refused: the parcels would not fit the vehicle of this route (%(capacity)s l). "
            "Nothing was changed.",
            capacity=p.get("capacity_l", "?"),
        )
    if error.kind == "shift":
        return _("Refused: the route would no longer fit its shift. Nothing was changed.")
    if error.kind == "district":
        return _(
            "Refused: this route's vehicle does not serve the leg's district. Nothing was changed."
        )
    return _("Refused: the move breaks the plan. Nothing was changed.")


@dataclass
class StopView:
    stop: PlanStop
    number: int | None  # the stop's number on the map (tasks only)
    text: str
    code: str  # the booking's code
    changed: str | None  # "route", "position", "new" or None
    locked: bool


@dataclass
class RouteView:
    route: PlanRoute
    index: int  # its colour
    name: str
    courier: str
    vehicle: str
    stops: list[StopView] = field(default_factory=list)
    tasks: int = 0
    km: float = 0.0
    max_load_l: float = 0.0
    capacity_l: float = 0.0

    @property
    def marked(self) -> bool:
        """Whether a stop of it moved or is locked by hand (its stops are shown open)."""
        return any(s.changed or s.locked for s in self.stops)


@dataclass
class UnassignedView:
    leg_id: int
    code: str
    reason: str
    window: str


@dataclass
class PlanView:
    plan: Plan
    status: str
    running: bool
    routes: list[RouteView]
    unassigned: list[UnassignedView]
    map_svg: str
    changed: int
    locks: int


def plan_view(session: Session, plan: Plan, changed: Mapping[int, str]) -> PlanView:
    """The plan as the board shows it (``changed``: legs that moved since the last plan)."""
    locks = {int(k) for k in ((plan.stats or {}).get("locks") or {})}
    routes: list[RouteView] = []
    for index, route in enumerate(plan.routes):
        courier = session.get(User, route.courier_id)
        vehicle = route.shift.vehicle if route.shift is not None else None
        view = RouteView(
            route=route,
            index=index,
            name=_("Route %(n)s", n=index + 1),
            courier=courier.name if courier is not None else "",
            vehicle=vehicle.name if vehicle is not None else "",
            km=route.distance_m / 1000,
            capacity_l=vehicle.capacity_l if vehicle is not None else 0.0,
        )
        number = 0
        for stop in route.stops:
            code = ""
            if stop.leg_id is not None:
                number += 1
                leg = session.get(Leg, stop.leg_id)
                code = leg.booking.code if leg is not None else ""
            view.stops.append(
                StopView(
                    stop=stop,
                    number=number if stop.leg_id is not None else None,
                    text=str(STOP_TEXT.get(stop.type.value, stop.type.value)),
                    code=code,
                    changed=changed.get(stop.leg_id) if stop.leg_id is not None else None,
                    locked=stop.leg_id in locks,
                )
            )
            view.max_load_l = max(view.max_load_l, stop.load_l)
        view.tasks = number
        routes.append(view)
    unassigned = []
    for item in plan.unassigned:
        leg = session.get(Leg, item.leg_id)
        unassigned.append(
            UnassignedView(
                leg_id=item.leg_id,
                code=leg.booking.code if leg is not None else "",
                reason=reason_text(item.reason),
                window=(
                    f"{hhmm(leg.pickup_start)}–{hhmm(leg.delivery_end)}" if leg is not None else ""
                ),
            )
        )
    return PlanView(
        plan=plan,
        status=str(STATUS_TEXT.get(plan.status.value, plan.status.value)),
        running=plan.status in (PlanStatus.QUEUED, PlanStatus.RUNNING),
        routes=routes,
        unassigned=unassigned,
        map_svg=_map(routes),
        changed=len(changed),
        locks=len(locks),
    )


def _map(routes: Sequence[RouteView]) -> str:
    config = current_app.config
    hub = (config["HUB_LAT"], config["HUB_LON"])
    drawn = []
    for view in routes:
        points, labels = [], []
        for item in view.stops:
            if item.stop.type == StopType.BREAK:
                continue  # a break has no place of its own
            points.append((item.stop.lat, item.stop.lon))
            labels.append(str(item.number) if item.number is not None else "")
        drawn.append((points, labels, f"{view.name}: {view.courier}"))
    if not drawn:
        return ""
    return plan_svg(drawn, hub=hub, title=_("Map of every route of the plan"))
