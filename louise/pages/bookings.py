"""The resident's bookings: the list, one booking (code, legs, history, calendar, tracking
link, PIN, CO2e line; cancel and reschedule while the rules allow it) and the public
tracking page.

Every rule comes from the booking services the API calls: who sees a booking
(``reading.get_booking``: someone else's is "not found"), whether it may still be cancelled
or moved (``changes.cancel_refusal`` / ``changes.reschedule_refusal``), the windows with
free places (``slots.list_slots``) and what a tracking link shows (``dispatch.tracking``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from louise import clock
from louise.auth.models import Role, User
from louise.bookings import changes, footprint, ics, reading, slots
from louise.bookings.models import Booking, Leg, LegPurpose, LegStatus, StatusChange, StopKind
from louise.bookings.notifications import tracking_link
from louise.bookings.runtime import get_context, get_reference
from louise.bookings.schemas import ReasonSchema, RescheduleSchema
from louise.dispatch import tracking
from louise.errors import DomainError, NotFound
from louise.extensions import db
from louise.pages import forms
from louise.pages.i18n import page_language
from louise.pages.login import current_user, login_required

bp = Blueprint("bookings", __name__)

RESCHEDULE_FIELDS = ("date", "window")
CANCEL_FIELDS = ("reason",)
#: how many bookings "My bookings" shows (upcoming ones are few: a resident may hold 3 a day)
LIST_LIMIT = 100

BOOKING_STATES = {
    "requested": _l("Requested"),
    "confirmed": _l("Confirmed"),
    "at_shop": _l("At the shop"),
    "ready": _l("Ready at the shop"),
    "returned": _l("Brought back"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}
LEG_STATES = {
    "scheduled": _l("Scheduled"),
    "picked_up": _l("Picked up"),
    "delivered": _l("Delivered"),
    "failed": _l("Not successful"),
    "cancelled": _l("Cancelled"),
}
TRACKING_STEPS = {"pickup": _l("Pickup"), "delivery": _l("Delivery")}
#: why a booking cannot be changed, in the resident's words (by the service's error code)
REFUSALS = {
    "leg_locked": _l(
        "Your booking is already on a courier's route. To change it, please call the hotline."
    ),
    "booking_not_cancellable": _l("This booking can no longer be cancelled."),
    "invalid_state": _l("This booking can no longer be moved to another time."),
}
RESIDENT_SIDE = (StopKind.RESIDENT, StopKind.POINT, StopKind.LOCKER)


@dataclass(frozen=True)
class Window:
    """A leg's time as the resident meets it: the pickup at their door, else the arrival."""

    day: date
    start: datetime
    end: datetime


def leg_name(leg: Leg) -> Any:
    """Pickup, to the shop, back to you … in words."""
    if leg.origin_kind == StopKind.RESIDENT:
        return _l("Pickup")
    if leg.dest_kind == StopKind.SHOP:
        return _l("To the shop")
    if leg.dest_kind == StopKind.HUB:
        return _l("To the City-Station")
    if leg.purpose == LegPurpose.RETURN:
        return _l("Back to you")
    return _l("Delivery")


def leg_window(leg: Leg) -> Window:
    if leg.origin_kind == StopKind.RESIDENT:
        return Window(leg.day, leg.pickup_start, leg.pickup_end)
    return Window(leg.day, leg.delivery_start, leg.delivery_end)


def next_window(booking: Booking) -> Window | None:
    """The booking's time in a list: its next open leg's, else its last leg's."""
    legs = [leg for leg in booking.legs if leg.status != LegStatus.CANCELLED]
    if not legs:
        legs = list(booking.legs)
    ahead = [leg for leg in legs if leg.status in reading.OPEN_LEGS]
    chosen = ahead or legs[-1:]
    return leg_window(chosen[0]) if chosen else None


def _current_window(booking: Booking) -> tuple[date, str | None] | None:
    """Day and window code of the pickup or delivery as booked now (the outbound legs)."""
    for leg in booking.legs:
        if leg.purpose != LegPurpose.RETURN and leg.status != LegStatus.CANCELLED:
            return leg.day, leg.window_code
    return None


def refusal_text(error: DomainError | None) -> str | None:
    if error is None:
        return None
    text = REFUSALS.get(error.code)
    return str(text) if text is not None else _(error.message)


def history_lines(
    booking: Booking, rows: list[StatusChange] | Any
) -> list[tuple[datetime, str, str | None]]:
    """Each history row as (time, what happened in words, the resident's reason if any)."""
    legs = {leg.id: leg for leg in booking.legs}
    lines: list[tuple[datetime, str, str | None]] = []
    for row in rows:
        leg = legs.get(row.leg_id) if row.leg_id is not None else None
        if leg is not None:
            state = LEG_STATES.get(row.to_status, row.to_status)
            text = _("%(leg)s: %(state)s", leg=leg_name(leg), state=state)
            if row.note == "rescheduled":
                text = _("%(leg)s: moved to another time", leg=leg_name(leg))
            lines.append((row.at, text, None))
        elif row.from_status == row.to_status:
            lines.append((row.at, _("Moved to another time"), None))
        else:
            state = BOOKING_STATES.get(row.to_status, row.to_status)
            reason = row.note if row.to_status == "cancelled" else None
            lines.append((row.at, str(state), reason))
    return lines


@bp.get("/bookings")
@login_required(Role.CUSTOMER)
def mine() -> Any:
    """My bookings: the upcoming ones first, then the past ones."""
    user = current_user()
    session = db.session()
    items, total = reading.list_bookings(session, user, limit=LIST_LIMIT)
    upcoming, past = reading.upcoming_and_past(items)
    return render_template(
        "pages/bookings/mine.html",
        upcoming=upcoming,
        past=past,
        total=total,
        shown=len(items),
        titles=reading.titles(session, items),
        states=BOOKING_STATES,
        when=next_window,
    )


def _own_booking(user: User, booking_id: int) -> Booking:
    """The booking if this resident may see it (``reading.get_booking``, as the API); any
    other is the plain "page does not exist", never a hint that it exists."""
    try:
        return reading.get_booking(db.session(), user, booking_id)
    except NotFound:
        abort(404)


def _slots(booking: Booking, user: User, day: date) -> tuple[list[dict[str, Any]], Any]:
    """The windows of ``day`` for this booking's offer at its address, or the refusal."""
    try:
        listed = slots.list_slots(
            db.session(),
            get_context(),
            day=day,
            offer_id=booking.offer_id,
            now=clock.now(),
            actor=user,
            lang=page_language(),
            lat=booking.lat,
            lon=booking.lon,
            reference=get_reference(),
        )
    except DomainError as error:
        return [], forms.errors_of(error, RESCHEDULE_FIELDS)
    return list(listed["slots"]), forms.FormErrors()


def _render_detail(
    booking: Booking,
    user: User,
    *,
    errors: forms.FormErrors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    session = db.session()
    values = dict(values or {})
    policy = get_context().policy
    today = policy.local(clock.now()).date()
    horizon = {
        "min": today.isoformat(),
        "max": (today + timedelta(policy.horizon_days)).isoformat(),
    }
    move_refusal = refusal_text(changes.reschedule_refusal(user, booking))
    windows: list[dict[str, Any]] = []
    slot_errors = forms.FormErrors()
    if move_refusal is None:
        day = values.get("date") or request.args.get("date")
        if not isinstance(day, date):
            try:
                day = date.fromisoformat(str(day or ""))
            except ValueError:
                current = next_window(booking)
                day = max(current.day, today) if current is not None else today
        values["date"] = day
        windows, slot_errors = _slots(booking, user, day)
        now_in = _current_window(booking)
        # the window it is booked in is no choice ("move" into it would take a second place)
        windows = [w for w in windows if (day, w["window"]) != now_in]
    errors = errors or forms.FormErrors()
    for field, messages in slot_errors.items():
        errors.setdefault(field, []).extend(messages)
    line = footprint.lines(session, [(booking.id, page_language())]).get(booking.id)
    what = reading.titles(session, [booking]).get(booking.id)
    page = render_template(
        "pages/bookings/detail.html",
        booking=booking,
        what=what,
        states=BOOKING_STATES,
        leg_states=LEG_STATES,
        leg_name=leg_name,
        leg_window=leg_window,
        # a provisional return replaced by the planned one when the shop marked the item ready
        # is bookkeeping, not a leg the resident waits for
        legs=[
            leg for leg in booking.legs if not (leg.tentative and leg.status == LegStatus.CANCELLED)
        ],
        history=history_lines(booking, reading.history(session, user, booking.id)),
        impact=line,
        pin=booking.pickup_pin if reading.may_see_pin(user, booking) else None,
        tracking_url=tracking_link(current_app.config["PUBLIC_URL"], booking.tracking_token),
        cancel_refusal=refusal_text(changes.cancel_refusal(user, booking)),
        move_refusal=move_refusal,
        windows=windows,
        errors=errors,
        values=values,
        horizon=horizon,
    )
    return page, status


@bp.get("/bookings/<int:booking_id>")
@login_required(Role.CUSTOMER)
def detail(booking_id: int) -> Any:
    """One booking: code, legs, history, calendar, tracking link, PIN, CO2e; cancel, move."""
    user = current_user()
    return _render_detail(_own_booking(user, booking_id), user)


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required(Role.CUSTOMER)
def cancel(booking_id: int) -> Any:
    """Cancel the booking (confirmed in its form), as ``POST /api/v1/bookings/{id}/cancel``."""
    user = current_user()
    session = db.session()
    values = forms.form_data(request.form, CANCEL_FIELDS)
    data, errors = forms.load_form(ReasonSchema(), values)
    if not errors:
        try:
            changes.cancel_booking(session, user, booking_id, data.get("reason"), clock.now())
        except DomainError as error:
            if error.status == 404:
                abort(404)
            session.rollback()
            errors = forms.errors_of(error, CANCEL_FIELDS)
        else:
            flash(_("Your booking is cancelled."), "success")
            return redirect(url_for("pages.bookings.detail", booking_id=booking_id), 303)
    booking = _own_booking(user, booking_id)
    return _render_detail(booking, user, errors=errors, values=values, status=422)


@bp.post("/bookings/<int:booking_id>/reschedule")
@login_required(Role.CUSTOMER)
def reschedule(booking_id: int) -> Any:
    """Move the pickup or delivery to another window, as the API's reschedule."""
    user = current_user()
    session = db.session()
    values = forms.form_data(request.form, RESCHEDULE_FIELDS)
    data, errors = forms.load_form(RescheduleSchema(), values | {"legs": "outbound"})
    if not errors:
        try:
            changes.reschedule(
                session,
                get_context(),
                user,
                booking_id,
                leg_group=data["legs"],
                day=data["date"],
                window=data["window"],
                now=clock.now(),
            )
        except DomainError as error:
            if error.status == 404:
                abort(404)
            session.rollback()
            errors = forms.errors_of(error, RESCHEDULE_FIELDS)
        else:
            flash(_("Your booking is moved to the new time."), "success")
            return redirect(url_for("pages.bookings.detail", booking_id=booking_id), 303)
    booking = _own_booking(user, booking_id)
    if data.get("date"):
        values["date"] = data["date"]
    return _render_detail(booking, user, errors=errors, values=values, status=422)


@bp.get("/bookings/<int:booking_id>/calendar.ics")
@login_required(Role.CUSTOMER)
def calendar(booking_id: int) -> Any:
    """The booking's windows as an iCalendar file, as ``GET /api/v1/bookings/{id}/calendar.ics``."""
    booking = _own_booking(current_user(), booking_id)
    body = ics.booking_calendar(booking, page_language(), clock.now())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{booking.code}.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/track/<string:token>")
def track(token: str) -> Any:
    """The public tracking page: state, ETA window, shop and day; nothing personal."""
    try:
        found = tracking.track(db.session(), token)
    except NotFound:
        abort(404)
    page = render_template(
        "pages/bookings/track.html",
        tracking=found,
        states=BOOKING_STATES,
        steps=TRACKING_STEPS,
        impact=footprint.line(
            found.impact.avoided_co2e_g if found.impact else None, page_language()
        ),
    )
    return page, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
