"""The courier's phone screen: today's route with the next stop large, and what the courier
records at a stop (arrived, completed with a proof, failed with a reason).

The views call the courier API's services (:mod:`louise.dispatch.courier`): a courier sees and
records only their own published routes. Every action carries an idempotency key made when it
is taken (``louise/static/pages/courier.js`` keeps actions taken offline and sends them later):
a repeated send records once and answers the first result.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_date, format_time, gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from louise import clock
from louise.auth.models import Role
from louise.bookings import idempotency
from louise.dispatch.courier import cards, stops
from louise.dispatch.courier.common import OPEN, REASONS, Proof
from louise.dispatch.courier_schemas import (
    CourierStopSchema,
    StopCompleteSchema,
    StopFailSchema,
    StopFailureSchema,
)
from louise.dispatch.models import StopType
from louise.dispatch.runtime import MULTIPART_OVERHEAD, courier_settings
from louise.errors import DomainError
from louise.extensions import db
from louise.localtime import BUSINESS_TZ
from louise.pages import forms
from louise.pages.login import current_user, login_required

bp = Blueprint("courier", __name__, url_prefix="/courier")

#: The failure reasons as the select shows them (the service's slugs are the values).
REASON_LABELS = {
    "not_at_home": _l("Nobody at home"),
    "refused": _l("Refused"),
    "no_access": _l("No access"),
    "damaged": _l("Damaged"),
}
STOP_TYPE_LABELS = {
    "start": _l("Start at the hub"),
    "pickup": _l("Collect"),
    "delivery": _l("Hand over"),
    "break": _l("Break"),
    "end": _l("Back at the hub"),
}
STATUS_LABELS = {
    "pending": _l("to do"),
    "arrived": _l("arrived"),
    "completed": _l("done"),
    "failed": _l("failed"),
    "skipped": _l("off the route"),
}
PLACE_LABELS = {
    "resident": _l("door"),
    "shop": _l("shop"),
    "hub": _l("hub"),
    "point": _l("LOUISE Point"),
    "locker": _l("parcel locker"),
}
PROOF_FIELDS = ("photo", "signature", "code", "_form")
FAIL_FIELDS = ("reason", "note", "_form")


def _day_of_request() -> tuple[date, bool]:
    """The day asked for (``?date=YYYY-MM-DD``), else today; and whether the date was bad."""
    today = clock.now().astimezone(BUSINESS_TZ).date()
    asked = request.args.get("date", "").strip()
    if not asked:
        return today, False
    try:
        return date.fromisoformat(asked), False
    except ValueError:
        return today, True


def _next_stop_id(day: cards.CourierDay) -> int | None:
    """The first stop still to do: shown large, with its actions open."""
    for route in day.routes:
        for card in route.stops:
            if card.stop.status in OPEN:
                return int(card.stop.id)
    return None


def _render(
    day: date,
    outcome: dict[str, Any] | None = None,
    errors: forms.FormErrors | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
    bad_date: bool = False,
) -> Any:
    courier_day = cards.routes_of_day(db.session(), current_user(), day)
    today = clock.now().astimezone(BUSINESS_TZ).date()
    return (
        render_template(
            "pages/courier/route.html",
            day=day,
            today=today,
            courier_day=courier_day,
            next_stop_id=_next_stop_id(courier_day),
            outcome=outcome,
            errors=errors or forms.FormErrors(),
            typed=typed or {},
            bad_date=bad_date,
            reasons=[(slug, REASON_LABELS.get(slug, slug)) for slug in REASONS],
            new_key=lambda: str(uuid.uuid4()),
            **_helpers(),
        ),
        status,
    )


def _helpers() -> dict[str, Any]:
    return {
        "stop_type_label": lambda kind: STOP_TYPE_LABELS.get(kind, kind),
        "status_label": lambda kind: STATUS_LABELS.get(kind, kind),
        "reason_label": lambda slug: REASON_LABELS.get(slug or "", slug or ""),
        "place_label": lambda kind: PLACE_LABELS.get(kind or "", kind or ""),
        "time_of": _time_of,
        "day_text": lambda d: format_date(d, "full"),
        "geo_link": _geo_link,
        "osm_link": _osm_link,
        "tel_link": lambda phone: "tel:" + "".join(c for c in phone if c.isdigit() or c == "+"),
        "is_open": lambda card: card.stop.status in OPEN,
        "is_leg_stop": lambda card: card.stop.type in (StopType.PICKUP, StopType.DELIVERY),
    }


def _time_of(moment: datetime | None) -> str:
    return format_time(moment, "HH:mm") if moment is not None else ""


def _geo_link(card: cards.StopCard) -> str:
    """Opens the phone's navigation app at the stop (Android ``geo:``; iOS offers Maps)."""
    from urllib.parse import quote

    stop = card.stop
    return f"geo:{stop.lat:.6f},{stop.lon:.6f}?q={stop.lat:.6f},{stop.lon:.6f}({quote(stop.label)})"


def _osm_link(card: cards.StopCard) -> str:
    """Directions on openstreetmap.org: a link for phones without a ``geo:`` handler."""
    stop = card.stop
    return (
        "https://www.openstreetmap.org/directions?engine=fossgis_osrm_bike"
        f"&route=%3B{stop.lat:.6f}%2C{stop.lon:.6f}#map=17/{stop.lat:.6f}/{stop.lon:.6f}"
    )


@bp.get("")
@login_required(Role.COURIER)
def route() -> Any:
    """My route of today (or ``?date=``), the next stop large."""
    day, bad = _day_of_request()
    return _render(day, bad_date=bad, status=422 if bad else 200)


def _perform(stop_id: int, body: dict[str, Any], work: Any) -> tuple[Any, bool]:
    """Run ``work`` once per the form's idempotency key (a repeat answers the stored result)."""
    user = current_user()
    session = db.session()
    key = request.form.get("idempotency_key", "").strip() or str(uuid.uuid4())
    stale = timedelta(seconds=current_app.config["IDEMPOTENCY_STALE_SECONDS"])
    try:
        answer, replayed = idempotency.perform_once(
            session,
            user.id,
            key,
            idempotency.fingerprint("POST", request.path, body),
            work,
            clock.now,
            stale_after=stale,
        )
    except stops.StopWithdrawn:
        # Inside the idempotent transaction the service's "skipped" was rolled back with the
        # refusal: let it record that once more on its own (it raises the same refusal).
        work()
        raise
    return answer.body, replayed


def _answer_error(day: date, error: DomainError, fields: tuple[str, ...], stop_id: int) -> Any:
    if error.status in (403, 404):
        raise error  # another courier's stop, or none: the HTML error page
    errors = forms.errors_of(error, fields)
    typed = {k: v for k, v in request.form.items() if k in ("code", "reason", "note")}
    typed["stop_id"] = str(stop_id)
    outcome = {"kind": "refused", "stop_id": stop_id, "message": gettext(error.message)}
    status = 409 if error.status == 409 else 422
    return _render(day, outcome=outcome, errors=errors, typed=typed, status=status)


def _first_message(errors: forms.FormErrors) -> str:
    for messages in errors.values():
        if messages:
            return str(messages[0])
    return _("Not recorded.")


def _form_day() -> date:
    try:
        return date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        return clock.now().astimezone(BUSINESS_TZ).date()


@bp.post("/stops/<int:stop_id>/arrived")
@login_required(Role.COURIER)
def arrived(stop_id: int) -> Any:
    """Record that I arrived at a stop."""
    user, session, day = current_user(), db.session(), _form_day()

    def work() -> tuple[int, Any]:
        card = stops.record_arrival(session, user, stop_id, clock.now())
        return 200, CourierStopSchema().dump(card)

    try:
        body, replayed = _perform(stop_id, {}, work)
    except DomainError as error:
        return _answer_error(day, error, ("_form",), stop_id)
    outcome = {"kind": "arrived", "stop": body, "replayed": replayed}
    return _render(day, outcome=outcome)


def _proof_of_form() -> tuple[Proof | None, dict[str, Any], forms.FormErrors]:
    """The proof the form carries: a photo, a drawn signature (a PNG file) or a typed PIN or
    booking code (six digits are a PIN); with the body that fingerprints the request."""
    for kind in ("photo", "signature"):
        upload = request.files.get(kind)
        if upload is not None and upload.filename:
            image = upload.stream.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
            digest = hashlib.sha256(image).hexdigest()
            proof = Proof(kind=kind, data=image, filename=upload.filename)
            return proof, {kind: digest}, forms.FormErrors()
    code = request.form.get("code", "").strip().replace(" ", "")
    if not code:
        return None, {}, forms.FormErrors()
    body = {"pin": code} if code.isdigit() else {"booking_code": code.upper()}
    data, errors = forms.load_form(StopCompleteSchema(), body)
    if errors:
        return None, body, forms.FormErrors({"code": [m for ms in errors.values() for m in ms]})
    kind = "pin" if "pin" in data else "booking_code"
    return Proof(kind=kind, value=data[kind]), body, forms.FormErrors()


@bp.post("/stops/<int:stop_id>/complete")
@login_required(Role.COURIER)
def complete(stop_id: int) -> Any:
    """Complete a stop with a proof: a photo, a signature, the PIN or the booking code."""
    # A photo may be larger than the app-wide body limit (as for the API's upload).
    request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"] + MULTIPART_OVERHEAD
    user, session, day = current_user(), db.session(), _form_day()
    proof, body, errors = _proof_of_form()
    if errors:
        typed = {"code": request.form.get("code", ""), "stop_id": str(stop_id)}
        outcome = {"kind": "refused", "stop_id": stop_id, "message": _first_message(errors)}
        return _render(day, outcome=outcome, errors=errors, typed=typed, status=422)
    settings = courier_settings()

    def work() -> tuple[int, Any]:
        card = stops.complete_stop(session, settings, user, stop_id, proof, clock.now())
        return 200, CourierStopSchema().dump(card)

    try:
        answer, replayed = _perform(stop_id, body, work)
    except DomainError as error:
        return _answer_error(day, error, PROOF_FIELDS, stop_id)
    outcome = {"kind": "completed", "stop": answer, "replayed": replayed}
    return _render(day, outcome=outcome)


@bp.post("/stops/<int:stop_id>/fail")
@login_required(Role.COURIER)
def fail(stop_id: int) -> Any:
    """Record a failed pickup or delivery with its reason; show where the parcel goes."""
    user, session, day = current_user(), db.session(), _form_day()
    raw = forms.form_data(request.form, ("reason", "note"))
    if not raw.get("note"):
        raw.pop("note", None)
    data, errors = forms.load_form(StopFailSchema(), raw)
    if errors:
        typed = {k: v for k, v in request.form.items() if k in ("reason", "note")}
        typed["stop_id"] = str(stop_id)
        outcome = {"kind": "refused", "stop_id": stop_id, "message": _first_message(errors)}
        return _render(day, outcome=outcome, errors=errors, typed=typed, status=422)
    settings = courier_settings()

    def work() -> tuple[int, Any]:
        outcome = stops.fail_stop(
            session, settings, user, stop_id, data["reason"], data.get("note"), clock.now()
        )
        return 200, StopFailureSchema().dump(outcome)

    try:
        answer, replayed = _perform(stop_id, raw, work)
    except DomainError as error:
        return _answer_error(day, error, FAIL_FIELDS, stop_id)
    fallback = answer.get("fallback")
    if fallback:
        fallback = {**fallback, "day": date.fromisoformat(fallback["day"])}
    outcome = {"kind": "failed", "stop": answer["stop"], "fallback": fallback, "replayed": replayed}
    return _render(day, outcome=outcome)
