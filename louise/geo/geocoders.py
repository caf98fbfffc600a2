"""Geocoders: the ``Geocoder`` protocol, an offline gazetteer (default) and Nominatim via geopy.

Every provider answers with a :class:`GeocodeResult` or raises one of three domain errors:
:class:`AddressNotFound` (422), :class:`OutsideServiceArea` (422) or
:class:`GeocoderUnavailable` (503). Nothing a provider does may surface as a 500.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from geopy.adapters import URLLibAdapter
from geopy.exc import GeocoderTimedOut, GeopyError
from geopy.geocoders import Nominatim
from geopy.location import Location

from louise.errors import ServiceUnavailable, ValidationFailed
from louise.geo.normalize import (
    HouseNumber,
    fold_text,
    normalize_city,
    normalize_postcode,
    parse_house_number,
    street_key,
)

log = logging.getLogger(__name__)

DEFAULT_GAZETTEER_PATH = Path(__file__).resolve().parent.parent / "data" / "bottrop_gazetteer.csv"

Precision = Literal["house", "interpolated", "street", "place", "client"]
Source = Literal["gazetteer", "nominatim", "client"]


# --------------------------------------------------------------------------- value objects


@dataclass(frozen=True)
class AddressQuery:
    """A structured address as a client typed it. ``street`` is required, the rest optional."""

    street: str
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None

    def __post_init__(self) -> None:
        if not self.street or not self.street.strip():
            raise ValueError("an address query needs a street (or a place name)")

    def one_line(self) -> str:
        """Human-readable form for messages: "Hansastraße 12, 46236 Bottrop"."""
        head = " ".join(p for p in (self.street.strip(), (self.house_number or "").strip()) if p)
        tail = " ".join(p for p in ((self.postcode or "").strip(), (self.city or "").strip()) if p)
        return f"{head}, {tail}" if tail else head


@dataclass(frozen=True)
class GeocodeResult:
    """Where an address is, as a provider found it."""

    lat: float
    lon: float
    label: str
    street: str | None
    house_number: str | None
    postcode: str | None
    city: str | None
    source: Source
    precision: Precision
    district: str | None = None

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")


@dataclass(frozen=True)
class ServiceArea:
    """The bounding box the service delivers in (WGS-84 degrees)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    name: str = "the service area"

    def __post_init__(self) -> None:
        if not (self.min_lon < self.max_lon and self.min_lat < self.max_lat):
            raise ValueError("service area: min must be below max for both lon and lat")
        if not (self.min_lat >= -90 and self.max_lat <= 90):
            raise ValueError("service area: latitudes must lie within -90..90")
        if not (self.min_lon >= -180 and self.max_lon <= 180):
            raise ValueError("service area: longitudes must lie within -180..180")

    @classmethod
    def from_bbox(cls, bbox: str | Sequence[float], name: str = "the service area") -> ServiceArea:
        """Parse ``"min_lon,min_lat,max_lon,max_lat"`` (the ``SERVICE_AREA_BBOX`` format)."""
        parts = bbox.split(",") if isinstance(bbox, str) else list(bbox)
        if len(parts) != 4:
            raise ValueError(f"bbox needs 4 numbers min_lon,min_lat,max_lon,max_lat: {bbox!r}")
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
        return cls(min_lon, min_lat, max_lon, max_lat, name=name)

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

    @property
    def viewbox(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Two (lat, lon) corners, the form geopy's ``viewbox`` expects."""
        return (self.min_lat, self.min_lon), (self.max_lat, self.max_lon)


# --------------------------------------------------------------------------- errors


class AddressNotFound(ValidationFailed):
    """No provider knows the address (422). ``field`` names the body field in ``errors.json``."""

    code = "address_not_found"

    def __init__(
        self, query: AddressQuery | str, *, field: str = "address", hint: str = ""
    ) -> None:
        text = query.one_line() if isinstance(query, AddressQuery) else query
        message = f"Address not found: {text}."
        message += f" {hint}" if hint else " Check the street name and house number."
        super().__init__(message, fields={"json": {field: [message]}})


class OutsideServiceArea(ValidationFailed):
    """The address exists but lies outside the area the service delivers in (422)."""

    code = "outside_service_area"

    def __init__(self, what: str, area: ServiceArea, *, field: str = "address") -> None:
        message = (
            f"{what} lies outside {area.name} (lon {area.min_lon}..{area.max_lon}, "
            f"lat {area.min_lat}..{area.max_lat}); we cannot deliver there."
        )
        super().__init__(message, fields={"json": {field: [message]}})


class GeocoderUnavailable(ServiceUnavailable):
    """The geocoding service failed or timed out (503); retrying later may help."""

    code = "geocoder_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The address lookup service is unavailable ({reason}). Please try again later "
            "or give the coordinates (lat, lon) directly.",
            headers={"Retry-After": "30"},
        )


# --------------------------------------------------------------------------- protocol


@runtime_checkable
class Geocoder(Protocol):
    """Turns a structured address into coordinates, or raises a domain error."""

    name: str

    def geocode(self, query: AddressQuery) -> GeocodeResult: ...


# --------------------------------------------------------------------------- gazetteer


@dataclass(frozen=True)
class GazetteerEntry:
    street: str
    house: HouseNumber | None  # None: a place or a street without numbers
    house_number: str
    postcode: str
    city: str
    district: str | None
    lat: float
    lon: float


@dataclass
class _StreetIndex:
    entries: list[GazetteerEntry] = field(default_factory=list)


class GazetteerGeocoder:
    """Offline geocoder over a CSV or GeoJSON list of addresses and places.

    Lookup rules, in order: the exact house ("12a"); the same number without its suffix ("12a"
    → "12", precision ``house``); linear interpolation between the nearest known numbers on
    the same side of the street (precision ``interpolated``); with no house number, the place
    row or the known point nearest the street's centroid (precision ``place`` / ``street``).
    Postcode and city narrow the candidates; a contradicting postcode is a miss.
    """

    name = "gazetteer"

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else DEFAULT_GAZETTEER_PATH
        self._streets: dict[str, _StreetIndex] = defaultdict(_StreetIndex)
        for entry in self._load(self.path):
            self._streets[street_key(entry.street)].entries.append(entry)
        if not self._streets:
            raise ValueError(f"gazetteer {self.path} holds no addresses")

    def __len__(self) -> int:
        return sum(len(s.entries) for s in self._streets.values())

    # loading ------------------------------------------------------------

    @classmethod
    def _load(cls, path: Path) -> list[GazetteerEntry]:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in {".json", ".geojson"}:
            records = cls._geojson_records(json.loads(text))
        else:
            lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
            records = list(csv.DictReader(io.StringIO("\n".join(lines))))
        return [cls._entry(rec, path, i) for i, rec in enumerate(records, start=1)]

    @staticmethod
    def _geojson_records(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
        features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
        records: list[dict[str, Any]] = []
        for feature in features or []:
            geometry = feature.get("geometry") or {}
            if geometry.get("type") != "Point":
                raise ValueError("gazetteer GeoJSON: only Point features are supported")
            lon, lat = geometry["coordinates"][:2]
            records.append({**(feature.get("properties") or {}), "lat": lat, "lon": lon})
        return records

    @staticmethod
    def _entry(rec: Mapping[str, Any], path: Path, number: int) -> GazetteerEntry:
        try:
            street = str(rec["street"]).strip()
            raw_house = str(rec.get("house_number") or "").strip()
            return GazetteerEntry(
                street=street,
                house=parse_house_number(raw_house) if raw_house else None,
                house_number=raw_house,
                postcode=str(rec.get("postcode") or "").strip(),
                city=str(rec.get("city") or "").strip(),
                district=(str(rec.get("district") or "").strip() or None),
                lat=float(rec["lat"]),
                lon=float(rec["lon"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"gazetteer {path}: record {number} is invalid: {exc}") from exc

    # lookup -------------------------------------------------------------

    def geocode(self, query: AddressQuery) -> GeocodeResult:
        candidates = self._candidates(query)
        if not (query.house_number and query.house_number.strip()):
            return self._street_result(query, candidates)
        try:
            wanted = parse_house_number(query.house_number)
        except ValueError:
            raise AddressNotFound(
                query, hint="The house number must start with a digit, e.g. 12 or 12a."
            ) from None
        numbered = [e for e in candidates if e.house is not None]
        exact = [e for e in numbered if e.house == wanted]
        if exact:
            return self._result(exact[0], "house")
        base = [e for e in numbered if e.house == HouseNumber(wanted.number)]
        if wanted.suffix and base:
            return self._result(base[0], "house", house_number=str(wanted))
        interpolated = self._interpolate(numbered, wanted)
        if interpolated is None:
            raise AddressNotFound(
                query, hint=f"{candidates[0].street} has no house number {wanted}."
            )
        return interpolated

    def suggest(self, street: str, house_number: str = "", limit: int = 6) -> list[GeocodeResult]:
        """Known addresses that complete what someone is typing: streets whose name starts
        with ``street`` (then those containing it), houses whose number starts with
        ``house_number``; each a whole address, so that a picked one geocodes exactly."""
        typed = street_key(street)
        if len(typed) < 3:
            return []
        number = fold_text(house_number).replace(" ", "")
        starts = sorted(k for k in self._streets if k.startswith(typed))
        inside = sorted(k for k in self._streets if typed in k and k not in starts)
        found: list[GeocodeResult] = []
        for key in (*starts, *inside):
            houses = sorted(
                (e for e in self._streets[key].entries if e.house is not None),
                key=lambda e: (e.house.number if e.house else 0, e.house_number),
            )
            for entry in houses:
                if number and not fold_text(entry.house_number).replace(" ", "").startswith(number):
                    continue
                found.append(self._result(entry, "house"))
                if len(found) >= limit:
                    return found
        return found

    def _candidates(self, query: AddressQuery) -> list[GazetteerEntry]:
        index = self._streets.get(street_key(query.street))
        if index is None:
            raise AddressNotFound(query, hint="We do not know this street in the service area.")
        candidates = index.entries
        if query.city and query.city.strip():
            city = normalize_city(query.city)
            candidates = [e for e in candidates if _city_matches(city, e)]
            if not candidates:
                raise AddressNotFound(query, hint="The street is not in that city or district.")
        if query.postcode and query.postcode.strip():
            postcode = normalize_postcode(query.postcode)
            candidates = [e for e in candidates if normalize_postcode(e.postcode) == postcode]
            if not candidates:
                raise AddressNotFound(query, hint="The postcode does not match the street.")
        return candidates

    def _street_result(self, query: AddressQuery, entries: list[GazetteerEntry]) -> GeocodeResult:
        places = [e for e in entries if e.house is None]
        if places:
            return self._result(places[0], "place")
        lat = sum(e.lat for e in entries) / len(entries)
        lon = sum(e.lon for e in entries) / len(entries)
        # The centroid of a curved street may lie off it; answer the known point nearest to it.
        nearest = min(entries, key=lambda e: (e.lat - lat) ** 2 + (e.lon - lon) ** 2)
        return self._result(nearest, "street", house_number="")

    @staticmethod
    def _interpolate(entries: list[GazetteerEntry], wanted: HouseNumber) -> GeocodeResult | None:
        n = wanted.number
        plain = [e for e in entries if e.house is not None and not e.house.suffix]
        for pool in (
            [e for e in plain if e.house is not None and e.house.number % 2 == n % 2],
            plain,
        ):
            lower = [e for e in pool if e.house is not None and e.house.number < n]
            upper = [e for e in pool if e.house is not None and e.house.number > n]
            if not lower or not upper:
                continue
            lo = max(lower, key=lambda e: e.house.number if e.house else 0)
            hi = min(upper, key=lambda e: e.house.number if e.house else 0)
            assert lo.house is not None and hi.house is not None
            f = (n - lo.house.number) / (hi.house.number - lo.house.number)
            return GazetteerGeocoder._result(
                lo,
                "interpolated",
                house_number=str(wanted),
                lat=round(lo.lat + f * (hi.lat - lo.lat), 6),
                lon=round(lo.lon + f * (hi.lon - lo.lon), 6),
                district=lo.district if lo.district == hi.district else None,
            )
        return None

    @staticmethod
    def _result(
        entry: GazetteerEntry,
        precision: Precision,
        *,
        house_number: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        district: str | None = "",
    ) -> GeocodeResult:
        number = entry.house_number if house_number is None else house_number
        return GeocodeResult(
            lat=entry.lat if lat is None else lat,
            lon=entry.lon if lon is None else lon,
            label=_label(entry.street, number, entry.postcode, entry.city),
            street=entry.street,
            house_number=number or None,
            postcode=entry.postcode or None,
            city=entry.city or None,
            district=entry.district if district == "" else district,
            source="gazetteer",
            precision=precision,
        )


def _city_matches(city: str, entry: GazetteerEntry) -> bool:
    """ "Bottrop", "Kirchhellen" and "Bottrop-Kirchhellen" all name an entry in Kirchhellen."""
    names = {normalize_city(entry.city)} if entry.city else set()
    if entry.district:
        district = normalize_city(entry.district)
        names |= {district, f"{normalize_city(entry.city)} {district}".strip()}
    return city in names


def _label(street: str | None, number: str | None, postcode: str | None, city: str | None) -> str:
    head = " ".join(p for p in (street, number) if p)
    tail = " ".join(p for p in (postcode, city) if p)
    return ", ".join(p for p in (head, tail) if p)


# --------------------------------------------------------------------------- Nominatim


class NominatimGeocoder:
    """Nominatim (public or self-hosted) through geopy, restricted to the service area.

    The request is a structured query, ``bounded=1`` inside the area's viewbox and limited to
    the configured country codes. Transport errors, HTTP errors, timeouts and unparseable
    answers all become :class:`GeocoderUnavailable` (503); an empty answer is
    :class:`AddressNotFound` (422).
    """

    name = "nominatim"

    def __init__(
        self,
        *,
        domain: str,
        scheme: str = "https",
        user_agent: str,
        timeout: float = 5.0,
        area: ServiceArea | None = None,
        country_codes: Sequence[str] | str | None = None,
    ) -> None:
        if not user_agent:
            raise ValueError("Nominatim needs an identifying user agent (NOMINATIM_USER_AGENT)")
        if isinstance(country_codes, str):
            country_codes = [c.strip() for c in country_codes.split(",") if c.strip()]
        self.area = area
        self.country_codes = list(country_codes or [])
        self.timeout = timeout
        # urllib adapter: no hidden retries (a retrying adapter would multiply the timeout)
        # and no dependency on requests at runtime.
        self._client = Nominatim(
            domain=domain,
            scheme=scheme,
            user_agent=user_agent,
            timeout=timeout,
            adapter_factory=URLLibAdapter,
        )

    def geocode(self, query: AddressQuery) -> GeocodeResult:
        structured: dict[str, str] = {
            "street": " ".join(
                p for p in ((query.house_number or "").strip(), query.street.strip()) if p
            )
        }
        if query.postcode and query.postcode.strip():
            structured["postalcode"] = query.postcode.strip()
        if query.city and query.city.strip():
            structured["city"] = query.city.strip()
        kwargs: dict[str, Any] = {
            "exactly_one": True,
            "addressdetails": True,
            "timeout": self.timeout,
        }
        if self.area is not None:
            kwargs.update(viewbox=self.area.viewbox, bounded=True)
        if self.country_codes:
            kwargs["country_codes"] = self.country_codes
        try:
            location = self._client.geocode(structured, **kwargs)
        except GeocoderTimedOut as exc:
            log.warning("nominatim timed out: %s", exc)
            raise GeocoderUnavailable(f"no answer within {self.timeout:g} s") from exc
        except GeopyError as exc:
            log.warning("nominatim failed: %s", exc)
            raise GeocoderUnavailable(f"error from the geocoder: {type(exc).__name__}") from exc
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            # a well-formed JSON document of the wrong shape
            log.warning("nominatim answered something unexpected: %r", exc)
            raise GeocoderUnavailable("unexpected answer from the geocoder") from exc
        if location is None:
            raise AddressNotFound(query)
        return self._result(location, query)

    @staticmethod
    def _result(location: Location, query: AddressQuery) -> GeocodeResult:
        raw = location.raw if isinstance(location.raw, Mapping) else {}
        if raw.get("lat") is None or raw.get("lon") is None:
            # geopy turns a place without coordinates into (0, 0): in the Gulf of Guinea.
            raise GeocoderUnavailable("unexpected answer from the geocoder")
        details = raw.get("address") if isinstance(raw.get("address"), Mapping) else {}
        assert isinstance(details, Mapping)

        def pick(*keys: str) -> str | None:
            for key in keys:
                value = details.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()
            return None

        house_number = pick("house_number")
        street = pick("road", "pedestrian", "footway", "square", "place") or query.street
        try:
            lat, lon = float(location.latitude), float(location.longitude)
            return GeocodeResult(
                lat=lat,
                lon=lon,
                label=str(raw.get("display_name") or location.address or query.one_line()),
                street=street,
                house_number=house_number or (query.house_number or None),
                postcode=pick("postcode") or query.postcode,
                city=pick("city", "town", "village", "municipality") or query.city,
                district=pick("suburb", "city_district", "quarter", "borough", "village"),
                source="nominatim",
                precision="house" if house_number else "street",
            )
        except (TypeError, ValueError) as exc:
            raise GeocoderUnavailable("unexpected answer from the geocoder") from exc


# --------------------------------------------------------------------------- factory


def service_area_from_config(config: Mapping[str, Any]) -> ServiceArea:
    """The ``SERVICE_AREA_BBOX`` of the configuration as a :class:`ServiceArea`."""
    return ServiceArea.from_bbox(config.get("SERVICE_AREA_BBOX") or "6.83,51.48,7.05,51.65")


def geocoder_from_config(config: Mapping[str, Any]) -> Geocoder:
    """Build the configured provider: ``GEOCODER`` = "gazetteer" (default) or "nominatim"."""
    kind = str(config.get("GEOCODER") or "gazetteer").strip().lower()
    if kind == "gazetteer":
        return GazetteerGeocoder(config.get("GAZETTEER_PATH") or None)
    if kind == "nominatim":
        return NominatimGeocoder(
            domain=str(config.get("NOMINATIM_DOMAIN") or "nominatim.openstreetmap.org"),
            scheme=str(config.get("NOMINATIM_SCHEME") or "https"),
            user_agent=str(config.get("NOMINATIM_USER_AGENT") or ""),
            timeout=float(config.get("NOMINATIM_TIMEOUT") or 5.0),
            area=service_area_from_config(config),
            country_codes=config.get("SERVICE_COUNTRY_CODES") or None,
        )
    raise ValueError(f"unknown GEOCODER {kind!r}: use 'gazetteer' or 'nominatim'")
