"""Labels of the route sheet in German (the default) and English."""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

from louise.bookings import notifications

Lang = Literal["de", "en"]
LANGS: Final[tuple[Lang, ...]] = ("de", "en")
DEFAULT_LANG: Final[Lang] = "de"

_LABELS: Final[dict[Lang, dict[str, str]]] = {
    "de": {
        "title": "Tourenblatt",
        "courier": "Kurier",
        "vehicle": "Fahrzeug",
        "date": "Datum",
        "start": "Start",
        "end": "Ende",
        "distance": "Strecke",
        "stops": "Stopps",
        "plan": "Plan",
        "seq": "Nr.",
        "time": "Zeit (ETA)",
        "task": "Aufgabe",
        "address": "Adresse / Hinweise",
        "contact": "Kontakt",
        "parcel": "Sendung",
        "locker": "Fach / PIN",
        "signature": "Unterschrift / Notiz",
        "map": "Karte der Tour",
        "map_note": "Nummern = Stopp-Nr.; Quadrat = City-Station; Linie in Fahrtreihenfolge.",
        "type.pickup": "Abholung",
        "type.delivery": "Zustellung",
        "type.break": "Pause",
        "type.start": "Start",
        "type.end": "Ende",
        "do.pickup": "abholen",
        "do.delivery": "übergeben",
        "do.locker": "ins Fach legen",
        "do.break": "Pause",
        "do.start": "Ware laden, Tour starten",
        "do.end": "Rückgabe an der City-Station",
        "for": "für",
        "from": "von",
        "size": "Größe",
        "compartment": "Fach",
        "pin": "PIN",
        "pin_hidden": "nur auf dem Kurier-Blatt",
        "shelf": "Regal (Abholung mit Buchungscode)",
        "unknown": "unbekannt",
        "no_route": "Keine Stopps auf dieser Tour.",
    },
    "en": {
        "title": "Route sheet",
        "courier": "Courier",
        "vehicle": "Vehicle",
        "date": "Date",
        "start": "Start",
        "end": "End",
        "distance": "Distance",
        "stops": "Stops",
        "plan": "Plan",
        "seq": "No.",
        "time": "Time (ETA)",
        "task": "Task",
        "address": "Address / notes",
        "contact": "Contact",
        "parcel": "Parcel",
        "locker": "Compartment / PIN",
        "signature": "Signature / note",
        "map": "Route map",
        "map_note": "Numbers = stop no.; square = City-Station; line in driving order.",
        "type.pickup": "Pickup",
        "type.delivery": "Delivery",
        "type.break": "Break",
        "type.start": "Start",
        "type.end": "End",
        "do.pickup": "collect",
        "do.delivery": "hand over",
        "do.locker": "put into compartment",
        "do.break": "Break",
        "do.start": "Load parcels, start the route",
        "do.end": "Return to the City-Station",
        "for": "for",
        "from": "from",
        "size": "Size",
        "compartment": "Compartment",
        "pin": "PIN",
        "pin_hidden": "on the courier's own sheet",
        "shelf": "Shelf (pickup with booking code)",
        "unknown": "unknown",
        "no_route": "No stops on this route.",
    },
}


def language(value: str | None) -> Lang:
    """``"de"`` unless ``value`` names English (``"en"``, ``"en-GB"`` …)."""
    if value and value.lower().split("-")[0].split("_")[0] == "en":
        return "en"
    return DEFAULT_LANG


def label(lang: Lang, key: str) -> str:
    return _LABELS[lang][key]


def labels(lang: Lang) -> dict[str, str]:
    return dict(_LABELS[lang])


def format_day(lang: Lang, day: date) -> str:
    return notifications.format_day(lang, day)


def format_km(lang: Lang, km: float) -> str:
    text = f"{km:.1f} km"
    return text.replace(".", ",") if lang == "de" else text
