"""``Idempotency-Key`` on ``POST /api/v1/bookings`` (Stripe, draft-ietf-httpapi-idempotency-
key-header): replay, mismatch, scoping, 24-hour retention, failures not stored, malformed keys,
and concurrent duplicates through a real gunicorn."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.bookings.models import Booking, CapacityCounter, IdempotencyKey
from tests.bookings.server import (
    Live,
    book_call,
    fire_together,
    live,  # noqa: F401  (the session's server fixture)
)
from tests.support.bookings import MONDAY, MONDAY_10

WEDNESDAY = MONDAY + timedelta(days=2)
KEY = "5b0e2c3e-8f1a-4c55-9d0e-3c1f4a7b9e21"


def _bookings_of(db_session: Session, user: Any) -> int:
    return int(
        db_session.scalar(
            select(func.count()).select_from(Booking).where(Booking.customer_id == user.id)
        )
        or 0
    )


def _window_used(db_session: Session, day: Any, window: str) -> int:
    used = db_session.scalar(
        select(CapacityCounter.used).where(
            CapacityCounter.scope == "window",
            CapacityCounter.key == window,
            CapacityCounter.day == day,
        )
    )
    return int(used or 0)


def _key(value: str = KEY) -> dict[str, str]:
    return {"Idempotency-Key": value}


def _names_the_header(response: Any) -> bool:
    return "Idempotency-Key" in response.json.get("errors", {}).get("headers", {})


def test_same_key_and_body_replays_the_first_answer(
    book: Callable[..., Any], offers: dict[str, Any], make_user: Any, db_session: Session
) -> None:
    alice = make_user("customer")
    first = book(alice, offers["product"], headers=_key())
    assert first.status_code == 201, first.json
    assert "Idempotent-Replayed" not in first.headers

    again = book(alice, offers["product"], headers=_key())

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert _bookings_of(db_session, alice) == 1
    assert _window_used(db_session, MONDAY, "evening") == 1


def test_body_fields_in_another_order_are_the_same_request(
    client: Any, auth_headers: Any, offers: dict[str, Any], make_user: Any, now: Any
) -> None:
    alice = make_user("customer")
    headers = {**auth_headers(alice), **_key()}
    body = {
        "offer_id": offers["product"].id,
        "date": MONDAY.isoformat(),
        "window": "evening",
        "address": {"lat": 51.529, "lon": 6.94},
    }
    first = client.post("/api/v1/bookings", json=body, headers=headers)
    reordered = dict(reversed(list(body.items())))
    again = client.post("/api/v1/bookings", json=reordered, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_refused(
    book: Callable[..., Any], offers: dict[str, Any], make_user: Any, db_session: Session
) -> None:
    alice = make_user("customer")
    assert book(alice, offers["product"], headers=_key()).status_code == 201

    other = book(alice, offers["product"], window="day-15", day=WEDNESDAY, headers=_key())

    assert other.status_code == 422
    assert _names_the_header(other)
    assert "Idempotent-Replayed" not in other.headers
    assert _bookings_of(db_session, alice) == 1


def test_keys_are_scoped_to_the_user(
    book: Callable[..., Any], offers: dict[str, Any], make_user: Any, db_session: Session
) -> None:
    alice, bob = make_user("customer"), make_user("customer")
    hers = book(alice, offers["product"], headers=_key())
    his = book(bob, offers["product"], headers=_key())

    assert (hers.status_code, his.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in his.headers
    assert his.json["id"] != hers.json["id"]
    assert his.json["customer_id"] == bob.id
    assert (_bookings_of(db_session, alice), _bookings_of(db_session, bob)) == (1, 1)


def test_a_key_replays_for_24_hours_and_is_new_again_afterwards(
    book: Callable[..., Any],
    offers: dict[str, Any],
    make_user: Any,
    now: Callable[..., None],
    db_session: Session,
) -> None:
    alice = make_user("customer")
    first = book(alice, offers["product"], day=WEDNESDAY, headers=_key())
    assert first.status_code == 201

    now(MONDAY_10 + timedelta(hours=23, minutes=59))
    replay = book(alice, offers["product"], day=WEDNESDAY, headers=_key())
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["id"] == first.json["id"]

    now(MONDAY_10 + timedelta(hours=24, seconds=1))
    fresh = book(alice, offers["product"], day=WEDNESDAY, headers=_key())
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh.headers
    assert fresh.json["id"] != first.json["id"]
    assert _bookings_of(db_session, alice) == 2


def test_a_request_refused_by_validation_is_not_stored_under_its_key(
    book: Callable[..., Any],
    client: Any,
    auth_headers: Any,
    offers: dict[str, Any],
    make_user: Any,
    db_session: Session,
) -> None:
    alice = make_user("customer")
    headers = {**auth_headers(alice), **_key()}
    broken = client.post(
        "/api/v1/bookings",
        json={"offer_id": offers["product"].id, "date": "not-a-date", "window": "evening"},
        headers=headers,
    )
    assert broken.status_code == 422
    sunday = book(alice, offers["product"], day=MONDAY - timedelta(days=1), headers=_key())
    assert sunday.status_code == 422  # refused by the booking rules (closed day, in the past)
    assert db_session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0

    valid = book(alice, offers["product"], headers=_key())

    assert valid.status_code == 201
    assert "Idempotent-Replayed" not in valid.headers


def test_a_booking_refused_for_a_full_window_is_not_stored_under_its_key(
    book: Callable[..., Any],
    client: Any,
    auth_headers: Any,
    offers: dict[str, Any],
    make_user: Any,
    db_session: Session,
) -> None:
    dispatcher = auth_headers("dispatcher")
    url = f"/api/v1/capacity/{MONDAY.isoformat()}/evening"
    assert client.put(url, json={"capacity": 0}, headers=dispatcher).status_code == 200
    alice = make_user("customer")

    full = book(alice, offers["product"], headers=_key())
    assert full.status_code == 409
    assert full.json["error"] == "slot_full"

    assert client.put(url, json={"capacity": 5}, headers=dispatcher).status_code == 200
    retry = book(alice, offers["product"], headers=_key())

    assert retry.status_code == 201, retry.json
    assert "Idempotent-Replayed" not in retry.headers
    assert _bookings_of(db_session, alice) == 1


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("k" * 300, id="300-chars"),
        pytest.param("k" * 256, id="256-chars"),
        pytest.param("", id="empty"),
        pytest.param("two words", id="space"),
        pytest.param("schlüssel", id="non-ascii"),
        pytest.param("tab\tkey", id="control-char"),
    ],
)
def test_a_malformed_key_is_a_bad_request_naming_the_header(
    key: str,
    book: Callable[..., Any],
    offers: dict[str, Any],
    make_user: Any,
    db_session: Session,
) -> None:
    alice = make_user("customer")
    response = book(alice, offers["product"], headers=_key(key))
    assert response.status_code == 400
    assert _names_the_header(response)
    assert _bookings_of(db_session, alice) == 0


def test_a_key_of_255_printable_characters_is_accepted(
    book: Callable[..., Any], offers: dict[str, Any], make_user: Any
) -> None:
    alice = make_user("customer")
    key = ("Aa0-_.~!" * 40)[:255]
    assert book(alice, offers["product"], headers=_key(key)).status_code == 201
    assert book(alice, offers["product"], headers=_key(key)).headers["Idempotent-Replayed"]


# --- concurrent duplicates, through a real server --------------------------------------------


@pytest.mark.slow
def test_concurrent_duplicates_make_one_booking_and_all_get_its_answer(live: Live) -> None:
    """20 threads send the same key and body at once to gunicorn -w 4: one booking; every
    answer is that booking's 201 (the duplicates wait for the first, then replay)."""
    for round_ in range(1, 4):
        day, window = live.next_slot(20)
        [alice] = live.customers(1)
        call = book_call(live, alice, day, window, key=f"dup-{round_}-{alice}")
        answers = fire_together([call] * 20, threads=20)

        assert Counter(a.status for a in answers) == {201: 20}, [
            a.body for a in answers if a.status != 201
        ]
        assert len({a.body["id"] for a in answers}) == 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 19
        assert live.count_bookings(alice) == 1
        assert live.window_state(day, window)[1:] == (1, 1)
