"""The Nominatim provider against a local fake server: every failure is a clear 4xx or 503."""

from __future__ import annotations

import time

import pytest

from louise.errors import ServiceUnavailable, ValidationFailed
from louise.geo.geocoders import (
    AddressNotFound,
    AddressQuery,
    GeocoderUnavailable,
    NominatimGeocoder,
    ServiceArea,
    geocoder_from_config,
)
from tests.geo.fake_nominatim import FakeNominatim

BOTTROP = ServiceArea.from_bbox("6.83,51.48,7.05,51.65")
HANSA = AddressQuery("Hansastraße", "12", "46236", "Bottrop")


def make_geocoder(fake: FakeNominatim, timeout: float = 0.5) -> NominatimGeocoder:
    return NominatimGeocoder(
        domain=fake.domain,
        scheme="http",
        user_agent="louise-tests/1.0",
        timeout=timeout,
        area=BOTTROP,
        country_codes="de",
    )


def test_success_maps_the_answer(fake_nominatim: FakeNominatim) -> None:
    result = make_geocoder(fake_nominatim).geocode(HANSA)
    assert (result.lat, result.lon) == (51.5241, 6.9312)
    assert result.source == "nominatim"
    assert result.precision == "house"
    assert result.street == "Hansastraße"
    assert result.house_number == "12"
    assert result.postcode == "46236"
    assert result.city == "Bottrop"
    assert result.district == "Stadtmitte"
    assert "Hansastraße" in result.label


def test_request_is_structured_bounded_and_identified(fake_nominatim: FakeNominatim) -> None:
    make_geocoder(fake_nominatim).geocode(HANSA)
    assert fake_nominatim.paths == ["/search"]
    params = fake_nominatim.requests[0]
    assert params["street"] == ["12 Hansastraße"]
    assert params["postalcode"] == ["46236"]
    assert params["city"] == ["Bottrop"]
    assert params["bounded"] == ["1"]
    assert params["countrycodes"] == ["de"]
    assert params["format"] == ["json"]
    min_lon, min_lat, max_lon, max_lat = (float(x) for x in params["viewbox"][0].split(","))
    assert (min_lon, min_lat, max_lon, max_lat) == (6.83, 51.48, 7.05, 51.65)
    assert fake_nominatim.user_agents == ["louise-tests/1.0"]


def test_empty_answer_is_address_not_found(fake_nominatim: FakeNominatim) -> None:
    fake_nominatim.mode = "empty"
    with pytest.raises(AddressNotFound) as info:
        make_geocoder(fake_nominatim).geocode(HANSA)
    assert isinstance(info.value, ValidationFailed)
    assert info.value.status == 422
    assert info.value.fields == {"json": {"address": [info.value.message]}}
    assert "Hansastraße 12, 46236 Bottrop" in info.value.message


def test_http_500_is_unavailable(fake_nominatim: FakeNominatim) -> None:
    fake_nominatim.mode = "error500"
    with pytest.raises(GeocoderUnavailable) as info:
        make_geocoder(fake_nominatim).geocode(HANSA)
    assert isinstance(info.value, ServiceUnavailable)
    assert info.value.status == 503
    assert "unavailable" in info.value.message
    assert info.value.headers["Retry-After"] == "30"
    assert len(fake_nominatim.requests) == 1, "no hidden retries"


def test_malformed_json_is_unavailable(fake_nominatim: FakeNominatim) -> None:
    fake_nominatim.mode = "malformed"
    with pytest.raises(GeocoderUnavailable, match="unavailable"):
        make_geocoder(fake_nominatim).geocode(HANSA)


@pytest.mark.parametrize(
    "body",
    [
        [{"display_name": "no coordinates"}],
        [{"lat": "north", "lon": "east", "display_name": "x"}],
        {"error": "Internal failure"},
        "just a string",
    ],
)
def test_json_of_the_wrong_shape_is_unavailable(
    fake_nominatim: FakeNominatim, body: object
) -> None:
    fake_nominatim.body = body
    with pytest.raises(GeocoderUnavailable):
        make_geocoder(fake_nominatim).geocode(HANSA)


def test_timeout_is_unavailable_and_does_not_hang(fake_nominatim: FakeNominatim) -> None:
    fake_nominatim.mode = "slow"
    # the server does answer, with a good address, after 4 s: only the 0.5 s timeout makes
    # this an error, and giving up well before the answer (one try, no retries) shows it
    # does not hang; the bound leaves 3 s for a machine busy with other work
    fake_nominatim.delay_s = 4.0
    started = time.monotonic()
    with pytest.raises(GeocoderUnavailable, match=r"no answer within 0\.5 s"):
        make_geocoder(fake_nominatim, timeout=0.5).geocode(HANSA)
    assert time.monotonic() - started < 3.5


def test_unreachable_server_is_unavailable() -> None:
    # a port nobody listens on: bind, read the port, close
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    geocoder = NominatimGeocoder(
        domain=f"127.0.0.1:{port}", scheme="http", user_agent="louise-tests/1.0", timeout=0.5
    )
    with pytest.raises(GeocoderUnavailable):
        geocoder.geocode(HANSA)


def test_factory_builds_nominatim_from_config(fake_nominatim: FakeNominatim) -> None:
    geocoder = geocoder_from_config(
        {
            "GEOCODER": "nominatim",
            "NOMINATIM_DOMAIN": fake_nominatim.domain,
            "NOMINATIM_SCHEME": "http",
            "NOMINATIM_USER_AGENT": "louise-tests/1.0",
            "NOMINATIM_TIMEOUT": 0.5,
            "SERVICE_AREA_BBOX": "6.83,51.48,7.05,51.65",
            "SERVICE_COUNTRY_CODES": "de",
        }
    )
    assert isinstance(geocoder, NominatimGeocoder)
    assert geocoder.geocode(HANSA).lat == 51.5241


def test_factory_defaults_to_the_gazetteer_and_refuses_unknown_kinds() -> None:
    assert geocoder_from_config({}).name == "gazetteer"
    with pytest.raises(ValueError, match="unknown GEOCODER"):
        geocoder_from_config({"GEOCODER": "google"})


def test_nominatim_needs_a_user_agent() -> None:
    with pytest.raises(ValueError, match="user agent"):
        NominatimGeocoder(domain="127.0.0.1:1", scheme="http", user_agent="")
