"""Ids in URLs and times on the wire, at the edges the fuzzer found (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from louise.web import iso_utc


def test_iso_utc_writes_four_digit_years_and_utc():
    assert iso_utc(datetime(389, 6, 4, 9, 0, tzinfo=UTC)) == "0389-06-04T09:00:00Z"
    assert iso_utc(datetime(2026, 11, 23, 17, 30, 5, 999, tzinfo=UTC)) == "2026-11-23T17:30:05Z"
    plus_one = timezone(timedelta(hours=1))
    assert iso_utc(datetime(2026, 11, 23, 18, 30, tzinfo=plus_one)) == "2026-11-23T17:30:00Z"
    assert iso_utc(None) is None


def test_id_path_parameters_are_documented_with_their_range(client):
    document = client.get("/api/openapi.json").get_json()
    (param,) = document["paths"]["/api/v1/offers/{offer_id}"]["parameters"]
    assert param["schema"] == {
        "type": "integer",
        "format": "int32",
        "minimum": 1,
        "maximum": 2147483647,
    }
    slots = document["paths"]["/api/v1/slots"]["get"]["parameters"]
    address_id = next(p for p in slots if p["name"] == "address_id")
    assert address_id["schema"]["maximum"] == 2147483647
    assert address_id["schema"]["minimum"] == 1


def test_text_with_a_nul_character_is_422_naming_the_field(client):
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "nul@example.test", "name": "A\u0000B", "password": "x" * 20},
    )
    assert r.status_code == 422, r.json
    assert r.json["errors"] == {"json": {"name": ["Must not contain the NUL character (U+0000)."]}}
    r = client.get("/api/v1/merchants", query_string={"q": "Schuh\u0000"})
    assert r.status_code == 422
    assert list(r.json["errors"]["query"]) == ["q"]
    assert client.get("/api/v1/track/abc%00def").status_code == 404


def test_a_time_without_a_local_time_a_day_either_side_is_422_naming_the_field(client):
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"):
        r = client.get("/api/v1/offers", query_string={"open_at": moment})
        assert r.status_code == 422, (moment, r.json)
        assert r.json["errors"] == {"query": {"open_at": ["Out of range."]}}
    r = client.get("/api/v1/offers", query_string={"open_at": "2026-11-23T10:00:00+01:00"})
    assert r.status_code == 200
