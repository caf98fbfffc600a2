from __future__ import annotations

import json
from pathlib import Path

import pytest

from louise.geo.distance import geodesic_m
from louise.geo.geocoders import (
    DEFAULT_GAZETTEER_PATH,
    AddressNotFound,
    AddressQuery,
    GazetteerGeocoder,
    Geocoder,
    ServiceArea,
)

BOTTROP = ServiceArea.from_bbox("6.83,51.48,7.05,51.65")


@pytest.fixture(scope="module")
def gazetteer() -> GazetteerGeocoder:
    return GazetteerGeocoder()


def test_shipped_gazetteer_is_the_default_and_has_hundreds_of_rows(
    gazetteer: GazetteerGeocoder,
) -> None:
    assert gazetteer.path == DEFAULT_GAZETTEER_PATH
    assert isinstance(gazetteer, Geocoder)
    assert 300 <= len(gazetteer) <= 2000


def test_every_shipped_row_lies_in_the_service_area(gazetteer: GazetteerGeocoder) -> None:
    for index in gazetteer._streets.values():
        for entry in index.entries:
            assert BOTTROP.contains(entry.lat, entry.lon), entry


def test_exact_house_hit(gazetteer: GazetteerGeocoder) -> None:
    result = gazetteer.geocode(AddressQuery("Hochstraße", "12", "46236", "Bottrop"))
    assert result.precision == "house"
    assert result.source == "gazetteer"
    assert result.label == "Hochstraße 12, 46236 Bottrop"
    assert result.district == "Stadtmitte"
    assert geodesic_m(result.lat, result.lon, 51.5236, 6.9285) < 500


@pytest.mark.parametrize(
    "street", ["Hochstraße", "Hochstrasse", "Hochstr.", "hochstr", "HOCHSTRASSE", "Hoch-Str."]
)
def test_street_spellings_hit_the_same_house(gazetteer: GazetteerGeocoder, street: str) -> None:
    expected = gazetteer.geocode(AddressQuery("Hochstraße", "12"))
    assert gazetteer.geocode(AddressQuery(street, "12")) == expected


def test_sharp_s_and_umlauts_fold(gazetteer: GazetteerGeocoder) -> None:
    a = gazetteer.geocode(AddressQuery("Scharnhölzstraße", "1"))
    b = gazetteer.geocode(AddressQuery("Scharnhoelzstrasse", "1"))
    assert a == b
    assert a.street == "Scharnhölzstraße"


@pytest.mark.parametrize("number", ["12a", "12 A", "12-a"])
def test_existing_suffix_is_an_exact_hit(gazetteer: GazetteerGeocoder, number: str) -> None:
    result = gazetteer.geocode(AddressQuery("Hochstraße", number))
    assert result.house_number == "12a"
    assert result.precision == "house"
    plain = gazetteer.geocode(AddressQuery("Hochstraße", "12"))
    assert (result.lat, result.lon) != (plain.lat, plain.lon)


def test_unknown_suffix_falls_back_to_the_plain_number(gazetteer: GazetteerGeocoder) -> None:
    plain = gazetteer.geocode(AddressQuery("Hochstraße", "12"))
    result = gazetteer.geocode(AddressQuery("Hochstraße", "12c"))
    assert (result.lat, result.lon) == (plain.lat, plain.lon)
    assert result.house_number == "12c"
    assert result.precision == "house"


def test_number_between_known_numbers_is_interpolated(gazetteer: GazetteerGeocoder) -> None:
    lo = gazetteer.geocode(AddressQuery("Hochstraße", "9"))
    hi = gazetteer.geocode(AddressQuery("Hochstraße", "17"))
    mid = gazetteer.geocode(AddressQuery("Hochstraße", "13"))
    assert mid.precision == "interpolated"
    assert min(lo.lat, hi.lat) <= mid.lat <= max(lo.lat, hi.lat)
    assert mid.label == "Hochstraße 13, 46236 Bottrop"


def test_street_without_number_gives_a_point_on_the_street(gazetteer: GazetteerGeocoder) -> None:
    result = gazetteer.geocode(AddressQuery("Ostring"))
    assert result.precision == "street"
    assert result.house_number is None
    assert result.label == "Ostring, 46236 Bottrop"


def test_city_station_place_is_known(gazetteer: GazetteerGeocoder) -> None:
    result = gazetteer.geocode(AddressQuery("Altmarkt-Passage", city="Bottrop"))
    assert result.precision == "place"
    assert geodesic_m(result.lat, result.lon, 51.5236, 6.9285) < 200


def test_district_names_count_as_city(gazetteer: GazetteerGeocoder) -> None:
    for city in ("Bottrop", "Kirchhellen", "Bottrop-Kirchhellen"):
        result = gazetteer.geocode(AddressQuery("Hauptstraße", "33a", city=city))
        assert result.district == "Kirchhellen"
        assert result.postcode == "46244"


def test_unknown_street_is_a_miss_naming_the_address(gazetteer: GazetteerGeocoder) -> None:
    with pytest.raises(AddressNotFound) as info:
        gazetteer.geocode(AddressQuery("Königsallee", "1", city="Bottrop"))
    assert info.value.status == 422
    assert info.value.fields == {"json": {"address": [info.value.message]}}
    assert "Königsallee 1" in info.value.message


def test_house_number_beyond_the_street_is_a_miss(gazetteer: GazetteerGeocoder) -> None:
    with pytest.raises(AddressNotFound, match="has no house number 999"):
        gazetteer.geocode(AddressQuery("Hochstraße", "999"))


def test_contradicting_postcode_is_a_miss(gazetteer: GazetteerGeocoder) -> None:
    with pytest.raises(AddressNotFound, match="postcode"):
        gazetteer.geocode(AddressQuery("Hochstraße", "12", postcode="46244"))


def test_other_city_is_a_miss(gazetteer: GazetteerGeocoder) -> None:
    with pytest.raises(AddressNotFound):
        gazetteer.geocode(AddressQuery("Hochstraße", "12", city="Essen"))


def test_house_number_without_digits_is_a_miss(gazetteer: GazetteerGeocoder) -> None:
    with pytest.raises(AddressNotFound, match="must start with a digit"):
        gazetteer.geocode(AddressQuery("Hochstraße", "zwölf"))


def test_geojson_gazetteer(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [6.9285, 51.5236]},
                "properties": {
                    "street": "Altmarkt",
                    "house_number": "1",
                    "postcode": "46236",
                    "city": "Bottrop",
                    "district": "Altstadt",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [6.921, 51.606]},
                "properties": {"street": "Johann-Breuker-Platz", "city": "Bottrop"},
            },
        ],
    }
    path = tmp_path / "mini.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    gazetteer = GazetteerGeocoder(path)
    hit = gazetteer.geocode(AddressQuery("altmarkt", "1"))
    assert (hit.lat, hit.lon) == (51.5236, 6.9285)
    place = gazetteer.geocode(AddressQuery("Johann Breuker Pl."))
    assert place.precision == "place"


def test_csv_gazetteer_with_a_bad_row_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "street,house_number,postcode,city,district,lat,lon\nAltmarkt,1,46236,Bottrop,,north,6.9\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="record 1 is invalid"):
        GazetteerGeocoder(path)
