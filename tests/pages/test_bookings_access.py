"""The resident's booking pages without a browser: who sees which booking, the refused
forms, the calendar file and the public tracking page (fast: the Flask test client)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from louise.auth.models import User
from louise.bookings.models import Booking
from louise.pages import login


def _sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["uid"] = user.id
        session["pwf"] = login._fingerprint(user)


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@pytest.fixture()
def booked(book: Any, offers: dict[str, Any], make_user: Any, db_session: Any) -> Any:
    """A resident with a round trip booked for Monday evening."""
    resident = make_user("customer", name="Erika Brandt")
    answer = book(resident, offers["service"])
    assert answer.status_code == 201, answer.json
    return resident, db_session.get(Booking, answer.json["id"])


def test_my_bookings_needs_a_login(client: FlaskClient) -> None:
    answer = client.get("/bookings")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/account/login?next=/bookings")


def test_my_bookings_lists_my_booking_in_german(client: FlaskClient, booked: Any) -> None:
    resident, booking = booked
    _sign_in(client, resident)
    page = client.get("/bookings").get_data(as_text=True)
    assert booking.code in page
    assert "Absätze erneuern" in page and "Schuhmacherei Kowalski" in page
    assert "Bestätigt" in page


def test_someone_elses_booking_is_a_plain_not_found_page(
    client: FlaskClient, booked: Any, make_user: Any
) -> None:
    _, booking = booked
    _sign_in(client, make_user("customer"))
    for path in (f"/bookings/{booking.id}", f"/bookings/{booking.id}/calendar.ics"):
        answer = client.get(path)
        assert answer.status_code == 404
        body = answer.get_data(as_text=True)
        assert booking.code not in body
        assert "Diese Seite gibt es nicht." in body
    assert booking.code not in client.get("/bookings").get_data(as_text=True)


def test_someone_elses_booking_cannot_be_cancelled_by_form(
    client: FlaskClient, booked: Any, make_user: Any, db_session: Any
) -> None:
    _, booking = booked
    _sign_in(client, make_user("customer"))
    token = _csrf(client, "/bookings")
    answer = client.post(f"/bookings/{booking.id}/cancel", data={"csrf_token": token})
    assert answer.status_code == 404
    db_session.refresh(booking)
    assert booking.status.value == "confirmed"


def test_cancel_without_csrf_token_is_refused(client: FlaskClient, booked: Any) -> None:
    resident, booking = booked
    _sign_in(client, resident)
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 400


def test_a_reschedule_without_a_window_says_so_beside_the_windows(
    client: FlaskClient, booked: Any
) -> None:
    resident, booking = booked
    _sign_in(client, resident)
    token = _csrf(client, f"/bookings/{booking.id}")
    answer = client.post(
        f"/bookings/{booking.id}/reschedule", data={"csrf_token": token, "date": "2026-11-24"}
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="e-window"' in page
    assert 'value="2026-11-24"' in page  # the chosen day is kept


def test_calendar_file_is_text_calendar_for_the_owner(client: FlaskClient, booked: Any) -> None:
    resident, booking = booked
    _sign_in(client, resident)
    answer = client.get(f"/bookings/{booking.id}/calendar.ics")
    assert answer.status_code == 200
    assert answer.mimetype == "text/calendar"
    assert f"LOUISE Abholung {booking.code}" in answer.get_data(as_text=True)


def test_tracking_page_shows_state_and_window_and_nothing_personal(
    client: FlaskClient, booked: Any
) -> None:
    resident, booking = booked
    answer = client.get(f"/track/{booking.tracking_token}")
    assert answer.status_code == 200
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    page = answer.get_data(as_text=True)
    assert "Bestätigt" in page and "Schuhmacherei Kowalski" in page
    assert "17:30–20:00" in page
    for secret in (resident.name, booking.code, booking.address_label, booking.pickup_pin):
        if secret:
            assert secret not in page


def test_unknown_tracking_token_is_the_not_found_page(client: FlaskClient) -> None:
    answer = client.get("/track/not-a-real-token")
    assert answer.status_code == 404
    assert "Diese Seite gibt es nicht." in answer.get_data(as_text=True)


def test_the_window_it_is_booked_in_is_not_offered_as_a_move(
    client: FlaskClient, booked: Any
) -> None:
    resident, booking = booked  # Monday, evening
    _sign_in(client, resident)
    page = client.get(f"/bookings/{booking.id}?date=2026-11-23").get_data(as_text=True)
    assert 'name="window" value="evening"' not in page
    tuesday = client.get(f"/bookings/{booking.id}?date=2026-11-24").get_data(as_text=True)
    assert 'name="window" value="evening"' in tuesday


def test_a_day_beyond_the_horizon_is_named_beside_the_day_field(
    client: FlaskClient, booked: Any
) -> None:
    resident, booking = booked
    _sign_in(client, resident)
    answer = client.get(f"/bookings/{booking.id}?date=2027-06-01")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'id="e-date"' in page
    assert 'name="window"' not in page


def test_booking_page_in_english_says_the_state_in_english(
    client: FlaskClient, booked: Any
) -> None:
    resident, booking = booked
    _sign_in(client, resident)
    client.set_cookie("lang", "en")
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert "Booking code" in page and "Confirmed" in page and "History" in page


def test_moving_into_a_full_window_says_fully_booked_beside_the_windows(
    client: FlaskClient, booked: Any, auth_headers: Any, db_session: Any
) -> None:
    resident, booking = booked
    full = client.put(
        "/api/v1/capacity/2026-11-24/evening",
        json={"capacity": 0},
        headers=auth_headers("dispatcher"),
    )
    assert full.status_code == 200, full.json
    _sign_in(client, resident)
    token = _csrf(client, f"/bookings/{booking.id}")
    answer = client.post(
        f"/bookings/{booking.id}/reschedule",
        data={"csrf_token": token, "date": "2026-11-24", "window": "evening"},
    )
    assert answer.status_code == 422
    assert '<p class="error" id="e-window">Ausgebucht.</p>' in answer.get_data(as_text=True)
    db_session.refresh(booking)
    assert [leg.day.isoformat() for leg in booking.legs if leg.purpose.value == "collect"] == [
        "2026-11-23"
    ]
