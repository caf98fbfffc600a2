"""resolve_address: geocode each address once, store it, keep to the service area."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.errors import ValidationFailed
from louise.geo import service
from louise.geo.geocoders import (
    AddressNotFound,
    AddressQuery,
    GazetteerGeocoder,
    GeocodeResult,
    GeocoderUnavailable,
    OutsideServiceArea,
    ServiceArea,
)
from louise.geo.models import Address

BOTTROP = ServiceArea.from_bbox("6.83,51.48,7.05,51.65")


@dataclass
class CountingGeocoder:
    """Wraps the gazetteer and counts calls; ``fail`` makes it an outage."""

    name: str = "counting"
    calls: list[AddressQuery] = field(default_factory=list)
    fail: bool = False
    inner: GazetteerGeocoder = field(default_factory=GazetteerGeocoder)

    def geocode(self, query: AddressQuery) -> GeocodeResult:
        self.calls.append(query)
        if self.fail:
            raise GeocoderUnavailable("test outage")
        return self.inner.geocode(query)


@pytest.fixture()
def geocoder() -> CountingGeocoder:
    return CountingGeocoder()


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Address)) or 0


def test_address_is_geocoded_once(db_session: Session, geocoder: CountingGeocoder) -> None:
    first = service.resolve_address(
        db_session, geocoder, BOTTROP, street="Hochstraße", house_number="12", city="Bottrop"
    )
    second = service.resolve_address(
        db_session, geocoder, BOTTROP, street=" hochstr. ", house_number="12", city="BOTTROP"
    )
    assert first is second
    assert len(geocoder.calls) == 1
    assert first.id is not None, "flushed, so callers can reference it"
    assert first.source == "gazetteer"


def test_without_commit_the_caller_owns_the_transaction(
    db_session: Session, geocoder: CountingGeocoder
) -> None:
    service.resolve_address(db_session, geocoder, BOTTROP, street="Ostring")
    assert count(db_session) == 1
    db_session.rollback()
    assert count(db_session) == 0


def test_client_coordinates_skip_the_geocoder(
    db_session: Session, geocoder: CountingGeocoder
) -> None:
    address = service.resolve_address(
        db_session,
        geocoder,
        BOTTROP,
        street="Hinterhof am Altmarkt",
        city="Bottrop",
        lat=51.52361234567,
        lon=6.9285,
    )
    assert geocoder.calls == []
    assert (address.lat, address.lon) == (51.523612, 6.9285)
    assert address.label == "Hinterhof am Altmarkt, Bottrop"
    assert address.normalized_key.startswith("client|51.523612|6.928500|")


def test_outage_is_not_stored(db_session: Session, geocoder: CountingGeocoder) -> None:
    geocoder.fail = True
    with pytest.raises(GeocoderUnavailable):
        service.resolve_address(db_session, geocoder, BOTTROP, street="Ostring")
    assert count(db_session) == 0


def test_result_outside_the_area_is_refused_naming_the_field(
    db_session: Session, geocoder: CountingGeocoder
) -> None:
    kirchhellen_excluded = ServiceArea.from_bbox("6.83,51.48,7.05,51.58", name="the city districts")
    with pytest.raises(OutsideServiceArea) as info:
        service.resolve_address(
            db_session,
            geocoder,
            kirchhellen_excluded,
            street="Hauptstraße",
            house_number="1",
            city="Kirchhellen",
            field="pickup_address",
        )
    assert info.value.fields is not None
    assert list(info.value.fields["json"]) == ["pickup_address"]
    assert "the city districts" in info.value.message
    assert count(db_session) == 0


def test_miss_names_the_field(db_session: Session, geocoder: CountingGeocoder) -> None:
    with pytest.raises(AddressNotFound) as info:
        service.resolve_address(
            db_session, geocoder, BOTTROP, street="Nirgendwo", field="delivery_address"
        )
    assert info.value.fields == {"json": {"delivery_address": [info.value.message]}}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"street": "  "},
        {"lat": 51.5},
        {"street": "Hochstraße", "house_number": "zwölf"},
        {"lat": 95.0, "lon": 6.9},
    ],
)
def test_unusable_input_is_a_validation_error(
    db_session: Session, geocoder: CountingGeocoder, kwargs: dict[str, object]
) -> None:
    with pytest.raises(ValidationFailed) as info:
        service.resolve_address(db_session, geocoder, BOTTROP, **kwargs)  # type: ignore[arg-type]
    assert info.value.status == 422
    assert geocoder.calls == []


def test_concurrent_insert_of_the_same_address_reuses_the_winner(
    db_session: Session, geocoder: CountingGeocoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = service.resolve_address(db_session, geocoder, BOTTROP, street="Westring")
    lookups = {"n": 0}
    real_by_key = service._by_key

    def miss_first_lookup(session: Session, key: str) -> Address | None:
        # the first lookup happens "before the other request committed"
        lookups["n"] += 1
        return None if lookups["n"] == 1 else real_by_key(session, key)

    monkeypatch.setattr(service, "_by_key", miss_first_lookup)
    loser = service.resolve_address(db_session, geocoder, BOTTROP, street="Westring")
    assert loser.id == winner.id
    assert count(db_session) == 1
    # the caller's transaction survived the failed insert
    service.resolve_address(db_session, geocoder, BOTTROP, street="Ostring")
    assert count(db_session) == 2
