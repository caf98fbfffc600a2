"""The courier's page without a browser (fast: the Flask test client): what the route shows,
the forms posted without JavaScript, one record per idempotency key, the fallback Point after
a failed door delivery, and that a courier reaches only their own stops."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from louise.auth.models import User
from louise.bookings.models import Booking, StatusChange
from louise.dispatch.models import PlanStop
from louise.pages import login
from tests.support.courier import picked_up
from tests.support.dispatch import MONDAY, local

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def _sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["uid"] = user.id
        session["pwf"] = login._fingerprint(user)


def _page(client: FlaskClient, day: str = MONDAY.isoformat()) -> tuple[str, str]:
    answer = client.get(f"/courier?date={day}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    return page, found.group(1)


def _courier(db_session: Any, delivery: dict[str, Any]) -> User:
    user = db_session.get(User, delivery["route"]["courier_id"])
    assert user is not None
    return user


def _post(
    client: FlaskClient, token: str, stop_id: int, action: str, key: str, **fields: Any
) -> Any:
    data = {"csrf_token": token, "idempotency_key": key, "day": MONDAY.isoformat(), **fields}
    return client.post(f"/courier/stops/{stop_id}/{action}", data=data)


def test_my_route_shows_the_next_stop_with_code_call_and_map_links(
    client: FlaskClient, delivery: dict[str, Any], db_session: Any
) -> None:
    _sign_in(client, _courier(db_session, delivery))
    page, _ = _page(client)
    assert "Meine Tour" in page and "Nächster Halt" in page
    assert delivery["booking"]["code"] in page
    assert 'href="geo:' in page and "https://www.openstreetmap.org/directions?" in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page


def test_the_route_page_is_for_couriers_only(
    client: FlaskClient, make_user: Any, delivery: dict[str, Any]
) -> None:
    assert client.get("/courier").status_code == 302
    _sign_in(client, make_user("customer"))
    assert client.get("/courier").status_code == 403


def test_another_courier_sees_none_of_my_stops_and_cannot_record_them(
    client: FlaskClient, delivery: dict[str, Any], db_session: Any, fleet: Any
) -> None:
    mine = _courier(db_session, delivery)
    other_id = next(s.courier_id for s in fleet if s.courier_id != mine.id)
    _sign_in(client, db_session.get(User, other_id))
    page, token = _page(client)
    assert delivery["booking"]["code"] not in page
    answer = _post(client, token, delivery["pickup"]["id"], "arrived", str(uuid.uuid4()))
    assert answer.status_code == 404
    assert db_session.get(PlanStop, delivery["pickup"]["id"]).status.value == "pending"


def test_the_same_key_sent_twice_records_the_completion_once(
    client: FlaskClient, delivery: dict[str, Any], db_session: Any
) -> None:
    _sign_in(client, _courier(db_session, delivery))
    _, token = _page(client)
    key = str(uuid.uuid4())
    code = delivery["booking"]["code"]
    first = _post(client, token, delivery["pickup"]["id"], "complete", key, code=code)
    again = _post(client, token, delivery["pickup"]["id"], "complete", key, code=code)
    assert first.status_code == 200 and again.status_code == 200
    assert re.search(r"Halt \d+ erledigt\.", again.get_data(as_text=True))
    stop = db_session.get(PlanStop, delivery["pickup"]["id"])
    db_session.refresh(stop)
    assert stop.status.value == "completed" and stop.proof_kind == "booking_code"
    picked = db_session.scalar(
        select(func.count())
        .select_from(StatusChange)
        .where(
            StatusChange.booking_id == delivery["booking"]["id"],
            StatusChange.to_status == "picked_up",
        )
    )
    assert picked == 1
    other_key = _post(client, token, stop.id, "complete", str(uuid.uuid4()), code=code)
    assert other_key.status_code == 409  # a new key for a done stop: refused, not recorded


def test_a_wrong_code_is_refused_beside_the_field_and_kept(
    client: FlaskClient, delivery: dict[str, Any], db_session: Any
) -> None:
    _sign_in(client, _courier(db_session, delivery))
    _, token = _page(client)
    answer = _post(client, token, delivery["pickup"]["id"], "complete", "k1", code="L2222222")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Nicht erfasst:" in page and 'value="L2222222"' in page
    answer = _post(client, token, delivery["pickup"]["id"], "complete", "k2")
    assert answer.status_code == 422


def test_a_photo_completes_a_pickup(
    client: FlaskClient, delivery: dict[str, Any], db_session: Any
) -> None:
    _sign_in(client, _courier(db_session, delivery))
    _, token = _page(client)
    data = {
        "csrf_token": token,
        "idempotency_key": str(uuid.uuid4()),
        "day": MONDAY.isoformat(),
        "photo": (io.BytesIO(PNG), "proof.png"),
    }
    answer = client.post(
        f"/courier/stops/{delivery['pickup']['id']}/complete",
        data=data,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    stop = db_session.get(PlanStop, delivery["pickup"]["id"])
    db_session.refresh(stop)
    assert stop.proof_kind == "photo" and stop.proof_ref.startswith("proofs/")


def test_a_failed_door_delivery_shows_the_fallback_point_and_the_new_pin(
    client: FlaskClient, delivery: dict[str, Any], db_session: Any, kiosks: Any, now: Any
) -> None:
    now(local(MONDAY, 17, 40))
    picked_up(client, delivery)
    _sign_in(client, _courier(db_session, delivery))
    _, token = _page(client)
    answer = _post(
        client, token, delivery["delivery"]["id"], "fail", "f1", reason="not_at_home", note=""
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Trinkhalle Süd" in page
    pin = re.search(r'class="pin">(\d{6})<', page)
    assert pin is not None
    booking = db_session.get(Booking, delivery["booking"]["id"])
    db_session.refresh(booking)
    assert booking.pickup_pin == pin.group(1)
