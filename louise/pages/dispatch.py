"""The dispatcher's board: the day at a glance, planning it, adjusting and publishing the plan,
and its route sheets.

The views call the same services as the API: ``GET /api/v1/plans`` and ``POST /api/v1/plans``
(:mod:`louise.dispatch.service`, run by :func:`louise.dispatch.runtime.dispatch_plan`),
``POST /api/v1/plans/{id}/moves`` (:mod:`louise.dispatch.adjust`), ``POST
/api/v1/plans/{id}/publish``, the route sheets of ``/api/v1/plans/{id}/routes/{id}/sheet.*``
(:mod:`louise.dispatch.sheets`) and, for the day, :mod:`louise.dispatch.board` (capacity,
shifts, ``GET /api/v1/legs/unserved``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from louise import clock
from louise.auth.models import Role
from louise.bookings.runtime import get_context
from louise.dispatch import adjust, board, service
from louise.dispatch.models import Plan, PlanStatus
from louise.dispatch.runtime import dispatch_plan, planning_lease
from louise.dispatch.sheets import build_sheet, render_html, render_pdf, sheet_filename
from louise.dispatch.sheets.html import INLINE_STYLES
from louise.dispatch.sheets.i18n import language
from louise.dispatch.sheets.service import route_for_dispatcher
from louise.errors import DomainError
from louise.extensions import db
from louise.localtime import BUSINESS_TZ
from louise.pages import dispatch_view
from louise.pages.login import current_user, login_required
from louise.security import html_policy, sha256_source

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")
STAFF_ROLES = (Role.DISPATCHER, Role.ADMIN)


@bp.context_processor
def _dispatch_helpers() -> dict[str, Any]:
    return {"day_title": lambda day: format_date(day, "full")}


def _today() -> date:
    return clock.now().astimezone(BUSINESS_TZ).date()


def _day_of(text: str | None) -> date:
    """The day asked for (``?date=``), else the next service day after today."""
    if text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            abort(404)
    return get_context().policy.next_service_day(_today(), include=False)


def _hub() -> tuple[float, float]:
    return (current_app.config["HUB_LAT"], current_app.config["HUB_LON"])


def _shown_plan(plans: Any, plan_id: int | None) -> Plan | None:
    if plan_id is not None:
        return next((p for p in plans if p.id == plan_id), None)
    return plans[0] if plans else None


def _plan_context(plan: Plan | None, moved: int | None = None) -> dict[str, Any]:
    if plan is None:
        return {"view": None}
    session = db.session()
    changed: dict[int, str] = {}
    if plan.status in (PlanStatus.DRAFT, PlanStatus.PUBLISHED):
        changed = adjust.changed_legs(adjust.previous_plan(session, plan), plan)
    if moved is not None:
        changed.setdefault(moved, "route")
    return {"view": dispatch_view.plan_view(session, plan, changed)}


def _day_page(
    day: date,
    plan_id: int | None = None,
    *,
    status: int = 200,
    moved: int | None = None,
    error: str | None = None,
    move_errors: dict[int, str] | None = None,
    move_values: dict[str, Any] | None = None,
) -> Any:
    session = db.session()
    actor = current_user()
    lease = planning_lease(current_app.config)
    service.expire_lost_runs(session, clock.now(), lease, day)
    day_board = board.day_board(session, get_context(), actor, day, clock.now())
    plan = _shown_plan(day_board.plans, plan_id)
    page = render_template(
        "pages/dispatch/day.html",
        board=day_board,
        day=day,
        previous_day=date.fromordinal(day.toordinal() - 1),
        next_day=date.fromordinal(day.toordinal() + 1),
        plan=plan,
        error=error,
        move_errors=move_errors or {},
        move_values=move_values or {},
        texts=dispatch_view,
        hhmm=dispatch_view.hhmm,
        **_plan_context(plan, moved),
    )
    return page, status


@bp.get("")
@bp.get("/day")
@login_required(*STAFF_ROLES)
def day() -> Any:
    """The day at a glance: windows, shifts, bookings needing attention, and its plan."""
    plan_id = request.args.get("plan", type=int)
    moved = request.args.get("moved", type=int)
    return _day_page(_day_of(request.args.get("date")), plan_id, moved=moved)


def _start_run(day: date) -> Plan:
    lease = planning_lease(current_app.config)
    plan = service.request_plan(db.session(), current_user(), day, clock.now(), lease)
    dispatch_plan(plan.id)
    return plan


@bp.post("/plan")
@login_required(*STAFF_ROLES)
def plan_day() -> Any:
    """Start planning a day (as ``POST /api/v1/plans``); the board follows the run."""
    day = _day_of(request.form.get("date"))
    try:
        plan = _start_run(day)
    except service.PlanningInProgress:
        db.session().rollback()
        return _day_page(day, status=409, error=_("Planning for this day is running already."))
    return redirect(url_for("pages.dispatch.day", date=day.isoformat(), plan=plan.id))


@bp.get("/plans/<int:plan_id>/progress")
@login_required(*STAFF_ROLES)
def progress(plan_id: int) -> Any:
    """The plan's part of the board; htmx asks for it every second while the run runs."""
    session = db.session()
    plan = service.get_plan(
        session, current_user(), plan_id, clock.now(), planning_lease(current_app.config)
    )
    return render_template(
        "pages/dispatch/_plan.html",
        plan=plan,
        day=plan.day,
        move_errors={},
        move_values={},
        texts=dispatch_view,
        hhmm=dispatch_view.hhmm,
        **_plan_context(plan),
    )


@bp.post("/plans/<int:plan_id>/move")
@login_required(*STAFF_ROLES)
def move(plan_id: int) -> Any:
    """Move a leg to a route and position, or lock it (as ``POST /api/v1/plans/{id}/moves``)."""
    session = db.session()
    plan = service.get_plan(session, current_user(), plan_id)
    day = plan.day
    leg_id = request.form.get("leg_id", type=int)
    route_id = request.form.get("route_id", type=int)
    position_text = (request.form.get("position") or "").strip()
    values = {"leg_id": leg_id, "route_id": route_id, "position": position_text}
    if leg_id is None or route_id is None:
        abort(400)
    position: int | None = None
    if position_text:
        if not position_text.isdigit() or int(position_text) < 1:
            message = _("Enter a stop number from 1, or leave it empty.")
            return _day_page(
                day, plan_id, status=422, move_errors={leg_id: message}, move_values=values
            )
        position = int(position_text)
    try:
        adjust.move_leg(session, current_user(), plan_id, leg_id, route_id, position, _hub())
    except adjust.MoveRefused as refused:
        session.rollback()
        return _day_page(
            day,
            plan_id,
            status=422,
            move_errors={leg_id: dispatch_view.refusal_text(refused)},
            move_values=values,
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        session.rollback()
        message = _("This plan cannot be changed any more: plan the day again.")
        return _day_page(
            day, plan_id, status=422, move_errors={leg_id: message}, move_values=values
        )
    flash(_("The leg was moved and locked on its route."), "success")
    return redirect(
        url_for("pages.dispatch.day", date=day.isoformat(), plan=plan_id, moved=leg_id)
        + f"#leg-{leg_id}"
    )


@bp.post("/plans/<int:plan_id>/publish")
@login_required(*STAFF_ROLES)
def publish(plan_id: int) -> Any:
    """Publish the draft (as ``POST /api/v1/plans/{id}/publish``): couriers see their routes."""
    session = db.session()
    plan = service.get_plan(session, current_user(), plan_id)
    day = plan.day
    try:
        service.publish_plan(session, current_user(), plan_id, clock.now())
    except service.PlanStale:
        session.rollback()
        message = _("The fleet changed since this plan was made: plan the day again.")
        return _day_page(day, plan_id, status=409, error=message)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        session.rollback()
        return _day_page(day, plan_id, status=409, error=_("Only a draft can be published."))
    flash(_("The plan is published: couriers see their routes, residents are told."), "success")
    return redirect(url_for("pages.dispatch.day", date=day.isoformat(), plan=plan_id))


@bp.get("/plans/<int:plan_id>/sheets/<int:route_id>.<any(html, pdf):kind>")
@login_required(*STAFF_ROLES)
def sheet(plan_id: int, route_id: int, kind: str) -> Any:
    """A route's printable sheet, HTML or PDF (as the API's sheet endpoints)."""
    session = db.session()
    route = route_for_dispatcher(session, current_user(), plan_id, route_id)
    config = current_app.config
    hub = f"{config['HUB_NAME']}, {config['HUB_ADDRESS']}" if config.get("HUB_ADDRESS") else None
    lang = language(str(get_locale().language if get_locale() else "de"))
    built = build_sheet(session, route, lang, show_pins=False, hub_label=hub)
    if kind == "pdf":
        response = Response(render_pdf(built), mimetype="application/pdf")
    else:
        response = Response(render_html(built), mimetype="text/html")
        # the sheet's own policy: its one inline <style> by hash, no script, nothing loaded
        styles = tuple(sha256_source(css) for css in INLINE_STYLES)
        response.headers["Content-Security-Policy"] = html_policy(style_hashes=styles)
    response.headers["Content-Disposition"] = f'inline; filename="{sheet_filename(built, kind)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
