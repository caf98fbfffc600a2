"""The hotline: a dispatcher books for a caller on the phone, from the keyboard alone.

Find the caller by phone number or name (``GET /api/v1/customers``'s service) or take a new
caller's name and number (created without a login by the booking itself, as
``POST /api/v1/bookings`` with ``customer`` does, reusing a known caller with the same name
and number); then the offer, and the booking flow's own steps and checks
(:mod:`louise.pages.book`): the address, where it goes, the window. The confirm step books
with its ``Idempotency-Key`` through the same use case as the API, and the result page shows
the booking code and PIN spelled for reading out, with the tracking link by SMS.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import format_currency, format_date, format_datetime
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from louise import clock
from louise.auth import service as accounts
from louise.auth.models import Role, User
from louise.bookings import create, customers, hotline, idempotency, places, reading
from louise.bookings.common import AddressInput, BookingRequest, HotlineCustomer
from louise.bookings.models import Booking, DestinationType
from louise.bookings.runtime import get_context
from louise.bookings.schemas import (
    BookingCreateSchema,
    CustomerQueryArgsSchema,
    HotlineCustomerSchema,
    OutboxMessageSchema,
)
from louise.errors import DomainError, NotFound
from louise.extensions import db
from louise.merchants import catalogue, offers
from louise.merchants.catalogue import CatalogueQuery
from louise.merchants.models import Offer
from louise.pages import book, forms
from louise.pages.login import current_user, login_required
from louise.ratelimit import rate_limited_page

bp = Blueprint("hotline", __name__, url_prefix="/hotline")

#: the hotline's steps before the booking flow's own (address, where, window, confirm)
STEP_TITLES = {"offer": _l("Offer"), **book.STEP_TITLES}
#: customers listed for one search (the hotline names them; nobody reads a long list out)
SEARCH_LIMIT = 10
#: a caller's message about the tracking SMS, by the outbox message's state
SMS_STATES = {
    "queued": _l("The SMS is queued and goes out in a moment."),
    "failing": _l("The SMS could not be sent yet; it is tried again."),
    "sent": _l("The SMS was sent."),
    "not_sent": _l("No SMS was sent (no SMS gateway): please read the tracking link out."),
}
CALLER_FIELDS = ("name", "phone")
#: the SMS service's message with a number in it, said in the page's language
DIGITS = re.compile(r"A phone number has 7 to 15 digits; this one has (\d+)\.")
DIGITS_SAID = _l("A phone number has 7 to 15 digits; this one has %(num)s.")


@dataclass
class Caller:
    """Who the booking is for: a known customer (``customer``) or a new caller (name, phone)."""

    customer_id: str = ""
    name: str = ""
    phone: str = ""
    customer: User | None = None

    @classmethod
    def of(cls, form: MultiDict[str, str]) -> Caller:
        return cls(
            customer_id=form.get("customer_id", "").strip(),
            name=" ".join(form.get("name", "").split()),
            phone=form.get("phone", "").strip(),
        )

    @property
    def label(self) -> str:
        if self.customer is not None:
            return self.customer.name
        return self.name

    @property
    def phone_number(self) -> str:
        if self.customer is not None:
            return self.customer.phone or ""
        return self.phone

    def body(self) -> dict[str, Any]:
        """The caller as ``POST /api/v1/bookings`` names them."""
        if self.customer_id:
            return {"customer_id": self.customer_id}
        return {"customer": {"name": self.name, "phone": self.phone}}


def _check_caller(caller: Caller, actor: User) -> forms.FormErrors:
    """A known customer the dispatcher may name, or a new caller's name and number checked
    with the API's own schema."""
    if caller.customer_id:
        try:
            if not caller.customer_id.isdigit():
                raise NotFound("No such customer.")
            found = accounts.read_user(db.session(), actor, int(caller.customer_id))
            if found.role != Role.CUSTOMER:
                raise NotFound("No such customer.")
            caller.customer = found
        except NotFound:
            errors = forms.FormErrors()
            errors.add(forms.FORM, "Unknown customer.")
            return errors
        return forms.FormErrors()
    _data, errors = forms.load_form(
        HotlineCustomerSchema(),
        forms.form_data(MultiDict(caller.body()["customer"]), CALLER_FIELDS),
    )
    return errors


def _offer_list() -> list[Any]:
    """Every listed offer (the catalogue's, as ``GET /api/v1/offers``), by name."""
    page = catalogue.list_offers(db.session(), None, CatalogueQuery(limit=1000, sort="name"))
    return [hit.item for hit in page.items]


def _render_search(q: str, caller: Caller, errors: forms.FormErrors, status: int = 200) -> Any:
    found: list[customers.CustomerCard] = []
    total = 0
    searched = False
    if q:
        _args, query_errors = forms.load_form(CustomerQueryArgsSchema(), {"q": q})
        if query_errors:
            errors.update({"q": query_errors.get("q", [])})
        else:
            searched = True
            found, total = customers.find_customers(
                db.session(), current_user(), q, SEARCH_LIMIT, 0
            )
    new_caller = caller
    if searched and not found and not caller.name and not caller.phone:
        # what was typed goes into the new caller's form: a number, or a name
        digits = customers.national_digits(q)
        if len(digits) >= customers.MIN_PHONE_DIGITS:
            new_caller = Caller(phone=q)
        else:
            new_caller = Caller(name=q)
    page = render_template(
        "pages/hotline/start.html",
        q=q,
        searched=searched,
        found=found,
        total=total,
        caller=new_caller,
        errors=errors,
        focus_new=bool(errors.keys() & set(CALLER_FIELDS)) or (searched and not found),
    )
    return page, status


@bp.get("/")
@login_required(Role.DISPATCHER, Role.ADMIN)
def start() -> Any:
    """The hotline: find the caller by phone number or name, or take a new caller."""
    q = " ".join(request.args.get("q", "").split())
    return _render_search(q, Caller(), forms.FormErrors())


def _offer_of(offer_id: str, actor: User) -> Offer | None:
    if not offer_id.isdigit():
        return None
    try:
        return offers.get_offer(db.session(), actor, int(offer_id))
    except NotFound:
        return None


def _render_steps(
    caller: Caller, flow: book.Flow | None, step: str, errors: forms.FormErrors, status: int = 200
) -> Any:
    actor = current_user()
    ctx, now = get_context(), clock.now()
    context: dict[str, Any] = {
        "caller": caller,
        "flow": flow,
        "step": step,
        "errors": errors,
        "offer": flow.offer if flow is not None else None,
        "choices": flow.choices if flow is not None else book.Choices(),
    }
    steps = ("offer", *(flow.steps if flow is not None else book.STEPS))
    context["steps"] = steps
    if step == "offer":
        context["offers"] = _offer_list()
    if step == "address":
        context["saved"] = (
            customers.saved_addresses(db.session(), caller.customer.id)
            if caller.customer is not None
            else []
        )
    if flow is not None and step == "where":
        context["points"] = book._points(flow)
    if flow is not None and step in ("window", "confirm"):
        context["days"] = book._days(ctx, now)
        context["day"] = book._day(flow.choices, ctx, now).isoformat()
        try:
            context["slots"] = book._slots(flow, actor)["slots"]
        except DomainError as error:
            errors.update(book._errors_of(error))
            context["slots"] = []
    if flow is not None and step == "confirm":
        context["slot"] = next(
            (s for s in context["slots"] if s["window"] == flow.choices.window), None
        )
        _kind, point_id = flow.choices.destination()
        context["point"] = (
            places.get_point(db.session(), point_id) if point_id is not None else None
        )
        context["idempotency_key"] = str(uuid.uuid4())
    return render_template("pages/hotline/book.html", **context), status


@bp.post("/book")
@login_required(Role.DISPATCHER, Role.ADMIN)
def steps() -> Any:
    """Book for the caller: the offer, the address, where it goes, the window, confirm."""
    actor = current_user()
    caller = Caller.of(request.form)
    errors = _check_caller(caller, actor)
    if errors:
        return _render_search("", caller, errors, 422)
    back = request.form.get("back")
    submitted = request.form.get("step", "" if back else "caller")
    if submitted == "caller" or back == "offer":
        return _render_steps(caller, _flow_or_none(request.form, actor), "offer", errors)
    offer = _offer_of(request.form.get("offer_id", ""), actor)
    if offer is None:
        errors.add("offer_id", "Choose an offer.")
        return _render_steps(caller, None, "offer", errors, 422)
    flow = book.Flow(offer, book.Choices.of(request.form))
    if submitted == "offer":
        flow.step = "address"
        return _render_steps(caller, flow, "address", flow.errors)
    checked = book._advance(flow, actor, submitted, back)
    return _render_steps(caller, checked, checked.step, checked.errors, checked.status)


def _flow_or_none(form: MultiDict[str, str], actor: User) -> book.Flow | None:
    offer = _offer_of(form.get("offer_id", ""), actor)
    return book.Flow(offer, book.Choices.of(form)) if offer is not None else None


@bp.post("/confirm")
@login_required(Role.DISPATCHER, Role.ADMIN)
@rate_limited_page("booking_create")
def confirm() -> Any:
    """Book for the caller with the confirm step's Idempotency-Key: a repeat books once."""
    actor = current_user()
    caller = Caller.of(request.form)
    errors = _check_caller(caller, actor)
    offer = _offer_of(request.form.get("offer_id", ""), actor)
    if errors or offer is None:
        return _render_search("", caller, errors, 422)
    flow = book.Flow(offer, book.Choices.of(request.form))
    body = {**flow.choices.booking_body(offer.id), **caller.body()}
    data, errors = forms.load_form(BookingCreateSchema(), body)
    if errors:
        checked = book._advance(flow, actor, "window", None)
        checked.errors.update({book.FIELD_OF.get(k, k): v for k, v in errors.items()})
        return _render_steps(caller, checked, checked.step, checked.errors, 422)
    kind, point_id = flow.choices.destination()
    address = data.get("address")
    customer = data.get("customer")
    booking_request = BookingRequest(
        offer_id=offer.id,
        day=data["date"],
        window=data["window"],
        address=AddressInput(**address) if address else None,
        address_id=data.get("address_id"),
        destination=DestinationType(kind),
        point_id=point_id,
        customer_id=data.get("customer_id"),
        hotline_customer=HotlineCustomer(**customer) if customer else None,
    )
    session = db.session()

    def work() -> tuple[int, Any]:
        booking = create.create_booking(session, get_context(), actor, booking_request, clock.now())
        return 201, {"id": booking.id, "code": booking.code}

    try:
        answer, _replayed = idempotency.perform_once(
            session,
            actor.id,
            request.form.get("idempotency_key", "") or str(uuid.uuid4()),
            idempotency.fingerprint("POST", request.path, body),
            work,
            clock.now,
            stale_after=book._stale_after(),
        )
    except DomainError as error:
        checked = book._advance(flow, actor, "window", None)
        if not checked.errors:
            checked.errors = book._errors_of(error)
            checked.step = book._step_of(checked.errors, "confirm")
        status = 422 if error.status < 500 else error.status
        return _render_steps(caller, checked, checked.step, checked.errors, status)
    return redirect(url_for("pages.hotline.done", booking_id=int(answer.body["id"])), 303)


def spelled(text: str, size: int = 4) -> list[str]:
    """A code for reading out: groups of ``size`` characters, each spelled with dashes
    (``"LSTC4X9K"`` → ``["L-S-T-C", "4-X-9-K"]``)."""
    return ["-".join(text[i : i + size]) for i in range(0, len(text), size)]


def _booking(booking_id: int) -> Booking:
    booking = reading.get_booking(db.session(), current_user(), booking_id)
    booking.show_private = reading.may_see_pin(current_user(), booking)  # type: ignore[attr-defined]
    return booking


@bp.get("/bookings/<int:booking_id>")
@login_required(Role.DISPATCHER, Role.ADMIN)
def done(booking_id: int) -> Any:
    """The booking made: its code and PIN to read back to the caller, the tracking SMS."""
    booking = _booking(booking_id)
    message_state = None
    message_id = request.args.get("message", "")
    if message_id.isdigit():
        message = hotline.get_message(db.session(), current_user(), booking_id, int(message_id))
        message_state = OutboxMessageSchema().dump(message)
    return _render_done(booking, forms.FormErrors(), message_state)


def _render_done(
    booking: Booking,
    errors: forms.FormErrors,
    message_state: dict[str, Any] | None,
    phone: str | None = None,
    status: int = 200,
) -> Any:
    point = places.get_point(db.session(), booking.point_id) if booking.point_id else None
    page = render_template(
        "pages/hotline/done.html",
        booking=booking,
        point=point,
        pin=booking.pickup_pin if getattr(booking, "show_private", False) else None,
        errors=errors,
        message=message_state,
        phone=booking.contact_phone if phone is None else phone,
        sms_states=SMS_STATES,
    )
    return page, status


@bp.post("/bookings/<int:booking_id>/sms")
@login_required(Role.DISPATCHER, Role.ADMIN)
def send_sms(booking_id: int) -> Any:
    """Send the caller the tracking link by SMS (``POST …/tracking-link``'s service)."""
    booking = _booking(booking_id)
    phone = request.form.get("phone", "").strip()
    try:
        message = hotline.send_tracking_link(
            db.session(), current_user(), booking_id, clock.now(), phone=phone
        )
    except DomainError as error:
        errors = forms.errors_of(error, ("phone",))
        for messages in errors.values():
            for k, text in enumerate(messages):
                found = DIGITS.fullmatch(text)
                if found:
                    messages[k] = str(DIGITS_SAID) % {"num": found.group(1)}
        return _render_done(_booking(booking.id), errors, None, phone, 422)
    return redirect(url_for("pages.hotline.done", booking_id=booking_id, message=message.id), 303)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "euros": lambda cents: format_currency(cents / 100, "EUR"),
        "opening_hours_text": book.opening_hours_text,
        "step_titles": STEP_TITLES,
        "window_reasons": book.WINDOW_REASONS,
        "local_time": lambda moment: format_datetime(moment, "HH:mm"),
        "spelled": spelled,
        "long_date": lambda day: format_date(day, "full"),
    }
