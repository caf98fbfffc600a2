"""Resolving addresses: geocode each distinct address once, inside the service area.

``resolve_address`` runs *inside* another service's transaction (a merchant's sign-up, a
booking): it only flushes, and the calling use case owns the commit. ``check_address`` is the
use case of its own (``POST /geocode``): resolve, then commit once.

Note: with a remote geocoder the lookup happens while the caller's transaction is open. On
SQLite (``BEGIN IMMEDIATE``) that holds the write lock for up to ``NOMINATIM_TIMEOUT``; the
offline gazetteer, the default, answers in microseconds.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from louise.db import rollback_on_error
from louise.errors import ValidationFailed
from louise.geo.geocoders import (
    AddressQuery,
    Geocoder,
    GeocodeResult,
    OutsideServiceArea,
    ServiceArea,
)
from louise.geo.models import Address
from louise.geo.normalize import normalized_key

#: Client coordinates are keyed at 6 decimals (~0.1 m): the same pin is the same address.
COORDINATE_DECIMALS = 6


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def resolve_address(
    session: Session,
    geocoder: Geocoder,
    area: ServiceArea,
    *,
    street: str | None = None,
    house_number: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    field: str = "address",
) -> Address:
    """Return the stored :class:`Address` for a typed address or for coordinates.

    Rules: coordinates given by the client win over geocoding and are stored as they are
    (``source="client"``); a typed address is looked up by its normalised key first and only
    geocoded when it is new; every stored address lies inside ``area``. Errors name ``field``
    in ``errors.json``: :class:`~louise.geo.geocoders.AddressNotFound` and
    :class:`~louise.geo.geocoders.OutsideServiceArea` (422),
    :class:`~louise.geo.geocoders.GeocoderUnavailable` (503).
    Flushes only.
    """
    street, house_number = _clean(street), _clean(house_number)
    postcode, city = _clean(postcode), _clean(city)
    if (lat is None) != (lon is None):
        raise ValidationFailed(
            "Give both lat and lon, or neither.",
            fields={"json": {field: ["Give both lat and lon, or neither."]}},
        )
    if lat is not None and lon is not None:
        address = _client_address(
            session, area, street, house_number, postcode, city, lat, lon, field
        )
    else:
        if street is None:
            raise ValidationFailed(
                "An address needs a street (or a place name) or coordinates.",
                fields={"json": {field: ["Give a street or lat/lon."]}},
            )
        address = _geocoded_address(
            session, geocoder, area, AddressQuery(street, house_number, postcode, city), field
        )
    return address


def check_address(
    session: Session, geocoder: Geocoder, area: ServiceArea, **fields: Any
) -> Address:
    """Resolve an address as a use case of its own (``POST /geocode``): one commit, and
    nothing stays when it fails. ``fields`` are :func:`resolve_address`'s keywords."""
    with rollback_on_error(session):
        address = resolve_address(session, geocoder, area, **fields)
        session.commit()
    return address


def _geocoded_address(
    session: Session, geocoder: Geocoder, area: ServiceArea, query: AddressQuery, field: str
) -> Address:
    try:
        key = normalized_key(query.street, query.house_number, query.postcode, query.city)
    except ValueError:
        raise ValidationFailed(
            f"Invalid house number {query.house_number!r}: it must start with a digit.",
            fields={"json": {field: ["The house number must start with a digit, e.g. 12a."]}},
        ) from None
    known = _by_key(session, key)
    if known is not None:
        return known
    try:
        result = geocoder.geocode(query)
    except ValidationFailed as exc:
        # providers name the generic "address"; the caller knows which body field it was
        exc.fields = {"json": {field: [exc.message]}}
        raise
    if not area.contains(result.lat, result.lon):
        raise OutsideServiceArea(result.label or query.one_line(), area, field=field)
    return _store(session, _from_result(key, result))


def _client_address(
    session: Session,
    area: ServiceArea,
    street: str | None,
    house_number: str | None,
    postcode: str | None,
    city: str | None,
    lat: float,
    lon: float,
    field: str,
) -> Address:
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValidationFailed(
            "Coordinates out of range: lat must lie in -90..90 and lon in -180..180.",
            fields={"json": {field: ["Coordinates out of range."]}},
        )
    lat, lon = round(lat, COORDINATE_DECIMALS), round(lon, COORDINATE_DECIMALS)
    if not area.contains(lat, lon):
        raise OutsideServiceArea(f"The point ({lat}, {lon})", area, field=field)
    try:
        typed = normalized_key(street, house_number, postcode, city) if street else ""
    except ValueError:
        typed = "|".join(p or "" for p in (street, house_number, postcode, city)).lower()
    key = f"client|{lat:.{COORDINATE_DECIMALS}f}|{lon:.{COORDINATE_DECIMALS}f}|{typed}"
    known = _by_key(session, key)
    if known is not None:
        return known
    head = " ".join(p for p in (street, house_number) if p)
    tail = " ".join(p for p in (postcode, city) if p)
    label = ", ".join(p for p in (head, tail) if p) or f"{lat:.5f}, {lon:.5f}"
    return _store(
        session,
        Address(
            normalized_key=key[:400],
            street=street,
            house_number=house_number,
            postcode=postcode,
            city=city,
            district=None,
            lat=lat,
            lon=lon,
            label=label[:400],
            source="client",
            precision="client",
        ),
    )


def _from_result(key: str, result: GeocodeResult) -> Address:
    return Address(
        normalized_key=key[:400],
        street=result.street,
        house_number=result.house_number,
        postcode=result.postcode,
        city=result.city,
        district=result.district,
        lat=result.lat,
        lon=result.lon,
        label=result.label[:400],
        source=result.source,
        precision=result.precision,
    )


# built once (every booking with a typed address looks it up)
_BY_KEY = select(Address).where(Address.normalized_key == bindparam("key"))


def _by_key(session: Session, key: str) -> Address | None:
    return session.scalar(_BY_KEY, {"key": key[:400]})


def _store(session: Session, address: Address) -> Address:
    """Insert in a savepoint: if a concurrent request stored the same key first, reuse its row
    instead of failing the caller's whole transaction."""
    try:
        with session.begin_nested():
            session.add(address)
    except IntegrityError:
        existing = _by_key(session, address.normalized_key)
        if existing is None:
            raise
        return existing
    return address


def get_address(session: Session, address_id: int) -> Address | None:
    """The stored address with this id, or None."""
    return session.get(Address, address_id)


#: "Hansastraße 12a" → street, house number (a house number starts with a digit)
_STREET_AND_NUMBER = re.compile(r"^(?P<street>.*?[^\d\s].*?)\s+(?P<number>\d[\w\s/-]{0,19})$")
#: "46236 Bottrop" → postcode, city
_POSTCODE_AND_CITY = re.compile(r"^(?P<postcode>\d{5})?\s*(?P<city>.*)$")


def address_parts(line: str) -> dict[str, str | None]:
    """An address typed on one line, as the structured fields :func:`resolve_address` takes:
    "Hansastraße 12, 46236 Bottrop" → street, house_number, postcode, city (the form of every
    stored address's label). Without a comma, a trailing postcode and city are still found:
    "Hansastraße 12 46236 Bottrop"."""
    text = " ".join(line.split())
    head, _, tail = text.partition(",")
    if not tail:
        loose = re.match(r"^(?P<head>.*?\d\w*)\s+(?P<tail>\d{5}(?:\s.*)?)$", text)
        if loose:
            head, tail = loose.group("head"), loose.group("tail")
    head, tail = head.strip(" ,"), tail.strip(" ,")
    parts: dict[str, str | None] = {
        "street": head or None,
        "house_number": None,
        "postcode": None,
        "city": None,
    }
    numbered = _STREET_AND_NUMBER.match(head)
    if numbered:
        parts["street"] = numbered.group("street").strip()
        parts["house_number"] = numbered.group("number").strip()
    located = _POSTCODE_AND_CITY.match(tail)
    if tail and located:
        parts["postcode"] = located.group("postcode")
        parts["city"] = located.group("city").strip() or None
    return parts


def suggest_addresses(
    geocoder: Geocoder, area: ServiceArea, line: str, limit: int = 6
) -> list[GeocodeResult]:
    """Addresses inside ``area`` that complete a typed line (the booking form's suggestions).

    Only a geocoder that can suggest offers any (the offline gazetteer); Nominatim's usage
    policy forbids autocomplete, so with it the typed address is checked when it is sent."""
    suggest = getattr(geocoder, "suggest", None)
    if suggest is None:
        return []
    parts = address_parts(line)
    if not parts["street"]:
        return []
    found: list[GeocodeResult] = suggest(parts["street"], parts["house_number"] or "", limit)
    return [result for result in found if area.contains(result.lat, result.lon)]
