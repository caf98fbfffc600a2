"""The booking flow without a browser: who may open it, what each step refuses and where
it says so, and that one confirm form books once however often it is sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.bookings.models import Booking
from louise.pages.login import _fingerprint

ADDRESS = "Hansastraße 12, 46236 Bottrop"
DUSSELDORF = "Königsallee 1, 40212 Düsseldorf"


def sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["uid"] = user.id
        session["pwf"] = _fingerprint(user)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no field {name}"
    return found.group(1)


@pytest.fixture()
def resident(client: FlaskClient, make_user: Callable[..., User]) -> User:
    user = make_user(role=Role.CUSTOMER)
    sign_in(client, user)
    return user


def post_step(client: FlaskClient, offer: Any, step: str, **fields: str) -> Any:
    page = client.get(f"/book/{offer.id}")
    data = {"csrf_token": csrf_of(page.get_data(as_text=True)), "step": step, **fields}
    return client.post(f"/book/{offer.id}", data=data)


def bookings_of(db_session: Session, user: User) -> int:
    return int(
        db_session.scalar(select(func.count(Booking.id)).where(Booking.customer_id == user.id)) or 0
    )


def test_a_visitor_is_sent_to_login_and_comes_back(client: FlaskClient, offers: Any) -> None:
    answer = client.get(f"/book/{offers['service'].id}")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/account/login?next=/book/{offers['service'].id}"


def test_a_shop_cannot_open_the_booking_flow(
    client: FlaskClient, offers: Any, make_user: Callable[..., User]
) -> None:
    sign_in(client, make_user(role=Role.MERCHANT))
    assert client.get(f"/book/{offers['service'].id}").status_code == 403


def test_the_offer_is_shown_with_its_shop_price_and_kind(
    client: FlaskClient, offers: Any, resident: User
) -> None:
    html = client.get(f"/book/{offers['service'].id}").get_data(as_text=True)
    assert "Absätze erneuern" in html
    assert "Schuhmacherei Kowalski" in html
    assert "Hin und zurück" in html  # a service is a round trip
    assert 'aria-current="step"' in html


def test_an_unknown_offer_is_a_404_page(client: FlaskClient, resident: User) -> None:
    answer = client.get("/book/999999")
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"


def test_an_address_outside_the_area_is_refused_beside_the_address_field(
    client: FlaskClient, offers: Any, resident: User
) -> None:
    answer = post_step(client, offers["service"], "address", address=DUSSELDORF)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'aria-describedby="e-address h-address"' in html
    assert re.search(r'<p class="error" id="e-address">[^<]*Servicegebiet', html)
    assert f'value="{DUSSELDORF}"' in html  # what was typed stays


def test_the_suggestions_complete_a_typed_street(
    client: FlaskClient, offers: Any, resident: User
) -> None:
    answer = client.get(f"/book/{offers['service'].id}/suggestions?address=Hansastr+12")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Hansastraße 12, 46236 Bottrop" in html
    picked = client.get(
        f"/book/{offers['service'].id}/suggestions", query_string={"pick": ADDRESS}
    ).get_data(as_text=True)
    assert f'value="{ADDRESS}"' in picked


def test_a_good_address_leads_to_the_places_with_their_opening_hours(
    client: FlaskClient, offers: Any, resident: User, make_kiosk: Callable[[int], Any]
) -> None:
    make_kiosk(5)
    html = post_step(client, offers["product"], "address", address=ADDRESS).get_data(as_text=True)
    assert "Kiosk am Pferdemarkt" in html
    assert "Mo–Sa 07:00–21:00; So geschlossen" in html


def test_the_confirm_form_books_once_however_often_it_is_sent(
    client: FlaskClient, offers: Any, resident: User, db_session: Session, now: Any
) -> None:
    fields = {"address": ADDRESS, "place": "door", "date": "2026-11-23", "window": "evening"}
    confirm = post_step(client, offers["service"], "window", **fields)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200, html
    assert "data-once" in html
    key = hidden(html, "idempotency_key")
    data = {"csrf_token": csrf_of(html), "step": "book", "idempotency_key": key, **fields}
    first = client.post(f"/book/{offers['service'].id}/confirm", data=data)
    second = client.post(f"/book/{offers['service'].id}/confirm", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert bookings_of(db_session, resident) == 1
    done = client.get(first.headers["Location"]).get_data(as_text=True)
    code = db_session.scalar(select(Booking.code).where(Booking.customer_id == resident.id))
    assert code and code in done


def test_a_cutoff_passed_is_said_beside_the_window_and_keeps_the_choices(
    client: FlaskClient, offers: Any, resident: User, db_session: Session, now: Any
) -> None:
    from tests.support.bookings import MONDAY, local

    fields = {"address": ADDRESS, "place": "door", "date": "2026-11-23", "window": "evening"}
    confirm = post_step(client, offers["service"], "window", **fields).get_data(as_text=True)
    now(local(MONDAY, 14, 5))  # the resident waited on the confirm page past 14:00
    data = {
        "csrf_token": csrf_of(confirm),
        "step": "book",
        "idempotency_key": hidden(confirm, "idempotency_key"),
        **fields,
    }
    answer = client.post(f"/book/{offers['service'].id}/confirm", data=data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="e-window"' in html
    assert f'value="{ADDRESS}"' in html
    assert bookings_of(db_session, resident) == 0


def test_a_full_window_shows_as_full_and_cannot_be_chosen(
    client: FlaskClient,
    offers: Any,
    resident: User,
    make_user: Callable[..., User],
    db_session: Session,
    now: Any,
) -> None:
    from louise.bookings import slots
    from louise.bookings.runtime import get_context
    from tests.support.bookings import MONDAY

    slots.set_window_capacity(
        db_session, get_context(), make_user(role=Role.DISPATCHER), MONDAY, "evening", 0
    )
    fields = {"address": ADDRESS, "place": "door", "date": "2026-11-23"}
    html = post_step(client, offers["service"], "where", **fields).get_data(as_text=True)
    evening = re.search(r'<input type="radio" name="window" id="w-evening"[^>]*>', html)
    assert evening and " disabled" in evening.group(0)
    assert "Ausgebucht" in html
    # sent anyway, it is refused beside the windows, the other choices kept
    answer = post_step(client, offers["service"], "window", window="evening", **fields)
    refused = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'<p class="error" id="e-window">', refused)
    assert f'value="{ADDRESS}"' in refused


def test_a_fourth_open_booking_of_the_day_is_refused_beside_the_day(
    client: FlaskClient,
    offers: Any,
    resident: User,
    book: Callable[..., Any],
    auth_headers: Callable[..., dict[str, str]],
    db_session: Session,
) -> None:
    for _ in range(3):
        assert book(auth_headers(resident), offers["service"]).status_code == 201
    fields = {"address": ADDRESS, "place": "door", "date": "2026-11-23", "window": "evening"}
    confirm = post_step(client, offers["service"], "window", **fields).get_data(as_text=True)
    data = {
        "csrf_token": csrf_of(confirm),
        "step": "book",
        "idempotency_key": hidden(confirm, "idempotency_key"),
        **fields,
    }
    answer = client.post(f"/book/{offers['service'].id}/confirm", data=data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'<p class="error" id="e-date">[^<]*offene Buchungen', html)
    assert 'aria-describedby="e-date"' in html
    assert bookings_of(db_session, resident) == 3
