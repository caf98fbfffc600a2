"""The Bottrop demo's data: accounts, shops with offers and hours, Points, lockers, districts,
couriers and the booking mix (see louise/demo/seed.py for how it is created)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

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
    history: Any = None  # louise.demo.history.HistorySummary when the seed made history


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
