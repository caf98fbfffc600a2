"""Bottrop demo data for ``make demo``: accounts for every role, shops with opening hours and
offers, LOUISE Points and lockers, districts, the fleet with the next working day's shifts,
residents and about forty bookings for that day.

Everything goes through the real services (accounts, shops, offers, Points, districts,
bookings, vehicles and shifts), so the demo shows what the rules allow. One exception: the
first admin (nobody exists to create it).

Deterministic: the choices come from ``random.Random(SEED)``; only the dates follow ``now``
(the bookings are for the next service day) and the codes, PINs and tokens the booking
service draws itself.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from louise.auth import passwords
from louise.auth import service as accounts
from louise.auth.models import AccountStatus, Role, User
from louise.bookings import places
from louise.bookings.common import AddressInput, BookingContext, BookingRequest, HotlineCustomer
from louise.bookings.create import create_booking
from louise.bookings.models import (
    Booking,
    DeliveryPoint,
    DestinationType,
)
from louise.bookings.policy import ServicePolicy
from louise.bookings.runtime import context_from_config
from louise.bookings.sender import queue_pickup_reminders
from louise.demo import history
from louise.demo.data import (
    ADMIN_EMAIL,
    BOOKING_MIX,
    CITY,
    COURIERS,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DISTRICTS,
    EVENING_SHARE,
    POINTS,
    RESIDENTS,
    SEED,
    SHOPS,
    DemoDataPresent,
    DemoDayNotBookable,
    DemoSummary,
    Login,
    _t,
)
from louise.errors import DomainError
from louise.fleet import service as fleet
from louise.fleet.models import Vehicle, VehicleKind
from louise.geo.distance import haversine_m
from louise.geo.geocoders import (
    AddressQuery,
    Geocoder,
)
from louise.merchants.models import Offer, OfferKind
from louise.merchants.offers import create_offer
from louise.merchants.shops import create_merchant
from louise.models import load_all

# --- helpers ----------------------------------------------------------------------------------


def demo_context(config: Mapping[str, Any]) -> BookingContext:
    """The booking context of ``config``, without an app context."""
    return context_from_config(config)


def _email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def _locate(geocoder: Geocoder, street: str, number: str | None, postcode: str) -> Any:
    return geocoder.geocode(AddressQuery(street, number, postcode, CITY))


def reset_demo_data(session: Session) -> None:
    """Delete every row of every table (children first); the schema stays. Tables a model
    declares but the migrations have not created yet are left alone."""
    base = load_all()
    existing = set(inspect(session.connection()).get_table_names())
    for table in reversed(base.metadata.sorted_tables):
        if table.name in existing:
            session.execute(table.delete())
    session.commit()
    session.expunge_all()  # the deleted rows' objects must not linger in the identity map


# --- the seed ---------------------------------------------------------------------------------


def demo_day(policy: ServicePolicy, now: datetime, day: date | None = None) -> date:
    """The day the demo books and staffs: ``day``, or the next service day after ``now``.

    Rule: the seed books every window of that day, and daytime windows close at the end of
    the previous day, so the day is from tomorrow up to the booking horizon, and a service
    day. Raises :class:`DemoDayNotBookable` otherwise."""
    today = policy.local(now).date()
    if day is None:
        return policy.next_service_day(today, include=False)
    first, last = today + timedelta(days=1), today + timedelta(days=policy.horizon_days)
    if not first <= day <= last:
        raise DemoDayNotBookable(
            f"must be from {first.isoformat()} to {last.isoformat()} (tomorrow up to the "
            f"booking horizon: the demo books the day's morning windows too), "
            f"got {day.isoformat()}"
        )
    if not policy.is_service_day(day):
        raise DemoDayNotBookable(
            f"{day:%A %d.%m.%Y} is no service day (Sundays and public holidays are closed); "
            f"the next one is {policy.next_service_day(day).isoformat()}"
        )
    return day


def seed_demo(
    session: Session,
    config: Mapping[str, Any],
    now: datetime,
    day: date | None = None,
    history_days: int = 0,
) -> DemoSummary:
    """Load the Bottrop demo into an empty database; bookings are for ``day`` (see
    :func:`demo_day`; default the next service day after ``now``). With ``history_days``,
    the service days of that many calendar days before today are booked, planned, worked
    and put in the impact ledger too (:mod:`louise.demo.history`; ``flask seed`` takes 28,
    the tests and benchmarks none). Raises :class:`DemoDataPresent` when the demo admin
    exists already."""
    if session.scalar(select(func.count()).select_from(User).where(User.email == ADMIN_EMAIL)):
        raise DemoDataPresent("The demo data is loaded already; use `flask seed --reset`.")
    rng = random.Random(SEED)
    ctx = demo_context(config)
    day = demo_day(ctx.policy, now, day)
    summary = DemoSummary(service_day=day)

    admin = _create_admin(session)
    summary.logins.append(Login("admin", admin.name, ADMIN_EMAIL, DEMO_PASSWORD))
    dispatcher = accounts.create_account(
        session,
        admin,
        accounts.AccountData(_email("dispatch"), "Dispo & Hotline", DEMO_PASSWORD, "02041 70 30 0"),
        Role.DISPATCHER,
    )
    summary.logins.append(
        Login("dispatcher", dispatcher.name, _email("dispatch"), DEMO_PASSWORD, "plans, hotline")
    )
    couriers = []
    for name, local, phone in COURIERS:
        courier = accounts.create_account(
            session,
            admin,
            accounts.AccountData(_email(local), name, DEMO_PASSWORD, phone),
            Role.COURIER,
        )
        couriers.append(courier)
        summary.logins.append(Login("courier", name, _email(local), DEMO_PASSWORD))

    offers = _seed_shops(session, ctx, admin, summary)
    for data in DISTRICTS:
        places.create_district(session, dispatcher, dict(data))
        summary.districts += 1
    points = _seed_points(session, ctx, dispatcher, summary)
    demo_fleet = _seed_fleet(session, admin, ctx, day, couriers, summary)
    residents = _seed_residents(session, ctx, summary)
    # created last, so the other accounts keep their ids; listed after the dispatcher
    city = accounts.create_account(
        session,
        admin,
        accounts.AccountData(_email("stadt"), "Stadt Bottrop, Wirtschaftsförderung", DEMO_PASSWORD),
        Role.CITY,
    )
    summary.logins.insert(
        2, Login("city", city.name, _email("stadt"), DEMO_PASSWORD, "aggregates only: impact, KPIs")
    )
    _seed_bookings(session, ctx, rng, day, now, offers, residents, points, summary)
    _seed_hotline(session, ctx, dispatcher, day, now, offers, summary)
    summary.reminders = queue_pickup_reminders(session, day, now)
    summary.bookings = session.scalar(select(func.count()).select_from(Booking)) or 0
    _note_open_bookings(session, ctx.policy.max_open_bookings_per_day, residents, summary)
    if history_days > 0:
        # after the demo day: its bookings (and their ids) are the same with or without history
        days = history.history_days(ctx, ctx.policy.local(now).date(), history_days)
        cast = history.HistoryCast(
            dispatcher=dispatcher,
            couriers={c.id: c for c in couriers},
            residents=residents,
            offers=offers,
            points=points,
        )
        summary.history = history.seed_history(
            session,
            config,
            ctx,
            cast,
            days,
            lambda d: seed_shifts(session, ctx, demo_fleet, d),
            random.Random(SEED + 1),
        )
    return summary


def _note_open_bookings(
    session: Session, limit: int, residents: list[_Resident], summary: DemoSummary
) -> None:
    """Print next to each resident how many of the day's open bookings they hold already."""
    rows = session.execute(
        select(Booking.customer_id, func.count())
        .where(Booking.customer_id.in_([r.user.id for r in residents]))
        .group_by(Booking.customer_id)
    ).all()
    held: dict[int, int] = {customer_id: count for customer_id, count in rows}
    by_email = {r.user.email: held.get(r.user.id, 0) for r in residents}
    summary.logins = [
        replace(login, note=f"{login.note}; holds {by_email[login.email]} of {limit} bookings")
        if login.email in by_email
        else login
        for login in summary.logins
    ]


def _create_admin(session: Session) -> User:
    # The first admin: nobody exists yet who could create it through the service.
    admin = User(
        email=ADMIN_EMAIL,
        password_hash=passwords.hash_password(DEMO_PASSWORD),
        role=Role.ADMIN,
        status=AccountStatus.ACTIVE,
        name="Admin LOUISE",
        phone=None,
        locale="de",
    )
    session.add(admin)
    session.commit()
    return admin


def _seed_shops(
    session: Session, ctx: BookingContext, admin: User, summary: DemoSummary
) -> dict[str, list[Offer]]:
    """Each shop owner registers (pending), opens the shop, lists offers; the admin approves."""
    by_kind: dict[str, list[Offer]] = {k.value: [] for k in OfferKind}
    for spec in SHOPS:
        email = _email(spec.key)
        owner = accounts.register(
            session,
            accounts.AccountData(email, spec.owner, DEMO_PASSWORD, spec.phone),
            Role.MERCHANT,
        )
        merchant = create_merchant(
            session,
            owner,
            {
                "name": spec.name,
                "category": spec.category,
                "description": spec.description,
                "phone": spec.phone,
                "email": f"shop-{spec.key}@{DEMO_DOMAIN}",
                "address": {
                    "street": spec.street,
                    "house_number": spec.number,
                    "postcode": spec.postcode,
                    "city": CITY,
                },
                "opening_hours": spec.hours,
            },
            geocoder=ctx.geocoder,
            area=ctx.area,
        )
        for offer_spec in spec.offers:
            data: dict[str, Any] = {
                "kind": offer_spec.kind,
                "title": offer_spec.title,
                "description": offer_spec.description,
                "price_cents": offer_spec.price_cents,
                "parcel_size": offer_spec.parcel_size,
                "turnaround_days": offer_spec.turnaround_days,
                "daily_capacity": offer_spec.daily_capacity,
            }
            if offer_spec.parcel_size == "custom":
                data |= {"volume_l": offer_spec.volume_l, "weight_kg": offer_spec.weight_kg}
            offer = create_offer(session, owner, merchant.id, data)
            by_kind[offer.kind.value].append(offer)
            summary.offers += 1
        accounts.set_status(session, admin, owner.id, AccountStatus.ACTIVE)
        summary.merchants += 1
        summary.logins.append(Login("merchant", spec.owner, email, DEMO_PASSWORD, spec.name))
    return by_kind


def _seed_points(
    session: Session, ctx: BookingContext, dispatcher: User, summary: DemoSummary
) -> list[DeliveryPoint]:
    out = []
    for kind, name, street, number, postcode, hours, shelf, compartments, notes in POINTS:
        found = _locate(ctx.geocoder, street, number, postcode)
        point = places.create_point(
            session,
            dispatcher,
            {
                "kind": DestinationType(kind),
                "name": name,
                "address_label": found.label,
                "lat": found.lat,
                "lon": found.lon,
                "opening_hours": hours,
                "shelf_capacity": shelf,
                "compartments": compartments,
                "access_notes": notes,
            },
        )
        out.append(point)
        if point.kind == DestinationType.LOCKER:
            summary.lockers += 1
        else:
            summary.points += 1
    return out


@dataclass(frozen=True)
class DemoFleet:
    """The demo's vehicles and couriers (the history staffs its days with them too)."""

    admin: User
    couriers: list[User]
    bikes: list[Vehicle]
    car: Vehicle


def _seed_fleet(
    session: Session,
    admin: User,
    ctx: BookingContext,
    day: date,
    couriers: list[User],
    summary: DemoSummary,
) -> DemoFleet:
    """Four e-cargo-bikes for the town, one e-car for the outer districts, and the shifts of
    the service day (see :func:`seed_shifts`); created by the admin through the fleet
    service, as an operator would."""
    city = [d["name"] for d in DISTRICTS if "bike" in d["vehicle_kinds"]]
    outer = [d["name"] for d in DISTRICTS if "car" in d["vehicle_kinds"]]
    bikes = [
        fleet.create_vehicle(
            session,
            admin,
            {
                "name": f"Lastenrad {n}",
                "kind": VehicleKind.BIKE.value,
                "capacity_l": 200.0,
                "capacity_kg": 100.0,
                "speed_kmh": 15.0,
                "districts": city,
            },
        )
        for n in range(1, 5)
    ]
    car = fleet.create_vehicle(
        session,
        admin,
        {
            "name": "E-Auto Kirchhellen",
            "kind": VehicleKind.CAR.value,
            "capacity_l": 600.0,
            "capacity_kg": 300.0,
            "speed_kmh": 25.0,
            "districts": outer,
        },
    )
    demo_fleet = DemoFleet(admin, couriers, bikes, car)
    summary.vehicles += len(bikes) + 1
    summary.shifts += seed_shifts(session, ctx, demo_fleet, day)
    return demo_fleet


def seed_shifts(session: Session, ctx: BookingContext, demo_fleet: DemoFleet, day: date) -> int:
    """The shifts of one service day: a daytime bike, two bikes and the e-car in the evening
    wave; returns how many."""

    def at(hhmm: str) -> datetime:
        return datetime.combine(day, _t(hhmm), tzinfo=ctx.policy.tz)

    def pause(start: str, end: str, minutes: int) -> list[dict[str, Any]]:
        return [
            {"start": at(start).isoformat(), "end": at(end).isoformat(), "duration_s": minutes * 60}
        ]

    jonas, aylin, markus = demo_fleet.couriers
    bikes, car = demo_fleet.bikes, demo_fleet.car
    plan = [
        (jonas, bikes[0], "09:00", "13:00", []),
        (jonas, bikes[0], "17:00", "20:30", []),
        (aylin, bikes[1], "13:00", "20:30", pause("16:00", "17:30", 30)),
        (markus, car, "15:00", "20:30", []),
    ]
    for courier, vehicle, start, end, breaks in plan:
        fleet.create_shift(
            session,
            demo_fleet.admin,
            {
                "courier_id": courier.id,
                "vehicle_id": vehicle.id,
                "starts_at": at(start),
                "ends_at": at(end),
                "breaks": breaks,
            },
        )
    return len(plan)


@dataclass(frozen=True)
class _Resident:
    user: User
    address: AddressInput
    lat: float
    lon: float


def _seed_residents(session: Session, ctx: BookingContext, summary: DemoSummary) -> list[_Resident]:
    out = []
    for name, local, street, number, postcode, phone, locale in RESIDENTS:
        user = accounts.register(
            session,
            accounts.AccountData(_email(local), name, DEMO_PASSWORD, phone, locale),
            Role.CUSTOMER,
        )
        found = _locate(ctx.geocoder, street, number, postcode)
        address = AddressInput(street=street, house_number=number, postcode=postcode, city=CITY)
        out.append(_Resident(user, address, found.lat, found.lon))
        note = f"{street} {number}" + (" (English)" if locale == "en" else "")
        summary.logins.append(Login("customer", name, _email(local), DEMO_PASSWORD, note))
        summary.residents += 1
    return out


def _nearest(
    points: list[DeliveryPoint], kind: DestinationType, lat: float, lon: float
) -> DeliveryPoint:
    return min(
        (p for p in points if p.kind == kind), key=lambda p: haversine_m(lat, lon, p.lat, p.lon)
    )


NOTES = (
    None,
    None,
    None,
    "Bitte beim Nachbarn abgeben, falls niemand da ist.",
    "Klingel defekt – bitte anrufen.",
    "Hinterhaus, 2. Etage.",
)


def _seed_bookings(
    session: Session,
    ctx: BookingContext,
    rng: random.Random,
    day: date,
    now: datetime,
    offers: dict[str, list[Offer]],
    residents: list[_Resident],
    points: list[DeliveryPoint],
    summary: DemoSummary,
) -> None:
    """Residents book for the service day: each at most three times (the per-day limit),
    except the first printed one: she holds one booking, to follow, and can book two more
    in the walk (docs/demo.md). Products go to doors, Points and lockers; some round trips
    come back to a Point. A full window is retried in the next one; what still fails is
    reported, not hidden."""
    kinds = [kind for kind, n in BOOKING_MIX.items() for _ in range(n)]
    rng.shuffle(kinds)
    walker, others = residents[0], list(residents[1:])
    rng.shuffle(others)
    windows = [w.code for w in ctx.policy.windows]
    evening = next(w.code for w in ctx.policy.windows if w.evening)
    day_windows = [w for w in windows if w != evening]
    counters = {"product": 0, "service": 0}
    for i, kind in enumerate(kinds):
        resident = walker if i == 0 else others[(i - 1) % len(others)]
        offer = rng.choice(offers[kind])
        destination = DestinationType.DOOR
        if kind in counters:
            n = counters[kind]
            counters[kind] += 1
            if (kind == "product" and n % 4 == 1) or (kind == "service" and n % 5 == 2):
                destination = DestinationType.POINT
            elif kind == "product" and n % 4 == 3:
                destination = DestinationType.LOCKER
        point = (
            _nearest(points, destination, resident.lat, resident.lon)
            if destination != DestinationType.DOOR
            else None
        )
        first = evening if rng.random() < EVENING_SHARE else rng.choice(day_windows)
        note = rng.choice(NOTES)
        errors = []
        for window in [first, *(w for w in [evening, *reversed(day_windows)] if w != first)]:
            request = BookingRequest(
                offer_id=offer.id,
                day=day,
                window=window,
                address=resident.address,
                destination=destination,
                point_id=point.id if point is not None else None,
                notes=note,
            )
            try:
                create_booking(session, ctx, resident.user, request, now)
            except DomainError as exc:
                errors.append(f"{window}: {exc}")
                continue
            break
        else:
            summary.skipped.append(f"{resident.user.name} → {offer.title}: " + "; ".join(errors))


def _seed_hotline(
    session: Session,
    ctx: BookingContext,
    dispatcher: User,
    day: date,
    now: datetime,
    offers: dict[str, list[Offer]],
    summary: DemoSummary,
) -> None:
    """The hotline books for a customer without app, e-mail or login."""
    offer = next(o for o in offers["product"] if o.merchant.category.value == "pharmacy")
    request = BookingRequest(
        offer_id=offer.id,
        day=day,
        window="day-11",  # she asked for the late morning, while her daughter is there
        address=AddressInput(
            street="Osterfelder Straße", house_number="65", postcode="46242", city=CITY
        ),
        notes="Kundin ist gehbehindert, bitte Zeit lassen.",
        hotline_customer=HotlineCustomer(name="Gertrud Schäfer", phone="02041 98 76 54"),
    )
    try:
        create_booking(session, ctx, dispatcher, request, now)
    except DomainError as exc:
        summary.skipped.append(f"hotline: {exc}")
        return
    summary.hotline_bookings += 1
