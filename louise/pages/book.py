"""The booking flow: a resident books an offer in four steps on one URL (the address, where
it goes, the time window, confirm), each checked by the same services as the API.

The form carries every choice made so far (hidden fields), so the basic path needs no
JavaScript and no state on the server; htmx adds the address suggestions and refreshes the
windows (free places, the live promise). The confirm step's ``Idempotency-Key`` makes a
double click book once, with the rules of ``POST /api/v1/bookings``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import format_currency, format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from louise import clock
from louise.auth.models import Role, User
from louise.bookings import create, customers, idempotency, places, slots
from louise.bookings.checks import resolve_booking_address
from louise.bookings.common import AddressInput, BookingContext, BookingRequest
from louise.bookings.models import DeliveryPoint, DestinationType
from louise.bookings.runtime import get_context, get_reference
from louise.bookings.schemas import BookingCreateSchema
from louise.errors import DomainError
from louise.extensions import db
from louise.geo.geocoders import GeocoderUnavailable
from louise.geo.models import Address
from louise.geo.runtime import get_geocoder, get_service_area
from louise.geo.service import address_parts, suggest_addresses
from louise.merchants import offers
from louise.merchants.models import Offer, OfferKind
from louise.pages import forms
from louise.pages.i18n import page_language
from louise.pages.login import current_user, login_required
from louise.ratelimit import rate_limited_page

bp = Blueprint("book", __name__, url_prefix="/book")

#: the steps of the flow, in order (a collection starts and ends at the door: no "where")
STEPS = ("address", "where", "window", "confirm")
STEP_TITLES = {
    "address": _l("Address"),
    "where": _l("Destination"),
    "window": _l("Time window"),
    "confirm": _l("Confirm"),
}
#: the form's fields a service's message may name, and the field it is shown beside
FIELD_OF = {
    "address": "address",
    "street": "address",
    "house_number": "address",
    "postcode": "address",
    "city": "address",
    "address_id": "address",
    "destination": "place",
    "point_id": "place",
    "date": "date",
    "window": "window",
}
#: the step that shows a field
STEP_OF = {"address": "address", "place": "where", "date": "window", "window": "window"}
#: a refused address said for a resident (the geocoder's own text names its internals)
ADDRESS_MESSAGES = {
    "address_not_found": _l(
        "We cannot find this address in our service area (Bottrop). Check the street and "
        "house number, or pick one of the suggestions."
    ),
    "outside_service_area": _l(
        "This address lies outside our service area: we deliver in Bottrop only."
    ),
    "geocoder_unavailable": _l(
        "The address lookup is not available just now; please try again in a minute."
    ),
}
#: why a window cannot be chosen (``list_slots``' reasons)
WINDOW_REASONS = {
    "full": _l("Fully booked"),
    "past_cutoff": _l("No longer bookable (past the cut-off)"),
    "in_past": _l("Over"),
    "closed_day": _l("No service on this day"),
    "beyond_horizon": _l("Too far ahead"),
    "shop_closed": _l("The shop is closed then"),
    "not_served": _l("No courier serves this window here"),
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = {
    "mon": _l("Mon"),
    "tue": _l("Tue"),
    "wed": _l("Wed"),
    "thu": _l("Thu"),
    "fri": _l("Fri"),
    "sat": _l("Sat"),
    "sun": _l("Sun"),
}


@dataclass
class Choices:
    """What the resident chose so far, as the form carries it (plain strings)."""

    address_id: str = ""
    address: str = ""
    place: str = "door"  # "door", "point:<id>" or "locker:<id>"
    date: str = ""
    window: str = ""

    @classmethod
    def of(cls, form: MultiDict[str, str]) -> Choices:
        picked = form.get("pick", "").strip()
        # "new" (the radio "Eine neue Adresse") is no saved address: the typed one counts
        # (sent on as address_id it was refused as "Keine gültige Zahl")
        saved = form.get("address_id", "").strip()
        return cls(
            address_id=saved if saved.isdigit() else "",
            address=picked or " ".join(form.get("address", "").split()),
            place=form.get("place", "door").strip() or "door",
            date=form.get("date", "").strip(),
            window=form.get("window", "").strip(),
        )

    def destination(self) -> tuple[str, int | None]:
        kind, _sep, point = self.place.partition(":")
        return kind, int(point) if point.isdigit() else None

    def booking_body(self, offer_id: int) -> dict[str, Any]:
        """The choices as the body ``POST /api/v1/bookings`` takes."""
        body: dict[str, Any] = {"offer_id": offer_id}
        if self.address_id:
            body["address_id"] = self.address_id
        elif self.address:
            parts = address_parts(self.address)
            body["address"] = {k: v for k, v in parts.items() if v}
        kind, point_id = self.destination()
        body["destination"] = kind
        if point_id is not None:
            body["point_id"] = point_id
        for name in ("date", "window"):
            if getattr(self, name):
                body[name] = getattr(self, name)
        return body


@dataclass
class Flow:
    """One rendering of the flow: the step shown, the choices and what the step needs."""

    offer: Offer
    choices: Choices
    step: str = "address"
    errors: forms.FormErrors = field(default_factory=forms.FormErrors)
    address: Address | None = None
    status: int = 200

    @property
    def steps(self) -> tuple[str, ...]:
        if self.offer.kind == OfferKind.COLLECTION:
            return tuple(s for s in STEPS if s != "where")
        return STEPS

    def after(self, step: str) -> str:
        steps = self.steps
        return steps[min(steps.index(step) + 1, len(steps) - 1)]


def _offer(offer_id: int, user: User) -> Offer:
    return offers.get_offer(db.session(), user, offer_id)


def _address(ctx: BookingContext, user: User, choices: Choices) -> Address:
    """The chosen address, checked by the booking's own rules (not stored: the booking does
    that)."""
    address_id = int(choices.address_id) if choices.address_id.isdigit() else None
    typed = None
    if address_id is None:
        parts = address_parts(choices.address)
        typed = (
            AddressInput(
                street=parts["street"],
                house_number=parts["house_number"],
                postcode=parts["postcode"],
                city=parts["city"],
            )
            if parts["street"]
            else None
        )
    return resolve_booking_address(db.session(), ctx, user, typed, address_id)


def _errors_of(error: DomainError) -> forms.FormErrors:
    """A service's refusal beside the form's fields (an address in the resident's words)."""
    found = forms.errors_of(error, FIELD_OF)
    errors = forms.FormErrors()
    for name, messages in found.items():
        target = FIELD_OF.get(name, forms.FORM)
        if target == "address" and error.code in ADDRESS_MESSAGES:
            errors[target] = [str(ADDRESS_MESSAGES[error.code])]
            continue
        errors.setdefault(target, []).extend(messages)
    return errors


def _step_of(errors: forms.FormErrors, default: str) -> str:
    for name in ("address", "place", "date", "window"):
        if name in errors:
            return STEP_OF[name]
    return default


def _check_schema(flow: Flow, upto: str) -> None:
    """The API's own schema on the choices made up to ``upto`` (later fields are partial)."""
    later = {"where": ("date", "window"), "window": (), "confirm": ()}.get(upto, ("date", "window"))
    schema = BookingCreateSchema(partial=later)
    _data, errors = forms.load_form(schema, flow.choices.booking_body(flow.offer.id))
    for name, messages in errors.items():
        target = FIELD_OF.get(name, forms.FORM)
        flow.errors.setdefault(target, []).extend(messages)


def _advance(flow: Flow, user: User, submitted: str, back: str | None) -> Flow:
    """Check every step up to the one submitted; show the first refused, else the next."""
    ctx = get_context()
    if back == "address":
        flow.step = "address"
        return flow
    try:
        flow.address = _address(ctx, user, flow.choices)
    except GeocoderUnavailable:
        flow.errors.add("address", str(ADDRESS_MESSAGES["geocoder_unavailable"]))
    except DomainError as error:
        flow.errors = _errors_of(error)
        if not flow.errors:
            flow.errors.add("address", error.message)
    if flow.errors:
        flow.step, flow.status = "address", 422
        return flow
    if back in flow.steps:
        flow.step = back
        return flow
    if submitted not in flow.steps:
        submitted = "address"
    if submitted == "address":
        flow.step = flow.after("address")
        return flow
    _check_schema(flow, submitted)
    if flow.errors:
        flow.step, flow.status = _step_of(flow.errors, submitted), 422
        return flow
    if submitted == "where":
        flow.step = "window"
        return flow
    flow.step = "confirm"
    slot = _chosen_slot(flow, user)
    if slot is None or not slot["bookable"]:
        flow.errors.add("window", _("This window cannot be booked; please choose another."))
        flow.step, flow.status = "window", 422
    return flow


def _day(choices: Choices, ctx: BookingContext, now: datetime) -> date:
    try:
        return date.fromisoformat(choices.date)
    except ValueError:
        return ctx.policy.horizon(now)[0]


def _slots(flow: Flow, user: User) -> dict[str, Any]:
    """The windows of the chosen day at the chosen address (``GET /api/v1/slots``)."""
    assert flow.address is not None
    ctx, now = get_context(), clock.now()
    return slots.list_slots(
        db.session(),
        ctx,
        day=_day(flow.choices, ctx, now),
        offer_id=flow.offer.id,
        now=now,
        actor=user,
        lang=page_language(),
        lat=flow.address.lat,
        lon=flow.address.lon,
        reference=get_reference(),
    )


def _chosen_slot(flow: Flow, user: User) -> dict[str, Any] | None:
    try:
        found = _slots(flow, user)
    except DomainError as error:
        flow.errors.update(_errors_of(error))
        return None
    return next((s for s in found["slots"] if s["window"] == flow.choices.window), None)


def _days(ctx: BookingContext, now: datetime) -> list[tuple[str, str]]:
    """The service days a resident can choose: (ISO date, "Today, Monday 23 November")."""
    first, last = ctx.policy.horizon(now)
    days: list[tuple[str, str]] = []
    day = first
    while day <= last:
        if ctx.policy.is_service_day(day):
            name = format_date(day, "EEEE, d. MMMM" if page_language() == "de" else "EEEE d MMMM")
            if day == first:
                name = _("Today, %(day)s", day=name)
            elif (day - first).days == 1:
                name = _("Tomorrow, %(day)s", day=name)
            days.append((day.isoformat(), name))
        day = date.fromordinal(day.toordinal() + 1)
    return days


def opening_hours_text(hours: dict[str, Any] | None) -> str:
    """A Point's weekly hours in a line: "Mon–Sat 06:00–22:00, Sun 08:00–20:00"; none: 24/7."""
    if not hours:
        return _("open 24/7")
    groups: list[tuple[list[str], str]] = []
    for key in WEEKDAYS:
        spans = hours.get(key) or []
        text = ", ".join(f"{opens}–{closes}" for opens, closes in spans) or _("closed")
        if groups and groups[-1][1] == text:
            groups[-1][0].append(key)
        else:
            groups.append(([key], text))
    parts = []
    for days, text in groups:
        names = str(WEEKDAY_NAMES[days[0]])
        if len(days) > 1:
            names += "–" + str(WEEKDAY_NAMES[days[-1]])
        parts.append(f"{names} {text}")
    return "; ".join(parts)


def _points(flow: Flow) -> list[DeliveryPoint]:
    """Points and lockers with room for this offer's parcel (``GET /api/v1/points``)."""
    rows = places.list_points(
        db.session(),
        kind=None,
        day=None,
        size=flow.offer.parcel_size.value,
        include_full=False,
    )
    return [point for point, _free in rows]


def _render(flow: Flow, user: User) -> Any:
    ctx, now = get_context(), clock.now()
    context: dict[str, Any] = {
        "flow": flow,
        "offer": flow.offer,
        "choices": flow.choices,
        "errors": flow.errors,
        "saved": customers.saved_addresses(db.session(), user.id),
    }
    if flow.step == "where":
        context["points"] = _points(flow)
    if flow.step in ("window", "confirm"):
        context["days"] = _days(ctx, now)
        context["day"] = _day(flow.choices, ctx, now).isoformat()
        try:
            context["slots"] = _slots(flow, user)["slots"]
        except DomainError as error:
            flow.errors.update(_errors_of(error))
            context["slots"] = []
    if flow.step == "confirm":
        context["slot"] = next(
            (s for s in context["slots"] if s["window"] == flow.choices.window), None
        )
        _kind, point_id = flow.choices.destination()
        context["point"] = (
            places.get_point(db.session(), point_id) if point_id is not None else None
        )
        context["idempotency_key"] = str(uuid.uuid4())
    page = render_template("pages/book/start.html", **context)
    return page, flow.status


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "euros": lambda cents: format_currency(cents / 100, "EUR"),
        "opening_hours_text": opening_hours_text,
        "step_titles": STEP_TITLES,
        "window_reasons": WINDOW_REASONS,
        "local_time": lambda moment: format_datetime(moment, "HH:mm"),
    }


@bp.route("/<int:offer_id>", methods=["GET", "POST"])
@login_required(Role.CUSTOMER)
def start(offer_id: int) -> Any:
    """Book an offer: the address, where it goes, the time window, confirm."""
    user = current_user()
    flow = Flow(_offer(offer_id, user), Choices.of(request.form))
    if request.method == "GET":
        return _render(flow, user)
    submitted = request.form.get("step", "address")
    return _render(_advance(flow, user, submitted, request.form.get("back")), user)


@bp.post("/<int:offer_id>/confirm")
@login_required(Role.CUSTOMER)
@rate_limited_page("booking_create")
def confirm(offer_id: int) -> Any:
    """Book with the confirm step's Idempotency-Key: a repeat gets the first booking."""
    user = current_user()
    flow = Flow(_offer(offer_id, user), Choices.of(request.form))
    body = flow.choices.booking_body(flow.offer.id)
    data, errors = forms.load_form(BookingCreateSchema(), body)
    key = request.form.get("idempotency_key", "")
    if errors:
        checked = _advance(flow, user, "window", None)
        checked.errors.update({FIELD_OF.get(k, k): v for k, v in errors.items()})
        checked.status = 422
        return _render(checked, user)
    kind, point_id = flow.choices.destination()
    address = data.get("address")
    booking_request = BookingRequest(
        offer_id=flow.offer.id,
        day=data["date"],
        window=data["window"],
        address=AddressInput(**address) if address else None,
        address_id=data.get("address_id"),
        destination=DestinationType(kind),
        point_id=point_id,
    )
    session = db.session()

    def book() -> tuple[int, Any]:
        booking = create.create_booking(session, get_context(), user, booking_request, clock.now())
        return 201, {"id": booking.id, "code": booking.code}

    try:
        answer, _replayed = idempotency.perform_once(
            session,
            user.id,
            key or str(uuid.uuid4()),
            idempotency.fingerprint("POST", request.path, body),
            book,
            clock.now,
            stale_after=_stale_after(),
        )
    except DomainError as error:
        checked = _advance(flow, user, "window", None)
        if not checked.errors:
            checked.errors = _errors_of(error)
            checked.step = _step_of(checked.errors, "confirm")
        checked.status = 422 if error.status < 500 else error.status
        return _render(checked, user)
    booking_id = int(answer.body["id"])
    return redirect(_booking_page(booking_id), 303)


def _stale_after() -> timedelta:
    return timedelta(seconds=current_app.config["IDEMPOTENCY_STALE_SECONDS"])


def _booking_page(booking_id: int) -> str:
    return url_for("pages.bookings.detail", booking_id=booking_id)


@bp.get("/<int:offer_id>/suggestions")
@login_required(Role.CUSTOMER)
def suggestions(offer_id: int) -> Any:
    """Addresses that complete what the resident is typing (htmx, the address step)."""
    picked = request.args.get("pick", "").strip()
    if picked:  # a suggestion chosen: the field with it, and no more suggestions
        return render_template(
            "pages/book/_address_field.html",
            offer=_offer(offer_id, current_user()),
            value=picked,
            errors=forms.FormErrors(),
            suggestions=[],
            focus=True,
        )
    line = " ".join(request.args.get("address", "").split())
    found = suggest_addresses(get_geocoder(), get_service_area(), line) if line else []
    return render_template(
        "pages/book/_suggestions.html", suggestions=found, offer_id=offer_id, typed=line
    )


@bp.get("/<int:offer_id>/windows")
@login_required(Role.CUSTOMER)
def windows(offer_id: int) -> Any:
    """The windows of the chosen day, with free places and the live promise (htmx)."""
    user = current_user()
    flow = Flow(_offer(offer_id, user), Choices.of(request.args), step="window")
    try:
        flow.address = _address(get_context(), user, flow.choices)
        found = _slots(flow, user)["slots"]
    except DomainError as error:
        flow.errors = _errors_of(error)
        found = []
    return render_template(
        "pages/book/_windows.html",
        flow=flow,
        choices=flow.choices,
        errors=flow.errors,
        slots=found,
    )
