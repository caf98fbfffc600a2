"""What a route sheet says: the header and one row per stop, in the courier's language.

Built from the stored plan (no Flask), so the API, the courier app and the demo's folder of
printed sheets all show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings.models import Booking, DeliveryPoint, Leg, StopKind
from louise.dispatch.models import PlanRoute, PlanStop, StopType
from louise.dispatch.service import eta_window
from louise.dispatch.sheets.i18n import Lang, format_day, format_km, label, language
from louise.fleet.models import Vehicle
from louise.localtime import BUSINESS_TZ
from louise.merchants.models import STANDARD_SIZES, Merchant, Offer

BERLIN = BUSINESS_TZ
HUB_NAME = "City-Station"


@dataclass(frozen=True)
class SheetStop:
    """One row of the sheet. Texts are ready to print in the sheet's language."""

    seq: int
    type: str  # pickup | delivery | break | start | end
    type_label: str
    time_from: str  # HH:MM, local time
    time_to: str
    address: str
    lat: float
    lon: float
    action: str = ""  # "abholen" / "übergeben" / "collect" / "hand over" …
    item: str = ""  # what: the offer's title
    for_whom: str = ""  # who the parcel is for (the leg's receiving side)
    access_notes: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    booking_code: str | None = None
    parcel_size: str | None = None
    compartment: str | None = None  # lockers: compartment size; Points: the shelf
    pin: str | None = None  # Points and lockers: the pickup PIN, on the courier's sheet only
    pin_hidden: bool = False  # a locker PIN exists but this sheet does not show it
    has_place: bool = True  # False for a break (no place of its own: not drawn on the map)

    def __post_init__(self) -> None:
        if self.seq < 1:
            raise ValueError("seq starts at 1")
        if self.type not in {t.value for t in StopType}:
            raise ValueError(f"unknown stop type {self.type!r}")

    @property
    def time_window(self) -> str:
        if self.time_from == self.time_to:
            return self.time_from
        return f"{self.time_from}–{self.time_to}"

    @property
    def is_task(self) -> bool:
        return self.type in (StopType.PICKUP.value, StopType.DELIVERY.value)


@dataclass(frozen=True)
class RouteSheet:
    """Header and stops of one route of a plan."""

    lang: Lang
    plan_id: int
    plan_version: int
    route_id: int
    day: date
    day_text: str
    courier_name: str
    vehicle_name: str
    starts_at: str  # HH:MM local
    ends_at: str
    km: float
    km_text: str
    stop_count: int  # pickups + deliveries
    stops: tuple[SheetStop, ...]
    hub: tuple[float, float] | None
    shows_pins: bool = False

    def __post_init__(self) -> None:
        if self.km < 0:
            raise ValueError("km must not be negative")
        if [s.seq for s in self.stops] != sorted(s.seq for s in self.stops):
            raise ValueError("stops must be in sequence order")

    @property
    def title(self) -> str:
        return f"{label(self.lang, 'title')} – {self.courier_name} – {self.day:%d.%m.%Y}"

    def facts(self, t: dict[str, str]) -> list[tuple[str, str]]:
        """The sheet's header, as (label, value) pairs in the labels ``t`` of its language."""
        return [
            (t["courier"], self.courier_name),
            (t["vehicle"], self.vehicle_name),
            (t["date"], self.day_text),
            (f"{t['start']} – {t['end']}", f"{self.starts_at} – {self.ends_at}"),
            (t["distance"], self.km_text),
            (t["stops"], str(self.stop_count)),
            (t["plan"], f"#{self.plan_id} v{self.plan_version} · Route {self.route_id}"),
        ]

    def map_points(self) -> tuple[list[tuple[float, float]], list[str]]:
        """The places in driving order and their labels (stop numbers; the hub is '')."""
        points: list[tuple[float, float]] = []
        labels: list[str] = []
        for stop in self.stops:
            if not stop.has_place:
                continue
            points.append((stop.lat, stop.lon))
            labels.append("" if stop.type in ("start", "end") else str(stop.seq))
        return points, labels


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%H:%M")


def _compartment(booking: Booking, point: DeliveryPoint | None) -> str:
    if booking.parcel_size in STANDARD_SIZES:
        return booking.parcel_size
    # custom parcels take the largest compartment the locker has
    sizes = [s for s in STANDARD_SIZES if point is not None and point.compartments.get(s, 0) > 0]
    return sizes[-1] if sizes else STANDARD_SIZES[-1]


def _party(
    session: Session, kind: StopKind, booking: Booking, point: DeliveryPoint | None
) -> tuple[str | None, str | None, str | None]:
    """Name, phone and access notes of whoever the courier meets at a stop of ``kind``."""
    if kind == StopKind.RESIDENT:
        return booking.contact_name, booking.contact_phone, booking.notes
    if kind == StopKind.SHOP:
        merchant = session.get(Merchant, booking.merchant_id)
        return (merchant.name, merchant.phone, None) if merchant else (None, None, None)
    if kind in (StopKind.POINT, StopKind.LOCKER):
        if point is None:
            return None, None, booking.notes
        return point.name, None, point.access_notes
    return HUB_NAME, None, None


def _recipient(session: Session, leg: Leg, booking: Booking, pickup: bool) -> str:
    """Who the parcel is for, as far as this stop may say: a shop or the hub by name, a
    resident only at their own door (elsewhere the booking code identifies the parcel)."""
    if leg.dest_kind == StopKind.SHOP:
        merchant = session.get(Merchant, booking.merchant_id)
        return merchant.name if merchant else ""
    if leg.dest_kind == StopKind.HUB:
        return HUB_NAME
    if leg.dest_kind == StopKind.RESIDENT and not pickup:
        return booking.contact_name
    return ""


def _task_stop(
    session: Session, lang: Lang, stop: PlanStop, window: tuple[str, str], show_pins: bool
) -> SheetStop:
    leg = session.get(Leg, stop.leg_id) if stop.leg_id is not None else None
    pickup = stop.type == StopType.PICKUP
    base = SheetStop(
        seq=stop.seq,
        type=stop.type.value,
        type_label=label(lang, f"type.{stop.type.value}"),
        time_from=window[0],
        time_to=window[1],
        address=stop.label,
        lat=stop.lat,
        lon=stop.lon,
        action=label(lang, f"do.{stop.type.value}"),
    )
    if leg is None:  # a leg deleted after planning: still print the place and time
        return base
    booking = leg.booking
    kind = leg.origin_kind if pickup else leg.dest_kind
    point: DeliveryPoint | None = None
    if kind in (StopKind.POINT, StopKind.LOCKER):
        point_id = leg.point_id or booking.point_id
        point = session.get(DeliveryPoint, point_id) if point_id is not None else None
    name, phone, notes = _party(session, kind, booking, point)
    offer = session.get(Offer, booking.offer_id)
    locker = not pickup and kind == StopKind.LOCKER
    shelf = not pickup and kind == StopKind.POINT
    action = "do.pickup" if pickup else ("do.locker" if locker else "do.delivery")
    return replace(
        base,
        action=label(lang, action),
        item=offer.title if offer is not None else "",
        for_whom=_recipient(session, leg, booking, pickup),
        access_notes=notes or None,
        contact_name=name,
        contact_phone=phone,
        booking_code=booking.code,
        parcel_size=booking.parcel_size,
        compartment=(
            _compartment(booking, point) if locker else label(lang, "shelf") if shelf else None
        ),
        pin=booking.pickup_pin if (locker or shelf) and show_pins else None,
        pin_hidden=bool((locker or shelf) and booking.pickup_pin and not show_pins),
    )


def _window(stop: PlanStop) -> tuple[str, str]:
    if stop.type in (StopType.PICKUP, StopType.DELIVERY):
        # The window told to the resident (mail and tracking link): one function for all.
        start, end = eta_window(stop)
        return _hhmm(start), _hhmm(end)
    if stop.type == StopType.BREAK:
        return _hhmm(stop.eta), _hhmm(stop.eta + timedelta(seconds=stop.service_s))
    return _hhmm(stop.eta), _hhmm(stop.eta)


def build_sheet(
    session: Session,
    route: PlanRoute,
    lang: str = "de",
    *,
    show_pins: bool = False,
    hub_label: str | None = None,
) -> RouteSheet:
    """The route sheet of ``route`` in ``lang`` ("de" unless English is asked for).

    Pickup PINs are the resident's secret: only the courier handing the parcel over at that
    Point or locker sees them, so they are printed with ``show_pins`` (the courier's own sheet)
    and otherwise only announced. A resident's name, phone and notes appear only at their
    door, as in the courier app. ``hub_label`` replaces the bare "City-Station" of the start
    and end rows.
    """
    lang_ = language(lang)
    stops: list[SheetStop] = []
    hub: tuple[float, float] | None = None
    for stop in route.stops:
        window = _window(stop)
        if stop.type in (StopType.PICKUP, StopType.DELIVERY):
            stops.append(_task_stop(session, lang_, stop, window, show_pins))
            continue
        is_hub = stop.type in (StopType.START, StopType.END)
        if is_hub and hub is None:
            hub = (stop.lat, stop.lon)
        stops.append(
            SheetStop(
                seq=stop.seq,
                type=stop.type.value,
                type_label=label(lang_, f"type.{stop.type.value}"),
                time_from=window[0],
                time_to=window[1],
                address=(hub_label or stop.label) if is_hub else "",
                lat=stop.lat,
                lon=stop.lon,
                action=label(lang_, f"do.{stop.type.value}"),
                has_place=is_hub,
            )
        )
    courier = session.get(User, route.courier_id)
    vehicle = session.get(Vehicle, route.vehicle_id)
    km = round(route.distance_m / 1000, 1)
    return RouteSheet(
        lang=lang_,
        plan_id=route.plan_id,
        plan_version=route.plan.version,
        route_id=route.id,
        day=route.plan.day,
        day_text=format_day(lang_, route.plan.day),
        courier_name=courier.name if courier is not None else label(lang_, "unknown"),
        vehicle_name=vehicle.name if vehicle is not None else label(lang_, "unknown"),
        starts_at=_hhmm(route.starts_at),
        ends_at=_hhmm(route.ends_at),
        km=km,
        km_text=format_km(lang_, km),
        stop_count=sum(1 for s in stops if s.is_task),
        stops=tuple(stops),
        hub=hub,
        shows_pins=show_pins,
    )
