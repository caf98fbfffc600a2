"""Fleet and shifts without a browser: who may open them, a shift added with its break, a
shift that ends before it starts refused beside the end, window capacities listed and
changed (never below what is booked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.bookings.models import CapacityCounter
from louise.fleet.models import Shift, Vehicle, VehicleKind
from tests.pages.test_book_forms import csrf_of, sign_in
from tests.support.bookings import MONDAY

TUESDAY = "2026-11-24"


@pytest.fixture()
def dispatcher(client: FlaskClient, make_user: Callable[..., User]) -> User:
    user = make_user(role=Role.DISPATCHER)
    sign_in(client, user)
    return user


@pytest.fixture()
def bike(db_session: Session) -> Vehicle:
    vehicle = Vehicle(
        name="Lastenrad Test", kind=VehicleKind.BIKE, capacity_l=200, capacity_kg=100, speed_kmh=15
    )
    db_session.add(vehicle)
    db_session.commit()
    return vehicle


def post(client: FlaskClient, path: str, **fields: str) -> Any:
    page = client.get("/fleet/")
    return client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **fields})


def test_only_dispatchers_and_admins_open_the_fleet(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    for role, status in ((Role.COURIER, 403), (Role.CITY, 403), (Role.ADMIN, 200)):
        sign_in(client, make_user(role=role))
        assert client.get("/fleet/").status_code == status


def test_a_shift_with_a_break_is_added_and_listed(
    client: FlaskClient,
    dispatcher: User,
    bike: Vehicle,
    make_user: Callable[..., User],
    db_session: Session,
    now: Any,
) -> None:
    courier = make_user(role=Role.COURIER, name="Kira Kurier")
    answer = post(
        client,
        "/fleet/shifts",
        courier_id=str(courier.id),
        vehicle_id=str(bike.id),
        day=TUESDAY,
        starts_at="08:00",
        ends_at="16:00",
        break_start="12:00",
        break_end="13:00",
        break_minutes="30",
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    shift = db_session.scalars(select(Shift).where(Shift.courier_id == courier.id)).one()
    assert shift.day.isoformat() == TUESDAY
    assert shift.breaks[0]["duration_s"] == 1800
    html = client.get(f"/fleet/?day={TUESDAY}").get_data(as_text=True)
    assert "Kira Kurier" in html
    assert "08:00–16:00" in html


def test_a_shift_that_ends_before_it_starts_is_refused_beside_the_end(
    client: FlaskClient,
    dispatcher: User,
    bike: Vehicle,
    make_user: Callable[..., User],
    db_session: Session,
    now: Any,
) -> None:
    courier = make_user(role=Role.COURIER)
    answer = post(
        client,
        "/fleet/shifts",
        courier_id=str(courier.id),
        vehicle_id=str(bike.id),
        day=TUESDAY,
        starts_at="16:00",
        ends_at="08:00",
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="e-ends_at"' in html
    assert 'value="16:00"' in html
    assert db_session.scalars(select(Shift).where(Shift.courier_id == courier.id)).all() == []


def test_a_window_capacity_is_listed_and_changed(
    client: FlaskClient, dispatcher: User, db_session: Session, now: Any
) -> None:
    html = client.get(f"/fleet/?day={MONDAY.isoformat()}").get_data(as_text=True)
    assert 'id="cap-evening"' in html
    answer = post(client, f"/fleet/capacity/{MONDAY.isoformat()}/evening", capacity="7")
    assert answer.status_code == 303
    counter = db_session.scalars(
        select(CapacityCounter).where(
            CapacityCounter.scope == "window",
            CapacityCounter.key == "evening",
            CapacityCounter.day == MONDAY,
        )
    ).one()
    assert counter.capacity == 7
    refused = post(client, f"/fleet/capacity/{MONDAY.isoformat()}/evening", capacity="-1")
    assert refused.status_code == 422
    assert 'id="e-cap-evening"' in refused.get_data(as_text=True)


def test_the_api_reads_a_window_capacity(
    client: FlaskClient, auth_headers: Callable[..., dict[str, str]], make_user: Any, now: Any
) -> None:
    headers = auth_headers(make_user(role=Role.DISPATCHER))
    answer = client.get(f"/api/v1/capacity/{MONDAY.isoformat()}/evening", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["window"] == "evening"
    assert answer.get_json()["used"] == 0
    assert (
        client.get(f"/api/v1/capacity/{MONDAY.isoformat()}/nope", headers=headers).status_code
        == 422
    )
