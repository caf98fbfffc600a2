"""The state machines: every transition not in the tables is refused with 409 and changes
nothing; the API paths that change states obey the same tables."""

from __future__ import annotations

import itertools

import pytest

from louise.bookings.lifecycle import check_booking, check_leg
from louise.bookings.models import BookingStatus, LegStatus
from louise.errors import InvalidState

BOOKING_PAIRS = list(itertools.product(BookingStatus, BookingStatus))
LEG_PAIRS = list(itertools.product(LegStatus, LegStatus))

#: the allowed transitions, written out here (not read from the code's tables): a change to
#: the state machine has to change this test too
ALLOWED_BOOKING = {
    ("requested", "confirmed"),
    ("requested", "cancelled"),
    ("confirmed", "at_shop"),
    ("confirmed", "completed"),
    ("confirmed", "cancelled"),
    ("at_shop", "ready"),
    ("at_shop", "completed"),
    ("at_shop", "cancelled"),
    ("ready", "returned"),
    ("returned", "completed"),
}
ALLOWED_LEG = {
    ("scheduled", "picked_up"),
    ("scheduled", "failed"),
    ("scheduled", "cancelled"),
    ("picked_up", "delivered"),
    ("picked_up", "failed"),
    ("failed", "scheduled"),
    ("failed", "cancelled"),
}


@pytest.mark.parametrize(("current", "target"), BOOKING_PAIRS, ids=lambda s: s.value)
def test_booking_transition_matrix(current, target):
    if (current.value, target.value) in ALLOWED_BOOKING:
        check_booking(current, target)
    else:
        with pytest.raises(InvalidState) as info:
            check_booking(current, target)
        assert info.value.status == 409


@pytest.mark.parametrize(("current", "target"), LEG_PAIRS, ids=lambda s: s.value)
def test_leg_transition_matrix(current, target):
    if (current.value, target.value) in ALLOWED_LEG:
        check_leg(current, target)
    else:
        with pytest.raises(InvalidState) as info:
            check_leg(current, target)
        assert info.value.status == 409


def test_terminal_states_have_no_way_out():
    for status in ("completed", "cancelled"):
        for target in BookingStatus:
            with pytest.raises(InvalidState):
                check_booking(BookingStatus(status), target)
    for target in LegStatus:
        with pytest.raises(InvalidState):
            check_leg(LegStatus.DELIVERED, target)


def _history(client, headers, booking_id):
    return client.get(f"/api/v1/bookings/{booking_id}/history", headers=headers).json


@pytest.mark.parametrize(
    ("kind", "action"),
    [
        ("service", "ready"),  # not at the shop yet
        ("product", "receive"),  # nothing to receive
        ("product", "ready"),
        ("collection", "ready"),
    ],
)
def test_invalid_merchant_actions_are_409_and_change_nothing(
    kind, action, book, offers, shop, make_user, auth_headers, client
):
    resident = make_user("customer")
    created = book(resident, offers[kind])
    assert created.status_code == 201
    merchant = auth_headers(shop.owner)
    before = client.get(f"/api/v1/bookings/{created.json['id']}", headers=merchant).json
    history_before = _history(client, merchant, created.json["id"])
    r = client.post(f"/api/v1/bookings/{created.json['id']}/{action}", headers=merchant)
    assert r.status_code == 409, r.json
    assert r.json["code"] == 409
    assert client.get(f"/api/v1/bookings/{created.json['id']}", headers=merchant).json == before
    assert _history(client, merchant, created.json["id"]) == history_before


def test_cancelled_booking_cannot_be_cancelled_again_or_received(
    book, offers, shop, make_user, auth_headers, client
):
    resident = make_user("customer")
    headers = auth_headers(resident)
    created = book(resident, offers["service"]).json
    assert (
        client.post(
            f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=headers
        ).status_code
        == 200
    )
    again = client.post(f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=headers)
    assert again.status_code == 409
    received = client.post(
        f"/api/v1/bookings/{created['id']}/receive", headers=auth_headers(shop.owner)
    )
    assert received.status_code == 409


def test_completed_collection_cannot_be_cancelled(
    book, offers, shop, make_user, auth_headers, client
):
    resident = make_user("customer")
    created = book(resident, offers["collection"]).json
    r = client.post(f"/api/v1/bookings/{created['id']}/receive", headers=auth_headers(shop.owner))
    assert r.status_code == 200 and r.json["status"] == "completed"
    cancel = client.post(
        f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=auth_headers(resident)
    )
    assert cancel.status_code == 409


def test_shop_completes_a_collection_the_courier_already_delivered(
    book, offers, shop, make_user, auth_headers, client, db_session
):
    from louise.bookings.models import Booking, BookingStatus

    created = book(make_user("customer"), offers["collection"]).json
    booking = db_session.get(Booking, created["id"])
    booking.status = BookingStatus.AT_SHOP  # as the courier's delivery stop leaves it
    db_session.commit()
    r = client.post(f"/api/v1/bookings/{created['id']}/receive", headers=auth_headers(shop.owner))
    assert r.status_code == 200 and r.json["status"] == "completed"
