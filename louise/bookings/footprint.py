"""The resident's line: the CO2e a booking's legs avoided against a van, without importing
impact.

Bookings sit below dispatch and impact (docs/architecture.md), so they cannot read the impact
ledger themselves. Impact registers its :class:`AvoidedReader` when the app is built
(``create_app``), as dispatch registers its route board (:mod:`louise.bookings.on_route`);
with none registered — bookings on their own — no booking has a line.

Rule: the line is null until the ledger holds a day of the booking; then it names the
whole grams of CO2e all its legs avoided (a round trip: both legs), from the newest ledger
version of each day. One read per request, however many bookings it answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

TEXTS = {
    "de": "Diese Lieferung hat etwa {n} g CO2e gegenüber einem Lieferwagen vermieden.",
    "en": "This delivery avoided about {n} g CO2e compared with a van.",
}


@dataclass(frozen=True)
class ImpactLine:
    avoided_co2e_g: int
    text: str


class AvoidedReader(Protocol):
    def avoided_g(self, session: Session, booking_ids: Sequence[int]) -> dict[int, int]:
        """Whole grams of CO2e avoided per booking, for those the ledger has (one read)."""
        ...


class _NoLedger:
    def avoided_g(self, session: Session, booking_ids: Sequence[int]) -> dict[int, int]:
        return {}


_reader: AvoidedReader = _NoLedger()


def register(reader: AvoidedReader) -> None:
    """Impact's implementation; registering again replaces it."""
    global _reader
    _reader = reader


def line(grams: int | None, locale: str) -> ImpactLine | None:
    if grams is None:
        return None
    text = TEXTS.get(locale[:2], TEXTS["en"])
    return ImpactLine(avoided_co2e_g=grams, text=text.format(n=grams))


def lines(session: Session, bookings: Sequence[tuple[int, str]]) -> dict[int, ImpactLine | None]:
    """``{booking id: its line or None}`` for ``(id, locale)`` pairs, in one read."""
    if not bookings:
        return {}
    grams = _reader.avoided_g(session, [booking_id for booking_id, _ in bookings])
    return {booking_id: line(grams.get(booking_id), locale) for booking_id, locale in bookings}
