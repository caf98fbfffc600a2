"""Bottrop demo data for ``make demo``: accounts for every role, shops with opening hours and
offers, LOUISE Points and lockers, districts, the fleet with the next working day's shifts,
residents and about forty bookings for that day.

Everything goes through the real services (accounts, shops, offers, Points, districts,
bookings), so the demo shows what the rules allow. Two exceptions have no service yet: the
first admin (nobody exists to create it) and the fleet (vehicles and shifts are rows).

Deterministic: the choices come from ``random.Random(SEED)``; only the dates follow ``now``
(the bookings are for the next service day) and the codes, PINs and tokens the booking
service draws itself.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from louise.auth import passwords
from louise.auth import service as accounts
from louise.auth.models import AccountStatus, Role, User
from louise.bookings import places
from louise.bookings.common import (
    AddressInput,
    BookingContext,
    BookingRequest,
    HotlineCustomer,
)
from louise.bookings.create import create_booking
from louise.bookings.legs import Stop
from louise.bookings.models import (
    Booking,
    DeliveryPoint,
    DestinationType,
    StopKind,
)
from louise.bookings.policy import ServicePolicy
from louise.bookings.runtime import policy_from_config
from louise.bookings.sender import queue_pickup_reminders
from louise.errors import DomainError
from louise.fleet.models import Shift, Vehicle, VehicleKind
from louise.geo.distance import haversine_m
from louise.geo.geocoders import (
    AddressQuery,
    Geocoder,
    geocoder_from_config,
    service_area_from_config,
)
from louise.merchants import service as shops
from louise.merchants.models import Offer, OfferKind
from louise.models import load_all

SEED = 2021
DEMO_PASSWORD = "louise-demo"
DEMO_DOMAIN = "louise.test"  # RFC 2606: never a real mailbox
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
CITY = "Bottrop"


class DemoDataPresent(RuntimeError):
    """The database has demo data already (``flask seed --reset`` starts over)."""


class DemoDayNotBookable(ValueError):
    """The chosen demo day cannot be booked now (``flask seed --date``)."""


@dataclass(frozen=True)
class Login:
    role: str
    name: str
    email: str
    password: str
    note: str = ""


@dataclass
class DemoSummary:
    service_day: date
    logins: list[Login] = field(default_factory=list)
    merchants: int = 0
    offers: int = 0
    points: int = 0
    lockers: int = 0
    districts: int = 0
    vehicles: int = 0
    shifts: int = 0
    residents: int = 0
    bookings: int = 0
    hotline_bookings: int = 0
    reminders: int = 0
    skipped: list[str] = field(default_factory=list)


# --- the data ---------------------------------------------------------------------------------

Hours = dict[int, list[tuple[time, time]]]
MON_FRI = range(5)


def _t(text: str) -> time:
    return time.fromisoformat(text)


def _week(*parts: tuple[Sequence[int], Sequence[str]]) -> Hours:
    """``_week((MON_FRI, ["09:00-18:00"]), ([5], ["09:00-13:00"]))``."""
    weekly: Hours = {}
    for days, spans in parts:
        for day in days:
            weekly[day] = [(_t(s.split("-")[0]), _t(s.split("-")[1])) for s in spans]
    return weekly


@dataclass(frozen=True)
class OfferSpec:
    kind: str
    title: str
    price_cents: int
    parcel_size: str
    description: str = ""
    turnaround_days: int | None = None
    daily_capacity: int | None = None
    volume_l: float | None = None
    weight_kg: float | None = None


@dataclass(frozen=True)
class ShopSpec:
    key: str
    name: str
    category: str
    owner: str
    street: str
    number: str
    postcode: str
    phone: str
    description: str
    hours: Hours
    offers: tuple[OfferSpec, ...]


S, P, C = "service", "product", "collection"

SHOPS: tuple[ShopSpec, ...] = (
    ShopSpec(
        "cobbler",
        "Schuhmacherei Kowalski",
        "cobbler",
        "Marek Kowalski",
        "Hochstraße",
        "17",
        "46236",
        "02041 261 340",
        "Schuh- und Lederreparaturen seit 1987, Schlüsseldienst.",
        _week((MON_FRI, ["09:00-13:00", "14:30-18:00"]), ([5], ["09:00-13:00"])),
        (
            OfferSpec(S, "Absätze erneuern", 1890, "S", "Damen- oder Herrenabsätze", 3, 12),
            OfferSpec(S, "Schuhe neu besohlen", 4900, "M", "Leder- oder Gummisohle", 5, 6),
            OfferSpec(S, "Reißverschluss an Stiefeln ersetzen", 2400, "M", "", 4, 6),
            OfferSpec(P, "Schuhpflege-Set", 1495, "S", "Creme, Bürste, Imprägnierspray"),
            OfferSpec(C, "Altschuhe zur Spende abgeben", 0, "M", "Für die Kleiderkammer"),
        ),
    ),
    ShopSpec(
        "laundry",
        "Wäscherei & Reinigung Blitzblank",
        "laundry",
        "Sandra Blitz",
        "Gladbecker Straße",
        "13",
        "46236",
        "02041 688 120",
        "Textilreinigung, Hemdendienst und Mangelwäsche.",
        _week((MON_FRI, ["08:00-18:30"]), ([5], ["09:00-14:00"])),
        (
            OfferSpec(S, "Hemden waschen & bügeln (5 Stück)", 1250, "M", "", 1, 30),
            OfferSpec(S, "Anzug chemisch reinigen", 1890, "M", "Sakko und Hose", 2, 15),
            OfferSpec(S, "Bettwäsche waschen & mangeln", 1590, "L", "bis 2 Garnituren", 2, 15),
            OfferSpec(C, "Kleiderspende (Altkleider)", 0, "L", "Saubere, tragbare Kleidung"),
        ),
    ),
    ShopSpec(
        "tailor",
        "Änderungsschneiderei Yılmaz",
        "tailor",
        "Ayşe Yılmaz",
        "Osterfelder Straße",
        "9",
        "46236",
        "02041 776 905",
        "Änderungen und Reparaturen; schließt vor der Abendtour (17:00).",
        _week((MON_FRI, ["09:30-17:00"]), ([5], ["10:00-14:00"])),
        (
            OfferSpec(S, "Hose kürzen", 1400, "S", "mit Originalsaum +5 €", 3, 10),
            OfferSpec(S, "Reißverschluss ersetzen (Jacke)", 2200, "M", "", 4, 8),
            OfferSpec(S, "Kleid enger machen", 3500, "M", "", 5, 4),
        ),
    ),
    ShopSpec(
        "bookshop",
        "Buchhandlung am Pferdemarkt",
        "bookshop",
        "Heike Sommer",
        "Pferdemarkt",
        "5",
        "46236",
        "02041 223 344",
        "Unabhängige Buchhandlung: Romane, Kinderbücher, Regionales.",
        _week((MON_FRI, ["09:30-19:00"]), ([5], ["09:30-16:00"])),
        (
            OfferSpec(P, "Ruhrpott-Krimi (Taschenbuch)", 1200, "S"),
            OfferSpec(P, "Bildband „Bottrop – Stadt im Wandel“", 2990, "S"),
            OfferSpec(P, "Überraschungspaket Kinderbücher", 2500, "M", "3 Bücher, 4–8 Jahre"),
            OfferSpec(C, "Bücherspende für die Stadtbibliothek", 0, "M"),
        ),
    ),
    ShopSpec(
        "bikes",
        "Zweirad Berger",
        "bike_shop",
        "Frank Berger",
        "Horster Straße",
        "57",
        "46240",
        "02041 180 470",
        "Fahrräder, E-Bikes, Werkstatt. Montags nur nachmittags.",
        _week(([0], ["14:00-18:00"]), (range(1, 5), ["10:00-18:00"]), ([5], ["10:00-14:00"])),
        (
            OfferSpec(S, "Laufrad zentrieren", 1900, "custom", "", 2, 6, 60.0, 3.0),
            OfferSpec(
                S, "Schlauch und Mantel wechseln (Laufrad)", 2500, "custom", "", 2, 8, 60.0, 3.0
            ),
            OfferSpec(P, "Fahrradschloss (Bügelschloss)", 3490, "S"),
            OfferSpec(P, "Fahrradhelm", 5990, "M"),
            OfferSpec(C, "Altreifen-Rücknahme", 0, "L"),
        ),
    ),
    ShopSpec(
        "organic",
        "Bioladen Kornblume",
        "grocery",
        "Jan Kornmann",
        "Kirchhellener Straße",
        "13",
        "46236",
        "02041 409 811",
        "Bio-Lebensmittel aus der Region, Gemüsekisten.",
        _week((MON_FRI, ["08:00-19:00"]), ([5], ["08:00-16:00"])),
        (
            OfferSpec(P, "Gemüsekiste regional", 2490, "L", "saisonal, ca. 6 kg"),
            OfferSpec(P, "Obstkiste", 1990, "M"),
            OfferSpec(P, "Frühstückspaket", 1590, "M", "Brot, Butter, Käse, Marmelade"),
            OfferSpec(C, "Pfandkisten-Rückgabe", 0, "L"),
        ),
    ),
    ShopSpec(
        "florist",
        "Blumen Lindemann",
        "florist",
        "Petra Lindemann",
        "Essener Straße",
        "7",
        "46236",
        "02041 245 600",
        "Sträuße, Topfpflanzen, Trauerfloristik.",
        _week((MON_FRI, ["08:30-18:30"]), ([5], ["08:00-14:00"])),
        (
            OfferSpec(P, "Blumenstrauß der Saison", 2500, "M"),
            OfferSpec(P, "Orchidee im Topf", 1990, "M"),
            OfferSpec(P, "Kräutertöpfe (3 Stück)", 890, "S"),
        ),
    ),
    ShopSpec(
        "pharmacy",
        "Apotheke am Altmarkt",
        "pharmacy",
        "Dr. Claudia Reuter",
        "Altmarkt",
        "4",
        "46236",
        "02041 262 626",
        "Vorbestellte Arzneimittel, Rezeptabholung.",
        _week((MON_FRI, ["08:00-18:30"]), ([5], ["08:30-13:00"])),
        (
            OfferSpec(P, "Arzneimittel-Lieferung (vorbestellt)", 250, "S", "Lieferpauschale"),
            OfferSpec(P, "Erkältungsset", 1490, "S", "Tee, Lutschtabletten, Nasenspray"),
            OfferSpec(C, "Altmedikamente-Rückgabe", 0, "S"),
        ),
    ),
    ShopSpec(
        "bakery",
        "Landbäckerei Schmücker",
        "bakery",
        "Bernd Schmücker",
        "Hauptstraße",
        "10",
        "46244",
        "02045 3 18 70",
        "Backstube in Kirchhellen.",
        _week((MON_FRI, ["06:30-18:00"]), ([5], ["06:30-13:00"])),
        (
            OfferSpec(P, "Brötchen-Frühstückstüte", 890, "S", "8 Brötchen, gemischt"),
            OfferSpec(P, "Blechkuchen (ganzes Blech)", 2200, "L"),
        ),
    ),
    ShopSpec(
        "electronics",
        "Elektro Hülsmann",
        "electronics",
        "Uwe Hülsmann",
        "Kirchhellener Straße",
        "83",
        "46240",
        "02041 551 903",
        "Reparatur von Handys und Kleingeräten.",
        _week((MON_FRI, ["09:00-13:00", "15:00-18:30"]), ([5], ["09:00-13:00"])),
        (
            OfferSpec(S, "Handy-Displaytausch", 8900, "S", "gängige Modelle", 3, 4),
            OfferSpec(S, "Kleingeräte-Reparatur (Toaster, Föhn …)", 3900, "M", "", 5, 5),
            OfferSpec(C, "Elektro-Altgeräte abgeben", 0, "M"),
        ),
    ),
)

# name, e-mail local part, street, number, postcode, phone, locale
RESIDENTS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("Anna Becker", "anna.becker", "Hansastraße", "20", "46236", "0171 2233441", "de"),
    ("Thomas Wagner", "thomas.wagner", "Westring", "22", "46236", "0172 4455662", "de"),
    ("Fatma Öztürk", "fatma.oeztuerk", "Prosperstraße", "44", "46238", "0176 1200345", "de"),
    ("Klaus Schulte", "klaus.schulte", "Welheimer Straße", "33", "46238", "02041 71 22 1", "de"),
    ("Sabine Hoffmann", "sabine.hoffmann", "Scharnhölzstraße", "98", "46242", "0151 889900", "de"),
    ("Michael Krause", "michael.krause", "Vonderorter Straße", "25", "46242", "0160 5566778", "de"),
    ("Emily Carter", "emily.carter", "Friedrich-Ebert-Straße", "31", "46236", "0157 3141592", "en"),
    ("Jürgen Schmitz", "juergen.schmitz", "Am Lamperfeld", "13", "46240", "02041 90 80 7", "de"),
    ("Monika Lange", "monika.lange", "Essener Straße", "90", "46238", "0173 2718281", "de"),
    ("James O'Brien", "james.obrien", "Horster Straße", "105", "46240", "0152 1618033", "en"),
    ("Helga Brauer", "helga.brauer", "Hauptstraße", "42", "46244", "02045 40 11 2", "de"),
    ("Stefan Kemper", "stefan.kemper", "Feldhausener Straße", "26", "46244", "0175 9988776", "de"),
    ("Laura Janssen", "laura.janssen", "Alter Postweg", "46", "46244", "0162 1234567", "de"),
    ("Daniel Richter", "daniel.richter", "Ostring", "9", "46236", "0178 7654321", "de"),
    ("Ingrid Pohl", "ingrid.pohl", "Kirchhellener Straße", "143", "46240", "02041 3 44 55", "de"),
)

# kind, name, street, number, postcode, opening hours, shelf places, compartments, notes
POINTS: tuple[
    tuple[str, str, str, str | None, str, dict[str, Any] | None, int, dict[str, int], str], ...
] = (
    (
        "point",
        "LOUISE Point Trinkhalle Batenbrock",
        "Gladbecker Straße",
        "79",
        "46238",
        {d: [["06:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
        | {"sun": [["08:00", "20:00"]]},
        15,
        {},
        "Kiosk, am Tresen: Abgabe und Abholung mit der 6-stelligen Abhol-PIN",
    ),
    (
        "point",
        "LOUISE Point Tankstelle Lehmkuhle",
        "Kirchhellener Straße",
        "193",
        "46240",
        {d: [["06:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        20,
        {},
        "Tankstellen-Shop, Regal hinter der Kasse: Abgabe und Abholung mit der Abhol-PIN",
    ),
    (
        "point",
        "LOUISE Point Lotto-Kiosk Grafenwald",
        "Schneiderstraße",
        "8",
        "46244",
        {d: [["06:30", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
        10,
        {},
        "Lotto- und Zeitschriftenladen: Abgabe und Abholung mit der Abhol-PIN",
    ),
    (
        "locker",
        "Paketschließfach Hauptbahnhof",
        "Bottrop Hauptbahnhof",
        None,
        "46238",
        None,
        0,
        {"S": 12, "M": 8, "L": 4, "XL": 2},
        "24/7, Eingang Bahnhofsvorplatz; das Fach öffnet die 6-stellige Abhol-PIN",
    ),
    (
        "locker",
        "Paketschließfach Berliner Platz",
        "Berliner Platz",
        None,
        "46236",
        None,
        0,
        {"S": 10, "M": 6, "L": 4, "XL": 0},
        "24/7, neben dem Busbahnhof; das Fach öffnet die 6-stellige Abhol-PIN",
    ),
)

# Boxes (lat/lon); outer districts lie north of ~51.565 and are served by the e-car.
DISTRICTS: tuple[dict[str, Any], ...] = (
    {
        "name": "Kirchhellen",
        "min_lat": 51.595,
        "max_lat": 51.65,
        "min_lon": 6.83,
        "max_lon": 6.927,
        "vehicle_kinds": ["car"],
        "priority": 10,
    },
    {
        "name": "Feldhausen",
        "min_lat": 51.595,
        "max_lat": 51.65,
        "min_lon": 6.927,
        "max_lon": 7.05,
        "vehicle_kinds": ["car"],
        "priority": 10,
    },
    {
        "name": "Grafenwald",
        "min_lat": 51.565,
        "max_lat": 51.595,
        "min_lon": 6.83,
        "max_lon": 7.05,
        "vehicle_kinds": ["car"],
        "priority": 10,
    },
    {
        "name": "Bottrop Stadt",
        "min_lat": 51.48,
        "max_lat": 51.565,
        "min_lon": 6.83,
        "max_lon": 7.05,
        "vehicle_kinds": ["bike"],
        "priority": 20,
    },
)

COURIERS = (
    ("Jonas Nowak", "jonas.nowak", "0170 1112223"),
    ("Aylin Demir", "aylin.demir", "0170 3334445"),
    ("Markus Brandt", "markus.brandt", "0170 5556667"),
)
#: Bookings of residents (the hotline booking comes on top): round trips, deliveries,
#: collections.
BOOKING_MIX = {"service": 13, "product": 19, "collection": 8}
EVENING_SHARE = 0.6


# --- helpers ----------------------------------------------------------------------------------


def demo_context(config: Mapping[str, Any]) -> BookingContext:
    """The booking context of ``config`` (as ``louise.bookings.runtime`` builds it), without
    an app context."""
    return BookingContext(
        policy=policy_from_config(config),
        geocoder=geocoder_from_config(config),
        area=service_area_from_config(config),
        hub=Stop(
            StopKind.HUB,
            f"{config['HUB_NAME']}, {config['HUB_ADDRESS']}",
            float(config["HUB_LAT"]),
            float(config["HUB_LON"]),
        ),
        default_fleet_size=int(config.get("DEFAULT_FLEET_SIZE") or 3),
    )


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
    session: Session, config: Mapping[str, Any], now: datetime, day: date | None = None
) -> DemoSummary:
    """Load the Bottrop demo into an empty database; bookings are for ``day`` (see
    :func:`demo_day`; default the next service day after ``now``). Raises
    :class:`DemoDataPresent` when the demo admin exists already."""
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
    _seed_fleet(session, ctx, day, couriers, summary)
    residents = _seed_residents(session, ctx, summary)
    _seed_bookings(session, ctx, rng, day, now, offers, residents, points, summary)
    _seed_hotline(session, ctx, dispatcher, day, now, offers, summary)
    summary.reminders = queue_pickup_reminders(session, day, now)
    summary.bookings = session.scalar(select(func.count()).select_from(Booking)) or 0
    _note_open_bookings(session, ctx.policy.max_open_bookings_per_day, residents, summary)
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
        merchant = shops.create_merchant(
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
            offer = shops.create_offer(session, owner, merchant.id, data)
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


def _seed_fleet(
    session: Session, ctx: BookingContext, day: date, couriers: list[User], summary: DemoSummary
) -> None:
    """Four e-cargo-bikes for the town, one e-car for the outer districts, and the shifts of
    the service day: a daytime bike, two bikes and the e-car in the evening wave."""
    city = [d["name"] for d in DISTRICTS if "bike" in d["vehicle_kinds"]]
    outer = [d["name"] for d in DISTRICTS if "car" in d["vehicle_kinds"]]
    bikes = [
        Vehicle(
            name=f"Lastenrad {n}",
            kind=VehicleKind.BIKE,
            capacity_l=200.0,
            capacity_kg=100.0,
            speed_kmh=15.0,
            districts=city,
        )
        for n in range(1, 5)
    ]
    car = Vehicle(
        name="E-Auto Kirchhellen",
        kind=VehicleKind.CAR,
        capacity_l=600.0,
        capacity_kg=300.0,
        speed_kmh=25.0,
        districts=outer,
    )
    session.add_all([*bikes, car])
    session.flush()

    def at(hhmm: str) -> datetime:
        return datetime.combine(day, _t(hhmm), tzinfo=ctx.policy.tz)

    def pause(start: str, end: str, minutes: int) -> list[dict[str, Any]]:
        return [
            {"start": at(start).isoformat(), "end": at(end).isoformat(), "duration_s": minutes * 60}
        ]

    jonas, aylin, markus = couriers
    shifts = [
        Shift(day=day, courier=jonas, vehicle=bikes[0], starts_at=at("09:00"), ends_at=at("13:00")),
        Shift(day=day, courier=jonas, vehicle=bikes[0], starts_at=at("17:00"), ends_at=at("20:30")),
        Shift(
            day=day,
            courier=aylin,
            vehicle=bikes[1],
            starts_at=at("13:00"),
            ends_at=at("20:30"),
            breaks=pause("16:00", "17:30", 30),
        ),
        Shift(day=day, courier=markus, vehicle=car, starts_at=at("15:00"), ends_at=at("20:30")),
    ]
    session.add_all(shifts)
    session.commit()
    summary.vehicles += len(bikes) + 1
    summary.shifts += len(shifts)


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


# --- the command ------------------------------------------------------------------------------


def format_summary(summary: DemoSummary) -> str:
    lines = [
        f"Bottrop demo loaded for {summary.service_day:%A %d.%m.%Y}:",
        f"  {summary.merchants} shops, {summary.offers} offers, {summary.points} LOUISE Points, "
        f"{summary.lockers} lockers, {summary.districts} districts",
        f"  {summary.vehicles} vehicles, {summary.shifts} shifts, {summary.residents} residents",
        f"  {summary.bookings} bookings ({summary.hotline_bookings} by the hotline), "
        f"{summary.reminders} pickup reminders queued",
    ]
    for item in summary.skipped:
        lines.append(f"  NOT booked: {item}")
    lines += ["", f"Demo logins (password for every account: {DEMO_PASSWORD}):"]
    width = max(len(login.email) for login in summary.logins)
    for login in summary.logins:
        note = f"  {login.note}" if login.note else ""
        lines.append(f"  {login.role:<10} {login.email:<{width}}  {login.name}{note}")
    return "\n".join(lines)


@click.command("seed")
@click.option("--reset", is_flag=True, help="Delete all data first, then load the demo.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Book and staff this day (YYYY-MM-DD, from tomorrow up to the booking horizon); "
    "default: the next service day.",
)
@click.option(
    "--day-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the demo day (YYYY-MM-DD) into this file, for scripts (plan-day).",
)
@with_appcontext
def seed_command(reset: bool, day: datetime | None, day_file: Path | None) -> None:
    """Load the Bottrop demo data (shops, offers, Points, fleet, residents, bookings)."""
    from louise.clock import now
    from louise.extensions import db

    session = db.session()
    moment = now()
    chosen = day.date() if day is not None else None
    try:
        # refuse a bad day before --reset deletes anything
        demo_day(policy_from_config(current_app.config), moment, chosen)
    except DemoDayNotBookable as exc:
        raise click.ClickException(f"--date {exc}") from None
    if reset:
        reset_demo_data(session)
    try:
        summary = seed_demo(session, current_app.config, moment, chosen)
    except DemoDataPresent as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_summary(summary))
    if day_file is not None:
        day_file.write_text(summary.service_day.isoformat() + "\n")


__all__ = [
    "DEMO_PASSWORD",
    "DemoDataPresent",
    "DemoDayNotBookable",
    "DemoSummary",
    "Login",
    "demo_context",
    "demo_day",
    "format_summary",
    "reset_demo_data",
    "seed_command",
    "seed_demo",
]
