"""POST /api/v1/geocode: the address check of a sign-up form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.geo.geocoders import GazetteerGeocoder, NominatimGeocoder, ServiceArea
from louise.geo.models import Address
from louise.geo.runtime import GEOCODER_KEY
from tests.geo.fake_nominatim import FakeNominatim

URL = "/api/v1/geocode"
BOTTROP = ServiceArea.from_bbox("6.83,51.48,7.05,51.65")


@pytest.fixture()
def gazetteer_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setitem(app.extensions, GEOCODER_KEY, GazetteerGeocoder())
    yield app


@pytest.fixture()
def nominatim_app(
    app: Flask, fake_nominatim: FakeNominatim, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    geocoder = NominatimGeocoder(
        domain=fake_nominatim.domain,
        scheme="http",
        user_agent="louise-tests/1.0",
        timeout=0.5,
        area=BOTTROP,
        country_codes="de",
    )
    monkeypatch.setitem(app.extensions, GEOCODER_KEY, geocoder)
    yield app


def post(client: FlaskClient, body: dict[str, Any]) -> Any:
    return client.post(URL, json=body)


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    payload = response.get_json()
    assert payload["code"] == status
    assert payload["message"]
    if field is not None:
        assert field in payload["errors"]["json"], payload
    return payload  # type: ignore[no-any-return]


def count_addresses(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Address)) or 0


def test_known_address_is_found_and_stored(
    gazetteer_app: Flask, client: FlaskClient, db_session: Session
) -> None:
    response = post(
        client,
        {"street": "Hochstr.", "house_number": "12 A", "postcode": "46236", "city": "Bottrop"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["label"] == "Hochstraße 12a, 46236 Bottrop"
    assert body["district"] == "Stadtmitte"
    assert body["precision"] == "house"
    assert body["source"] == "gazetteer"
    assert BOTTROP.contains(body["lat"], body["lon"])
    stored = db_session.get(Address, body["id"])
    assert stored is not None and stored.normalized_key == "hochstrasse|12a|46236|bottrop"


def test_spelling_variants_reuse_the_stored_address(
    gazetteer_app: Flask, client: FlaskClient, db_session: Session
) -> None:
    first = post(client, {"street": "Hochstraße", "house_number": "12a", "city": "Bottrop"})
    second = post(client, {"street": "HOCHSTRASSE", "house_number": "12 A", "city": "bottrop"})
    assert first.status_code == second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    assert count_addresses(db_session) == 1


def test_unknown_address_is_422_naming_the_address(
    gazetteer_app: Flask, client: FlaskClient, db_session: Session
) -> None:
    response = post(client, {"street": "Königsallee", "house_number": "1", "city": "Bottrop"})
    payload = assert_error(response, 422, "address")
    assert payload["error"] == "address_not_found"
    assert "Königsallee 1" in payload["message"]
    assert count_addresses(db_session) == 0


def test_coordinates_are_stored_as_given(
    gazetteer_app: Flask, client: FlaskClient, db_session: Session
) -> None:
    response = post(client, {"lat": 51.5236, "lon": 6.9285})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["lat"], body["lon"]) == (51.5236, 6.9285)
    assert body["source"] == body["precision"] == "client"
    again = post(client, {"lat": 51.5236, "lon": 6.9285})
    assert again.get_json()["id"] == body["id"]
    assert count_addresses(db_session) == 1


def test_coordinates_outside_the_area_are_422(gazetteer_app: Flask, client: FlaskClient) -> None:
    payload = assert_error(post(client, {"lat": 52.52, "lon": 13.405}), 422, "address")
    assert payload["error"] == "outside_service_area"
    assert "outside the service area" in payload["message"]


def test_geocoded_address_outside_the_area_is_422(
    nominatim_app: Flask, client: FlaskClient, fake_nominatim: FakeNominatim, db_session: Session
) -> None:
    fake_nominatim.body = [
        {"lat": "51.4556", "lon": "7.0116", "display_name": "Kettwiger Straße 1, 45127 Essen"}
    ]
    response = post(client, {"street": "Kettwiger Straße", "house_number": "1", "city": "Essen"})
    payload = assert_error(response, 422, "address")
    assert payload["error"] == "outside_service_area"
    assert "Essen" in payload["message"]
    assert count_addresses(db_session) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "street"),
        ({"street": "   "}, "street"),
        ({"house_number": "12", "city": "Bottrop"}, "street"),
        ({"lat": 51.52}, "lon"),
        ({"lon": 6.92}, "lat"),
        ({"lat": 91, "lon": 6.92}, "lat"),
        ({"lat": 51.52, "lon": -181}, "lon"),
        ({"street": "Hochstraße", "postcode": "!!"}, "postcode"),
        ({"street": "Hochstraße", "colour": "red"}, "colour"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(
    gazetteer_app: Flask, client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    assert_error(post(client, body), 422, field)


def test_non_json_body_is_refused(gazetteer_app: Flask, client: FlaskClient) -> None:
    response = client.post(URL, data="street=Hochstraße", content_type="text/plain")
    assert_error(response, 415)


@pytest.mark.parametrize("mode", ["error500", "malformed", "slow"])
def test_geocoder_outage_is_503_never_500(
    nominatim_app: Flask,
    client: FlaskClient,
    fake_nominatim: FakeNominatim,
    db_session: Session,
    mode: str,
) -> None:
    fake_nominatim.mode = mode
    fake_nominatim.delay_s = 1.5
    response = post(client, {"street": "Hansastraße", "house_number": "12", "city": "Bottrop"})
    payload = assert_error(response, 503)
    assert payload["error"] == "geocoder_unavailable"
    assert "try again later" in payload["message"]
    assert response.headers["Retry-After"] == "30"
    assert count_addresses(db_session) == 0


def test_nominatim_empty_answer_is_422(
    nominatim_app: Flask, client: FlaskClient, fake_nominatim: FakeNominatim
) -> None:
    fake_nominatim.mode = "empty"
    response = post(client, {"street": "Hansastraße", "house_number": "999", "city": "Bottrop"})
    assert assert_error(response, 422, "address")["error"] == "address_not_found"


def test_each_address_is_geocoded_once(
    nominatim_app: Flask, client: FlaskClient, fake_nominatim: FakeNominatim
) -> None:
    body = {"street": "Hansastraße", "house_number": "12", "postcode": "46236", "city": "Bottrop"}
    first = post(client, body)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["source"] == "nominatim"
    second = post(client, {**body, "street": "Hansastr."})
    assert second.status_code == 200
    assert second.get_json()["id"] == first.get_json()["id"]
    assert len(fake_nominatim.requests) == 1


def test_app_builds_its_geocoder_from_config(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from louise.geo.runtime import get_geocoder, get_service_area

    monkeypatch.delitem(app.extensions, GEOCODER_KEY, raising=False)
    with app.app_context():
        assert get_geocoder().name == "gazetteer"
        assert get_geocoder() is get_geocoder()
        assert get_service_area().contains(51.5236, 6.9285)


def test_endpoint_is_documented(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/geocode"]["post"]
    assert {"200", "422", "503"} <= set(operation["responses"])
    assert operation["summary"].startswith("Check an address")
