"""GET /api/v1/impact (JSON and CSV), the city role, and no personal data for the city."""

from __future__ import annotations

import csv
import io
import itertools
import re

import pytest
from sqlalchemy import select, update

from louise.auth.models import User
from louise.bookings.models import Booking, Leg
from louise.dispatch.models import Plan, PlanRoute, PlanStop
from louise.geo.models import Address
from louise.impact.ledger import build_ledger
from tests.impact.test_ledger import SETTINGS
from tests.support.dispatch import MONDAY

URL = "/api/v1/impact"
WEEK = {"from": "2026-11-23", "to": "2026-11-29"}


@pytest.fixture()
def built(db_session, published):
    """Monday's eight bookings planned, published and in the ledger."""
    build_ledger(db_session, MONDAY, SETTINGS)
    return published


def test_the_city_reads_the_figures_as_json(client, auth_headers, built):
    days = {"from": "2026-11-23", "to": "2026-11-25", "group_by": "day"}
    r = client.get(URL, query_string=days, headers=auth_headers("city"))
    assert r.status_code == 200, r.json
    body = r.json
    assert (body["from"], body["to"], body["group_by"]) == ("2026-11-23", "2026-11-25", "day")
    assert body["min_group_bookings"] == 5
    assert [g["key"] for g in body["groups"]][:2] == ["2026-11-23", "2026-11-24"]
    assert len(body["groups"]) == 3
    monday = body["groups"][0]
    assert monday["suppressed"] is False and monday["bookings"] == 8
    assert monday["active_residents"] == 8 and monday["active_shops"] == 1
    assert monday["bike_km"] > 0 and monday["van_km"] > monday["bike_km"]
    assert body["total"]["key"] == "total" and body["total"]["bookings"] == 8
    tuesday = body["groups"][1]
    assert tuesday["suppressed"] is True and tuesday["bookings"] is None


@pytest.mark.parametrize("role", ["dispatcher", "admin"])
def test_staff_read_the_figures_too(client, auth_headers, role):
    r = client.get(URL, query_string=WEEK, headers=auth_headers(role))
    assert r.status_code == 200, r.json


@pytest.mark.parametrize("role", ["customer", "courier", "merchant"])
def test_residents_couriers_and_shops_are_refused(client, auth_headers, role):
    r = client.get(URL, query_string=WEEK, headers=auth_headers(role))
    assert r.status_code == 403
    assert r.json["error"] == "forbidden"


def test_anonymous_callers_are_asked_to_log_in(client):
    assert client.get(URL, query_string=WEEK).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-11-30", "to": "2026-11-23"}, "to"),
        ({"from": "2026-01-01", "to": "2027-01-02"}, "to"),
        ({**WEEK, "group_by": "street"}, "group_by"),
        ({"to": "2026-11-23"}, "from"),
        ({"from": "2026-11-31", "to": "2026-12-01"}, "from"),
        ({"from": "1999-12-31", "to": "2000-01-01"}, "from"),
        ({**WEEK, "format": "xml"}, "format"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, auth_headers, query, field):
    r = client.get(URL, query_string=query, headers=auth_headers("city"))
    assert r.status_code == 422, r.json
    assert list(r.json["errors"]["query"]) == [field]


def test_a_range_of_366_days_is_allowed(client, auth_headers):
    r = client.get(
        URL,
        query_string={"from": "2028-01-01", "to": "2028-12-31", "group_by": "month"},
        headers=auth_headers("city"),
    )
    assert r.status_code == 200
    assert [g["key"] for g in r.json["groups"]][-1] == "2028-12"


@pytest.mark.parametrize("how", ["accept", "format"])
def test_csv_has_the_json_numbers(client, auth_headers, built, how):
    city = auth_headers("city")
    query = {**WEEK, "group_by": "merchant"}
    data = client.get(URL, query_string=query, headers=city).json
    if how == "accept":
        r = client.get(URL, query_string=query, headers={**city, "Accept": "text/csv"})
    else:
        r = client.get(URL, query_string={**query, "format": "csv"}, headers=city)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    header = rows[0]
    assert header[:5] == ["key", "label", "from", "to", "suppressed"]
    assert "co2e_avoided_kg" in header and "on_time_rate" in header
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [rec["key"] for rec in records] == [g["key"] for g in data["groups"]] + ["total"]
    assert records[0]["label"] == "Schuhmacherei Kowalski"
    for rec, group in zip(records, [*data["groups"], data["total"]], strict=True):
        for column in header[5:]:
            value = group[column]
            if value is None:
                assert rec[column] == ""
            else:
                assert float(rec[column]) == value, column
        assert rec["suppressed"] == ("true" if group["suppressed"] else "false")


def test_a_small_shop_is_withheld_in_the_csv(client, auth_headers, db_session, built):
    # only four of the eight bookings remain in the week: every group and the total withheld
    ids = [b.id for b in db_session.scalars(select(Booking).order_by(Booking.id))][:4]
    db_session.execute(update(Leg).where(Leg.booking_id.in_(ids)).values(status="cancelled"))
    db_session.commit()
    r = client.get(URL, query_string={**WEEK, "format": "csv"}, headers=auth_headers("city"))
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert rows and all(row["suppressed"] == "true" for row in rows)
    assert all(row["bookings"] == "" and row["co2e_avoided_kg"] == "" for row in rows)


def test_an_admin_creates_a_city_account_that_reads_no_bookings(client, auth_headers):
    r = client.post(
        "/api/v1/users",
        json={
            "email": "klimaschutz@bottrop.example",
            "password": "Stadt Bottrop 2035 klimaneutral",
            "name": "Stadt Bottrop, Klimaschutz",
            "role": "city",
        },
        headers=auth_headers("admin"),
    )
    assert r.status_code == 201, r.json
    assert r.json["role"] == "city" and r.json["status"] == "active"
    login = client.post(
        "/api/v1/auth/login",
        json={
            "email": "klimaschutz@bottrop.example",
            "password": "Stadt Bottrop 2035 klimaneutral",
        },
    )
    assert login.status_code == 200, login.json
    city = {"Authorization": f"Bearer {login.json['access_token']}"}
    assert client.get("/api/v1/bookings", headers=city).status_code == 403
    assert client.get("/api/v1/users", headers=city).status_code == 403
    assert client.get(URL, query_string=WEEK, headers=city).status_code == 200


def test_a_dispatcher_cannot_create_a_city_account(client, auth_headers):
    r = client.post(
        "/api/v1/users",
        json={
            "email": "x@bottrop.example",
            "password": "long enough pass 123",
            "name": "X",
            "role": "city",
        },
        headers=auth_headers("dispatcher"),
    )
    assert r.status_code == 403


# -- no personal data for the city ----------------------------------------------------------


def plant_markers(db_session) -> list[str]:
    """A unique marker in every personal field of the day's residents, addresses, bookings,
    legs and stops; the markers."""
    markers: list[str] = []
    n = itertools.count(1)

    def marker(kind: str) -> str:
        value = f"QX{kind}{next(n):03d}"
        markers.append(value)
        return value

    bookings = db_session.scalars(select(Booking).order_by(Booking.id)).all()
    for booking in bookings:
        user = db_session.get(User, booking.customer_id)
        db_session.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                name=marker("NAME"),
                email=f"{marker('MAIL').lower()}@example.test",
                phone=marker("PHONE"),
            )
        )
        db_session.execute(
            update(Address)
            .where(Address.id == booking.address_id)
            .values(
                street=marker("STREET"),
                house_number=marker("HN")[:20],
                label=marker("ALABEL"),
                postcode=marker("PC")[:10],
            )
        )
        db_session.execute(
            update(Booking)
            .where(Booking.id == booking.id)
            .values(
                contact_name=marker("CONTACT"),
                contact_phone=marker("CPHONE"),
                notes=marker("NOTES"),
                address_label=marker("BLABEL"),
                code=marker("C")[:12],
                cancel_reason=marker("REASON"),
            )
        )
        for leg in booking.legs:
            db_session.execute(
                update(Leg)
                .where(Leg.id == leg.id)
                .values(origin_label=marker("ORIGIN"), dest_label=marker("DEST"))
            )
    for stop in db_session.scalars(select(PlanStop).where(PlanStop.leg_id.is_not(None))):
        db_session.execute(
            update(PlanStop).where(PlanStop.id == stop.id).values(label=marker("STOP"))
        )
    db_session.commit()
    return markers


def _ids(db_session) -> dict[str, list[int]]:
    def ids(column) -> list[int]:
        return list(db_session.scalars(select(column)).all())[:20]

    return {
        "booking_id": ids(Booking.id),
        "user_id": ids(User.id),
        "plan_id": ids(Plan.id),
        "route_id": ids(PlanRoute.id),
        "stop_id": ids(PlanStop.id),
        "leg_id": ids(Leg.id),
        "address_id": ids(Address.id),
    }


def test_no_personal_data_reaches_the_city(app, client, auth_headers, db_session, built):
    markers = plant_markers(db_session)
    # the markers are really there: a dispatcher's booking list shows them
    staff = client.get("/api/v1/bookings", headers=auth_headers("dispatcher")).get_data(
        as_text=True
    )
    assert any(m in staff for m in markers)

    city = auth_headers("city")
    ids = _ids(db_session)
    document = client.get("/api/openapi.json").json
    paths = [p for p, ops in document["paths"].items() if p.startswith("/api/v1/") and "get" in ops]
    assert "/api/v1/impact" in paths and len(paths) > 20
    bodies: list[str] = []
    answered = set()
    extra = {"date": "2026-11-23", "from": "2026-11-23", "to": "2026-11-29", "group_by": "day"}
    for path in paths:
        names = re.findall(r"{(\w+)}", path)
        choices = [ids.get(name, [1, 2, 3]) for name in names]
        for values in itertools.product(*choices) if names else [()]:
            url = path
            for name, value in zip(names, values, strict=True):
                url = url.replace("{" + name + "}", str(value))
            for query in ({}, extra):
                for accept in ("application/json", "text/csv"):
                    r = client.get(url, query_string=query, headers={**city, "Accept": accept})
                    assert r.status_code < 500, (url, r.status_code)
                    if r.status_code == 200:
                        answered.add(path)
                    bodies.append(r.get_data(as_text=True))
    for group_by in ("day", "week", "month", "district", "merchant"):
        for fmt in ("json", "csv"):
            r = client.get(
                URL, query_string={**WEEK, "group_by": group_by, "format": fmt}, headers=city
            )
            assert r.status_code == 200
            bodies.append(r.get_data(as_text=True))
    assert "/api/v1/impact" in answered
    found = {m for m in markers for body in bodies if m.lower() in body.lower()}
    assert found == set()
