"""Every text of the city's monthly impact report, per language, in one place (German is the
default). A translation catalogue (Flask-Babel) can take these over as they are: one key,
one string per language, ``{placeholders}`` for the numbers."""

from __future__ import annotations

from typing import Final, Literal

from louise.bookings.notifications import MONTHS_EN

Lang = Literal["de", "en"]
LANGS: Final[tuple[Lang, ...]] = ("de", "en")
DEFAULT_LANG: Final[Lang] = "de"

MONTHS: Final[dict[Lang, tuple[str, ...]]] = {
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "en": MONTHS_EN,  # as the English messages name them
}

TEXTS: Final[dict[Lang, dict[str, str]]] = {
    "de": {
        "title": "LOUISE Bottrop – Wirkungsbericht {month}",
        "subtitle": "Lastenrad-Logistik für den lokalen Handel: Nutzung, Zuverlässigkeit und "
        "vermiedene Transporter-Kilometer vom {first} bis {last}.",
        "headline": "Auf einen Blick",
        "bookings": "Buchungen",
        "deliveries": "Zustellungen",
        "active_residents": "aktive Kundinnen und Kunden",
        "active_shops": "aktive Geschäfte",
        "bike_km": "Lastenrad-km",
        "ecar_km": "E-Auto-km",
        "van_km": "Transporter-km (Vergleich)",
        "van_km_avoided": "vermiedene Transporter-km",
        "co2e_avoided_kg": "vermiedene Emissionen (kg CO2e)",
        "on_time_rate": "pünktlich zugestellt",
        "failed_attempt_rate": "fehlgeschlagene Versuche",
        "point_locker_share": "Anteil Point/Packstation",
        "round_trips": "Reparatur-Rundfahrten",
        "avg_turnaround_days": "Ø Reparaturdauer (Tage)",
        "stops_per_route": "Stopps je Tour",
        "stops_per_km": "Stopps je km",
        "withheld": "–",
        "withheld_note": "„–“: weniger als {n} Buchungen in der Gruppe; die Werte werden zum "
        "Schutz der Kundinnen und Kunden nicht ausgewiesen.",
        "no_ledger": "Für diesen Monat ist noch kein Tag in der Wirkungsbilanz erfasst "
        "(flask impact-build).",
        "charts": "Verlauf nach Kalenderwochen",
        "chart_deliveries": "Zustellungen je Woche",
        "chart_on_time": "Pünktlichkeit je Woche (%)",
        "chart_km": "Lastenrad-km und vermiedene Transporter-km je Woche",
        "legend_bike": "Lastenrad + E-Auto",
        "legend_avoided": "vermiedene Transporter-km",
        "week": "KW",
        "districts": "Nach Stadtteil",
        "district": "Stadtteil",
        "method": "Methode",
        "method_text": "Die Kilometer der Lastenräder und des E-Autos stammen aus den "
        "veröffentlichten Tourenplänen, bei abgeschlossenen Touren aus den tatsächlich "
        "angefahrenen Stopps. Zum Vergleich plant louise dieselben Sendungen mit denselben "
        "Zeitfenstern für Diesel-Transporter ab der City-Station (Umweg-Faktor 1,5, 22 km/h, "
        "3 Minuten Parken und Gehen je Stopp); der Plan wird unabhängig geprüft. Vermiedene "
        "km = Transporter-km − Lastenrad-km − E-Auto-km. Vermiedene Emissionen = "
        "Transporter-km × Emissionsfaktor − Strom der E-Fahrzeuge × Strommix-Faktor. "
        "Pünktlich: Zustellung innerhalb des zugesagten Zeitfensters. Gruppen mit weniger "
        "als {n} Buchungen werden nicht ausgewiesen. Einzelheiten: docs/impact.md.",
        "factors": "Emissionsfaktoren (Version {version})",
        "factor": "Faktor",
        "value": "Wert",
        "year": "Jahr",
        "source": "Quelle",
        "factor.van_diesel_g_co2e_per_km": "Diesel-Transporter",
        "factor.bike_kwh_per_km": "Strom Lastenrad",
        "factor.ecar_kwh_per_km": "Strom E-Auto",
        "factor.grid_g_co2e_per_kwh": "Strommix Deutschland",
        "defaults": "Standardfaktoren (noch keine Bilanz im Monat)",
        "footer": "Erstellt mit louise am {today}. Seite {page}",
    },
    "en": {
        "title": "LOUISE Bottrop – impact report {month}",
        "subtitle": "Cargo-bike logistics for local shops: usage, reliability and the van "
        "kilometres avoided from {first} to {last}.",
        "headline": "At a glance",
        "bookings": "Bookings",
        "deliveries": "Deliveries",
        "active_residents": "active residents",
        "active_shops": "active shops",
        "bike_km": "Cargo-bike km",
        "ecar_km": "E-car km",
        "van_km": "Van km (counterfactual)",
        "van_km_avoided": "Van km avoided",
        "co2e_avoided_kg": "Emissions avoided (kg CO2e)",
        "on_time_rate": "delivered on time",
        "failed_attempt_rate": "failed attempts",
        "point_locker_share": "share via Point/locker",
        "round_trips": "repair round trips",
        "avg_turnaround_days": "avg. repair turnaround (days)",
        "stops_per_route": "stops per route",
        "stops_per_km": "stops per km",
        "withheld": "–",
        "withheld_note": "'–': fewer than {n} bookings in the group; the figures are withheld "
        "to protect residents' privacy.",
        "no_ledger": "No day of this month is in the impact ledger yet (flask impact-build).",
        "charts": "By ISO week",
        "chart_deliveries": "Deliveries per week",
        "chart_on_time": "On-time rate per week (%)",
        "chart_km": "Cargo-bike km and van km avoided per week",
        "legend_bike": "cargo bike + e-car",
        "legend_avoided": "van km avoided",
        "week": "W",
        "districts": "By district",
        "district": "District",
        "method": "Method",
        "method_text": "The cargo bikes' and the e-car's kilometres come from the published "
        "route plans, for closed routes from the stops actually visited. For comparison "
        "louise plans the same consignments with the same time windows for diesel vans from "
        "the City-Station (detour factor 1.5, 22 km/h, 3 minutes of parking and walking per "
        "stop); the plan is checked by an independent validator. Km avoided = van km − bike "
        "km − e-car km. Emissions avoided = van km × emission factor − the electric "
        "vehicles' electricity × grid factor. On time: delivered inside the promised window. "
        "Groups of fewer than {n} bookings are withheld. Details: docs/impact.md.",
        "factors": "Emission factors (version {version})",
        "factor": "Factor",
        "value": "Value",
        "year": "Year",
        "source": "Source",
        "factor.van_diesel_g_co2e_per_km": "Diesel van",
        "factor.bike_kwh_per_km": "Cargo-bike electricity",
        "factor.ecar_kwh_per_km": "E-car electricity",
        "factor.grid_g_co2e_per_kwh": "German grid mix",
        "defaults": "Default factors (no ledger in this month yet)",
        "footer": "Made with louise on {today}. Page {page}",
    },
}


def texts(lang: str) -> dict[str, str]:
    """The texts of ``lang`` (de or en); anything else is German."""
    return TEXTS["en"] if lang == "en" else TEXTS[DEFAULT_LANG]


def month_name(month: int, lang: str) -> str:
    return MONTHS["en" if lang == "en" else "de"][month - 1]


def number(value: float | int | None, digits: int, lang: str, withheld: str = "–") -> str:
    """A number the way the language writes it: 1.234,5 (de) or 1,234.5 (en)."""
    if value is None:
        return withheld
    text = f"{value:,.{digits}f}"
    if lang == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(rate: float | None, lang: str, withheld: str = "–") -> str:
    if rate is None:
        return withheld
    return f"{number(rate * 100, 1, lang)} %"
