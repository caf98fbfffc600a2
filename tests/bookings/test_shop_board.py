"""The shop's board (``louise.bookings.shop.shop_board``, the shop's Today page): what is
coming in, what is at the shop, what is ready to go back — only the shop's own items."""

from __future__ import annotations

import pytest

from louise.bookings.shop import shop_board
from louise.errors import Forbidden


def _codes(items):
    return [item.booking.code for item in items]


def test_board_follows_an_item_from_coming_in_to_ready_with_its_return_leg(
    book, offers, shop, make_user, auth_headers, client, db_session
):
    resident = make_user("customer")
    repair = book(resident, offers["service"]).json
    product = book(resident, offers["product"]).json
    board = shop_board(db_session, shop.owner)
    assert _codes(board.coming_in) == [repair["code"]]  # a product is not received
    assert board.coming_in[0].offer_title == "Absätze erneuern"
    assert board.coming_in[0].leg.dest_kind.value == "shop"
    assert product["code"] not in _codes(board.coming_in + board.at_shop + board.ready)

    owner = auth_headers(shop.owner)
    assert client.post(f"/api/v1/bookings/{repair['id']}/receive", headers=owner).status_code == 200
    db_session.expire_all()
    board = shop_board(db_session, shop.owner)
    assert (_codes(board.coming_in), _codes(board.at_shop)) == ([], [repair["code"]])
    assert board.at_shop[0].leg is None

    assert client.post(f"/api/v1/bookings/{repair['id']}/ready", headers=owner).status_code == 200
    db_session.expire_all()
    board = shop_board(db_session, shop.owner)
    assert (_codes(board.at_shop), _codes(board.ready)) == ([], [repair["code"]])
    leg = board.ready[0].leg
    assert leg.purpose.value == "return" and leg.origin_kind.value == "shop"
    assert not leg.tentative


def test_another_shop_sees_none_of_the_items_and_a_resident_has_no_board(
    book, offers, make_merchant, make_user, db_session
):
    resident = make_user("customer")
    assert book(resident, offers["service"]).status_code == 201
    other = make_merchant()
    board = shop_board(db_session, other.owner)
    assert (board.coming_in, board.at_shop, board.ready) == ([], [], [])
    with pytest.raises(Forbidden):
        shop_board(db_session, resident)
