"""The hotline without a browser: who may use it, a new caller's name and number checked
beside the fields, booking for a caller once however often the confirm form is sent, and
the code and PIN read back."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.bookings.models import Booking, Channel
from louise.pages.hotline import spelled
from tests.pages.test_book_forms import csrf_of, sign_in
from tests.support.bookings import MONDAY

ADDRESS = "Hansastraße 12, 46236 Bottrop"


@pytest.fixture()
def dispatcher(client: FlaskClient, make_user: Callable[..., User]) -> User:
    user = make_user(role=Role.DISPATCHER)
    sign_in(client, user)
    return user


def post(client: FlaskClient, path: str, **fields: str) -> Any:
    page = client.get("/hotline/")
    return client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **fields})


def fields_of(html: str) -> dict[str, str]:
    """The hidden fields a step carries on."""
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))


def test_a_resident_and_a_courier_cannot_open_the_hotline(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    for role in (Role.CUSTOMER, Role.COURIER, Role.MERCHANT):
        sign_in(client, make_user(role=role))
        assert client.get("/hotline/").status_code == 403


def test_a_visitor_is_sent_to_login(client: FlaskClient) -> None:
    answer = client.get("/hotline/")
    assert answer.status_code == 302
    assert "/account/login" in answer.headers["Location"]


def test_the_search_finds_a_caller_by_their_number_in_another_notation(
    client: FlaskClient, dispatcher: User, make_user: Callable[..., User]
) -> None:
    make_user(role=Role.CUSTOMER, name="Gerda Schulte", phone="02041 77 66 55")
    html = client.get("/hotline/?q=%2B49 2041 776655").get_data(as_text=True)
    assert "Buchen für Gerda Schulte" in html
    assert "02041 77 66 55" in html


def test_nobody_found_puts_the_typed_number_into_the_new_callers_form(
    client: FlaskClient, dispatcher: User
) -> None:
    html = client.get("/hotline/?q=0171 000 11 22").get_data(as_text=True)
    assert "Niemand gefunden" in html
    assert re.search(r'id="f-phone" name="phone" type="tel" value="0171 000 11 22"', html)
    assert re.search(r'id="f-name"[^>]*autofocus', html)


def test_a_new_caller_without_a_name_is_refused_beside_the_name(
    client: FlaskClient, dispatcher: User
) -> None:
    answer = post(client, "/hotline/book", step="caller", name="", phone="0171 0001122")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="e-name"' in html
    assert 'value="0171 0001122"' in html  # what was typed is kept


def test_book_for_a_new_caller_once_and_read_the_code_back(
    client: FlaskClient, dispatcher: User, offers: Any, db_session: Session, now: Any
) -> None:
    caller = {"name": "Horst Kaminski", "phone": "0171 5550001"}
    html = post(client, "/hotline/book", step="caller", **caller).get_data(as_text=True)
    assert 'name="offer_id"' in html
    steps = {**caller, "offer_id": str(offers["service"].id)}
    html = post(client, "/hotline/book", step="offer", **steps).get_data(as_text=True)
    assert 'id="f-address"' in html
    html = post(client, "/hotline/book", step="address", **steps, address=ADDRESS).get_data(
        as_text=True
    )
    assert 'name="place"' in html
    carried = fields_of(html)
    html = post(client, "/hotline/book", **{**carried, "step": "where", "place": "door"}).get_data(
        as_text=True
    )
    assert 'id="w-evening"' in html
    carried = fields_of(html)
    answer = post(
        client,
        "/hotline/book",
        **{**carried, "step": "window", "window": "evening", "date": MONDAY.isoformat()},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200, html
    carried = fields_of(html)
    assert carried["idempotency_key"]
    first = post(client, "/hotline/confirm", **carried)
    again = post(client, "/hotline/confirm", **carried)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    booking = db_session.scalars(
        select(Booking).where(Booking.contact_name == "Horst Kaminski")
    ).one()
    assert booking.channel == Channel.HOTLINE
    customer = db_session.get(User, booking.customer_id)
    assert customer is not None and customer.password_hash is None
    assert customer.phone == "0171 5550001"
    done = client.get(first.headers["Location"]).get_data(as_text=True)
    assert booking.code in done
    for group in spelled(booking.code):
        assert group in done
    count = db_session.scalar(
        select(func.count(Booking.id)).where(Booking.customer_id == customer.id)
    )
    assert count == 1


def test_spelled_groups_a_code_for_reading_out() -> None:
    assert spelled("LSTC4X9K") == ["L-S-T-C", "4-X-9-K"]
    assert spelled("123456", 3) == ["1-2-3", "4-5-6"]


def _hotline_booking(client: FlaskClient, offers: Any, db_session: Session) -> Booking:
    caller = {"name": "Rita Sommer", "phone": "0171 5550002", "offer_id": str(offers["service"].id)}
    fields = {**caller, "address": ADDRESS, "place": "door", "date": MONDAY.isoformat()}
    html = post(client, "/hotline/book", step="window", window="evening", **fields).get_data(
        as_text=True
    )
    answer = post(client, "/hotline/confirm", **fields_of(html))
    assert answer.status_code == 303
    return db_session.scalars(select(Booking).where(Booking.contact_name == "Rita Sommer")).one()


def test_the_tracking_link_goes_by_sms_and_its_state_is_shown(
    client: FlaskClient, dispatcher: User, offers: Any, db_session: Session, now: Any
) -> None:
    booking = _hotline_booking(client, offers, db_session)
    answer = post(client, f"/hotline/bookings/{booking.id}/sms", phone="0171 5550002")
    assert answer.status_code == 303
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Die SMS ist eingereiht" in html


def test_a_bad_mobile_number_is_refused_beside_the_field(
    client: FlaskClient, dispatcher: User, offers: Any, db_session: Session, now: Any
) -> None:
    booking = _hotline_booking(client, offers, db_session)
    answer = post(client, f"/hotline/bookings/{booking.id}/sms", phone="12")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="e-phone"' in html
    assert 'value="12"' in html
    assert "Eine Telefonnummer hat 7 bis 15 Ziffern; diese hat 2." in html
