"""iCalendar export of a booking's windows (RFC 5545), written by hand: no dependency."""

from __future__ import annotations

from datetime import UTC, datetime

from louise.bookings.models import Booking, LegStatus

PURPOSE_TITLES = {
    "collect": ("Abholung", "Pickup"),
    "deliver": ("Lieferung", "Delivery"),
    "return": ("Rückgabe", "Return"),
}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    out, data = [], line.encode()
    while len(data) > 75:
        cut = 75
        while (data[cut] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            cut -= 1
        out.append(data[:cut].decode())
        data = b" " + data[cut:]
    out.append(data.decode())
    return out


def booking_calendar(booking: Booking, lang: str = "de", now: datetime | None = None) -> str:
    """One VEVENT per resident-facing leg window (pickups at, deliveries to the resident)."""
    stamp = _stamp(now or datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//louise//bookings//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for leg in booking.legs:
        if leg.status == LegStatus.CANCELLED or leg.window_code is None:
            continue
        de, en = PURPOSE_TITLES.get(leg.purpose.value, ("Termin", "Appointment"))
        title = f"LOUISE {de if lang == 'de' else en} {booking.code}"
        if leg.purpose.value == "collect":
            start, end, place = leg.pickup_start, leg.pickup_end, leg.origin_label
        else:
            start, end, place = leg.delivery_start, leg.delivery_end, leg.dest_label
        if leg.tentative:
            title += " (vorläufig)" if lang == "de" else " (tentative)"
        lines += [
            "BEGIN:VEVENT",
            f"UID:louise-{booking.code}-{leg.seq}@louise",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_stamp(start)}",
            f"DTEND:{_stamp(end)}",
            f"SUMMARY:{_escape(title)}",
            f"LOCATION:{_escape(place)}",
            f"STATUS:{'TENTATIVE' if leg.tentative else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    folded: list[str] = []
    for line in lines:
        folded += _fold(line)
    return "\r\n".join(folded) + "\r\n"
