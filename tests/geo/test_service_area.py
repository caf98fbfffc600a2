from __future__ import annotations

import pytest

from louise.geo.geocoders import OutsideServiceArea, ServiceArea, service_area_from_config


def test_bbox_string_is_parsed_in_lon_lat_order() -> None:
    area = ServiceArea.from_bbox("6.83,51.48,7.05,51.65")
    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (6.83, 51.48, 7.05, 51.65)
    assert area.viewbox == ((51.48, 6.83), (51.65, 7.05))


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (51.5236, 6.9285, True),  # City-Station
        (51.606, 6.921, True),  # Kirchhellen
        (51.62, 6.96, True),  # Feldhausen
        (51.4556, 7.0116, False),  # Essen
        (52.52, 13.405, False),  # Berlin
        (6.9285, 51.5236, False),  # lat and lon swapped
    ],
)
def test_contains(lat: float, lon: float, inside: bool) -> None:
    assert service_area_from_config({}).contains(lat, lon) is inside


@pytest.mark.parametrize("bbox", ["6.83,51.48,7.05", "7.05,51.48,6.83,51.65", "a,b,c,d"])
def test_bad_bbox_is_refused(bbox: str) -> None:
    with pytest.raises(ValueError):
        ServiceArea.from_bbox(bbox)


def test_outside_error_names_the_fields() -> None:
    error = OutsideServiceArea(
        "Essen", ServiceArea.from_bbox("6.83,51.48,7.05,51.65"), field="pickup_address"
    )
    assert error.status == 422
    assert error.fields == {"json": {"pickup_address": [error.message]}}
    assert "outside the service area" in error.message
