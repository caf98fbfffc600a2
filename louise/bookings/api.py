"""Bookings: slots, booking with idempotency, lifecycle, the merchant side, Points,
lockers, districts and window capacity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from louise import clock
from louise.auth.guards import auth_required, current_user, optional_user
from louise.auth.models import STAFF, Role, User
from louise.bookings import (
    changes,
    common,
    create,
    customers,
    footprint,
    hotline,
    ics,
    places,
    reading,
    serving,
    shop,
    slots,
)
from louise.bookings.idempotent import idempotent
from louise.bookings.models import Booking, BookingStatus, DestinationType
from louise.bookings.notifications import tracking_link
from louise.bookings.runtime import get_context, get_reference, reference_snapshot
from louise.bookings.schemas import (
    BookingCreateSchema,
    BookingPageSchema,
    BookingQueryArgsSchema,
    BookingSchema,
    CapacityCounterSchema,
    CapacitySchema,
    CustomerQueryArgsSchema,
    CustomerSchema,
    DistrictSchema,
    MerchantItemsQueryArgsSchema,
    MerchantItemsSchema,
    OutboxMessageSchema,
    PointQueryArgsSchema,
    PointSchema,
    PointUpdateSchema,
    ReasonSchema,
    RequiredReasonSchema,
    RescheduleSchema,
    SlotListSchema,
    SlotQueryArgsSchema,
    StatusChangeSchema,
    TrackingLinkSchema,
    UnservedLegSchema,
    UnservedQueryArgsSchema,
)
from louise.db import read_only
from louise.extensions import db
from louise.ratelimit import rate_limited
from louise.web import (
    LOCATION,
    PaginationArgsSchema,
    created,
    document_errors,
    page,
    page_of,
    page_schema,
    path_date,
)

blp = Blueprint("bookings", __name__, description="Bookings, slots, Points and lockers")

#: who lists bookings: everyone but the city (aggregates only, /impact)
BOOKING_READERS = (Role.CUSTOMER, Role.MERCHANT, Role.COURIER, *STAFF)


def _mark_private(actor: User, booking: Booking, *, line: bool = True) -> Booking:
    """Whether this actor sees the PIN, the tracking token and the tracking link (see
    ``may_see_pin``: the resident; dispatchers and admins for hotline bookings); and the
    booking's impact line (one read; a list reads its lines at once: ``line=False``)."""
    if line:
        _with_lines(db.session(), [booking])
    booking.show_private = reading.may_see_pin(actor, booking)  # type: ignore[attr-defined]
    booking.tracking_url = tracking_link(  # type: ignore[attr-defined]
        current_app.config["PUBLIC_URL"], booking.tracking_token
    )
    return booking


def _with_lines(session: Any, bookings: Sequence[Booking]) -> None:
    """Each booking's impact line (``louise.bookings.footprint``), in one read."""
    found = footprint.lines(session, [(b.id, b.locale) for b in bookings])
    for booking in bookings:
        booking.impact_line = found.get(booking.id)  # type: ignore[attr-defined]


@blp.route("/slots")
class Slots(MethodView):
    @blp.arguments(SlotQueryArgsSchema, location="query")
    @blp.response(200, SlotListSchema)
    @document_errors(blp, 401, 404, 422)
    @read_only
    def get(self, args: dict[str, Any]) -> Any:
        """Windows of a day at a place that can still be booked, with a live promise."""
        return slots.list_slots(
            db.session(),
            get_context(),
            day=args["date"],
            actor=optional_user(),
            address_id=args.get("address_id"),
            lat=args.get("lat"),
            lon=args.get("lon"),
            offer_id=args.get("offer_id"),
            now=clock.now(),
            lang=args["lang"],
            reference=get_reference(),
        )


def _request_from(data: dict[str, Any]) -> common.BookingRequest:
    address = data.get("address")
    customer = data.get("customer")
    return common.BookingRequest(
        offer_id=data["offer_id"],
        day=data["date"],
        window=data["window"],
        address=common.AddressInput(**address) if address else None,
        address_id=data.get("address_id"),
        destination=DestinationType(data.get("destination", "door")),
        point_id=data.get("point_id"),
        notes=data.get("notes"),
        contact_phone=data.get("contact_phone"),
        customer_id=data.get("customer_id"),
        hotline_customer=common.HotlineCustomer(**customer) if customer else None,
    )


# one instance for every request: given the class, webargs builds a schema (a deep copy of
# its fields) on each request
_BOOKING_CREATE = BookingCreateSchema()


@blp.route("/bookings")
class Bookings(MethodView):
    @auth_required(blp, Role.CUSTOMER, Role.DISPATCHER, Role.ADMIN)
    @idempotent(blp, location=lambda body: url_for(_BY_ID, booking_id=body["id"]))
    @blp.arguments(_BOOKING_CREATE)
    @blp.response(201, BookingSchema, headers=LOCATION)
    @document_errors(blp, 400, 404, 409, 503)
    @rate_limited(blp, "booking_create")
    def post(self, data: dict[str, Any]) -> Any:
        """Book an offer in a window (residents; dispatchers for hotline customers)."""
        actor = current_user()
        booking = create.create_booking(
            db.session(),
            get_context(),
            actor,
            _request_from(data),
            clock.now(),
            reference_snapshot(),
        )
        # a new booking has no ledger day yet: no read for its line (null)
        return created(_mark_private(actor, booking, line=False), _BY_ID, booking_id=booking.id)

    @auth_required(blp, *BOOKING_READERS)
    @blp.arguments(BookingQueryArgsSchema, location="query")
    @blp.response(200, BookingPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Bookings I may see: my own, my shop's, my routes', or all (dispatchers)."""
        actor = current_user()
        status = BookingStatus(args["status"]) if args.get("status") else None
        items, total = reading.list_bookings(
            db.session(),
            actor,
            status=status,
            day=args.get("date"),
            limit=args["limit"],
            offset=args["offset"],
        )
        _with_lines(db.session(), items)
        return page([_mark_private(actor, b, line=False) for b in items], total, args)


_BY_ID = "bookings.BookingById"


@blp.route("/bookings/<int:booking_id>")
class BookingById(MethodView):
    @auth_required(blp)
    @blp.response(200, BookingSchema)
    @document_errors(blp, 404)
    def get(self, booking_id: int) -> Any:
        """One booking with its legs (someone else's booking is a 404)."""
        actor = current_user()
        return _mark_private(actor, reading.get_booking(db.session(), actor, booking_id))


@blp.route("/bookings/<int:booking_id>/history")
class BookingHistory(MethodView):
    @auth_required(blp)
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, page_schema(StatusChangeSchema))
    @document_errors(blp, 404)
    def get(self, args: dict[str, Any], booking_id: int) -> Any:
        """Every status change of a booking and its legs, with actor and time."""
        return page_of(reading.history(db.session(), current_user(), booking_id), args)


@blp.route("/bookings/<int:booking_id>/cancel")
class BookingCancel(MethodView):
    @auth_required(blp)
    @blp.arguments(ReasonSchema)
    @blp.response(200, BookingSchema)
    @document_errors(blp, 404, 409)
    def post(self, data: dict[str, Any], booking_id: int) -> Any:
        """Cancel a booking (residents until their route is locked; dispatchers always)."""
        actor = current_user()
        booking = changes.cancel_booking(
            db.session(), actor, booking_id, data.get("reason"), clock.now()
        )
        return _mark_private(actor, booking)


@blp.route("/bookings/<int:booking_id>/reschedule")
class BookingReschedule(MethodView):
    @auth_required(blp)
    @blp.arguments(RescheduleSchema)
    @blp.response(200, BookingSchema)
    @document_errors(blp, 404, 409)
    def post(self, data: dict[str, Any], booking_id: int) -> Any:
        """Move the pickup/delivery or the return to another window."""
        actor = current_user()
        booking = changes.reschedule(
            db.session(),
            get_context(),
            actor,
            booking_id,
            leg_group=data["legs"],
            day=data["date"],
            window=data["window"],
            now=clock.now(),
        )
        return _mark_private(actor, booking)


@blp.route("/bookings/<int:booking_id>/calendar.ics")
class BookingCalendar(MethodView):
    @auth_required(blp)
    @blp.response(200, content_type="text/calendar")
    @document_errors(blp, 404)
    def get(self, booking_id: int) -> Any:
        """The booking's windows as an iCalendar file."""
        booking = reading.get_booking(db.session(), current_user(), booking_id)
        lang = "en" if request.accept_languages.best_match(["de", "en"]) == "en" else "de"
        body = ics.booking_calendar(booking, lang)
        response = Response(body, mimetype="text/calendar")
        response.headers["Content-Disposition"] = f'attachment; filename="{booking.code}.ics"'
        return response


@blp.route("/bookings/<int:booking_id>/tracking-link")
class BookingTrackingLink(MethodView):
    @auth_required(blp, *STAFF)
    @blp.arguments(TrackingLinkSchema)
    @blp.response(202, OutboxMessageSchema, headers=LOCATION)
    @document_errors(blp, 404, 409)
    def post(self, data: dict[str, Any], booking_id: int) -> Any:
        """Send a hotline caller their tracking link by e-mail or SMS (dispatchers, admins)."""
        message = hotline.send_tracking_link(
            db.session(),
            current_user(),
            booking_id,
            clock.now(),
            email=data.get("email"),
            phone=data.get("phone"),
        )
        return created(
            message, "bookings.BookingMessage", booking_id=booking_id, message_id=message.id
        )


@blp.route("/bookings/<int:booking_id>/messages/<int:message_id>")
class BookingMessage(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, OutboxMessageSchema)
    @document_errors(blp, 404)
    def get(self, booking_id: int, message_id: int) -> Any:
        """One message about a booking: queued, sent, or not sent and why (dispatchers, admins)."""
        return hotline.get_message(db.session(), current_user(), booking_id, message_id)


@blp.route("/bookings/<int:booking_id>/receive")
class BookingReceive(MethodView):
    @auth_required(blp, Role.MERCHANT, Role.ADMIN)
    @blp.response(200, BookingSchema)
    @document_errors(blp, 404, 409)
    def post(self, booking_id: int) -> Any:
        """The shop confirms it received the item."""
        actor = current_user()
        booking = shop.confirm_receipt(db.session(), actor, booking_id, clock.now())
        return _mark_private(actor, booking)


@blp.route("/bookings/<int:booking_id>/ready")
class BookingReady(MethodView):
    @auth_required(blp, Role.MERCHANT, Role.ADMIN)
    @blp.response(200, BookingSchema)
    @document_errors(blp, 404, 409)
    def post(self, booking_id: int) -> Any:
        """The shop marks the repair ready; the return leg is scheduled."""
        actor = current_user()
        booking = shop.mark_ready(db.session(), get_context(), actor, booking_id, clock.now())
        return _mark_private(actor, booking)


@blp.route("/bookings/<int:booking_id>/reject")
class BookingReject(MethodView):
    @auth_required(blp, Role.MERCHANT, Role.ADMIN)
    @blp.arguments(RequiredReasonSchema)
    @blp.response(200, BookingSchema)
    @document_errors(blp, 404, 409)
    def post(self, data: dict[str, Any], booking_id: int) -> Any:
        """The shop rejects a booking, with a reason."""
        actor = current_user()
        booking = shop.reject_booking(db.session(), actor, booking_id, data["reason"], clock.now())
        return _mark_private(actor, booking)


@blp.route("/merchant/items")
class MerchantItems(MethodView):
    @auth_required(blp, Role.MERCHANT, Role.ADMIN)
    @blp.arguments(MerchantItemsQueryArgsSchema, location="query")
    @blp.response(200, MerchantItemsSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Items arriving at and leaving my shop on a day."""
        items = shop.merchant_items(db.session(), current_user(), args["date"])
        return {"date": args["date"], **items}


def _point_out(point: Any, free: int | None) -> Any:
    point.free = free
    return point


@blp.route("/legs/unserved")
class UnservedLegs(MethodView):
    @auth_required(blp, *STAFF)
    @blp.arguments(UnservedQueryArgsSchema, location="query")
    @blp.response(200, page_schema(UnservedLegSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """Booked legs no working shift can serve any more, with the reason in words."""
        legs = serving.unserved_legs(
            db.session(), get_context(), current_user(), args.get("date"), clock.now()
        )
        return page_of(legs, args)


@blp.route("/points")
class Points(MethodView):
    @blp.arguments(PointQueryArgsSchema, location="query")
    @blp.response(200, page_schema(PointSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """LOUISE Points and parcel lockers with space (full ones are not offered)."""
        kind = DestinationType(args["kind"]) if args.get("kind") else None
        rows = places.list_points(
            db.session(), kind=kind, day=args.get("date"), size=args["size"], include_full=False
        )
        return page_of([_point_out(p, free) for p, free in rows], args)

    @auth_required(blp, *STAFF)
    @blp.arguments(PointSchema)
    @blp.response(201, PointSchema, headers=LOCATION)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a LOUISE Point or a parcel locker (dispatchers, admins)."""
        data["kind"] = DestinationType(data["kind"])
        point = places.create_point(db.session(), current_user(), data)
        return created(point, "bookings.PointById", point_id=point.id)


@blp.route("/points/<int:point_id>")
class PointById(MethodView):
    @blp.response(200, PointSchema)
    @document_errors(blp, 404)
    def get(self, point_id: int) -> Any:
        """One active LOUISE Point or parcel locker."""
        return _point_out(places.get_point(db.session(), point_id), None)

    @auth_required(blp, *STAFF)
    @blp.arguments(PointUpdateSchema)
    @blp.response(200, PointSchema)
    @document_errors(blp, 404)
    def patch(self, data: dict[str, Any], point_id: int) -> Any:
        """Change a Point or locker (dispatchers, admins)."""
        return places.update_point(db.session(), current_user(), point_id, data)


@blp.route("/districts")
class Districts(MethodView):
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, page_schema(DistrictSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """Districts of the service area and the vehicle kinds serving them."""
        return page_of(places.list_districts(db.session()), args)

    @auth_required(blp, *STAFF)
    @blp.arguments(DistrictSchema)
    @blp.response(201, DistrictSchema, headers=LOCATION)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a district (dispatchers, admins)."""
        district = places.create_district(db.session(), current_user(), data)
        return created(district, "bookings.DistrictById", district_id=district.id)


@blp.route("/districts/<int:district_id>")
class DistrictById(MethodView):
    @blp.response(200, DistrictSchema)
    @document_errors(blp, 404)
    def get(self, district_id: int) -> Any:
        """One district and the vehicle kinds serving it."""
        return places.get_district(db.session(), district_id)


@blp.route("/capacity/<string:day>/<string:window>")
class WindowCapacity(MethodView):
    @auth_required(blp, *STAFF)
    @blp.response(200, CapacityCounterSchema)
    @document_errors(blp, 422)
    @read_only
    def get(self, day: str, window: str) -> Any:
        """A window's capacity in stops and the stops booked on one day (dispatchers, admins)."""
        return slots.read_window_capacity(
            db.session(), get_context(), current_user(), path_date(day, "day"), window
        )

    @auth_required(blp, *STAFF)
    @blp.arguments(CapacitySchema)
    @blp.response(200, CapacityCounterSchema)
    @document_errors(blp, 409)
    def put(self, data: dict[str, Any], day: str, window: str) -> Any:
        """Set a window's capacity in stops for one day (never below what is booked)."""
        return slots.set_window_capacity(
            db.session(),
            get_context(),
            current_user(),
            path_date(day, "day"),
            window,
            data["capacity"],
        )


@blp.route("/customers")
class Customers(MethodView):
    @auth_required(blp, *STAFF)
    @blp.arguments(CustomerQueryArgsSchema, location="query")
    @blp.response(200, page_schema(CustomerSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """Find a caller by name or phone number (hotline), with their saved addresses."""
        items, total = customers.find_customers(
            db.session(), current_user(), args["q"], args["limit"], args["offset"]
        )
        return page(items, total, args)
