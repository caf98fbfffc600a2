"""Fields a client must never set: ids, owners, timestamps, another shop's id.

Each is refused with 422 naming the field, and the database stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.merchants.models import Merchant, Offer

Headers = Callable[[User], dict[str, str]]

SHOP = {"name": "Buchhandlung Neu", "category": "bookshop", "address": {"lat": 51.52, "lon": 6.93}}
OFFER = {"kind": "product", "title": "Buch", "price_cents": 1200, "parcel_size": "S"}


def _counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    shops = session.scalar(select(func.count()).select_from(Merchant))
    offers = session.scalar(select(func.count()).select_from(Offer))
    return shops or 0, offers or 0


def _errors(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == 422, body
    return body["errors"]["json"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", 4711), ("owner_id", None), ("created_at", "2020-01-01T00:00:00+00:00"),
     ("slug", "fake"), ("updated_at", "2020-01-01T00:00:00+00:00")],
)  # fmt: skip
def test_a_merchant_cannot_set_protected_fields_when_opening_a_shop(
    client: FlaskClient,
    db_session: Session,
    make_user: Callable[..., User],
    auth_headers: Headers,
    field: str,
    value: Any,
) -> None:
    merchant, other = make_user(Role.MERCHANT), make_user(Role.MERCHANT)
    before = _counts(db_session)
    body = {**SHOP, field: other.id if value is None else value}

    response = client.post("/api/v1/merchants", json=body, headers=auth_headers(merchant))

    assert field in _errors(response)
    assert _counts(db_session) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", 4711), ("owner_id", None), ("created_at", "2020-01-01T00:00:00+00:00"),
     ("slug", "taken-over"), ("lat", 0.0)],
)  # fmt: skip
def test_protected_shop_fields_cannot_be_patched_even_by_an_admin(
    client: FlaskClient,
    db_session: Session,
    make_user: Callable[..., User],
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
    field: str,
    value: Any,
) -> None:
    owner, thief = make_user(Role.MERCHANT), make_user(Role.MERCHANT)
    shop = make_merchant(owner, name="Original")
    before = (shop.id, shop.owner_id, shop.slug, shop.created_at, shop.lat, shop.name)

    for actor in (owner, make_user(Role.ADMIN)):
        response = client.patch(
            f"/api/v1/merchants/{shop.id}",
            json={"name": "Changed", field: thief.id if value is None else value},
            headers=auth_headers(actor),
        )
        assert field in _errors(response)

    db_session.expire_all()
    shop = db_session.get(Merchant, before[0])
    assert shop is not None
    assert (shop.id, shop.owner_id, shop.slug, shop.created_at, shop.lat, shop.name) == before


@pytest.mark.parametrize("field", ["id", "merchant_id", "created_at", "updated_at"])
def test_an_offer_body_cannot_name_its_shop_id_or_timestamps(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
    field: str,
) -> None:
    mine, theirs = make_merchant(), make_merchant()
    value = theirs.id if field in {"merchant_id", "id"} else "2020-01-01T00:00:00+00:00"
    before = _counts(db_session)

    response = client.post(
        f"/api/v1/merchants/{mine.id}/offers",
        json={**OFFER, field: value},
        headers=auth_headers(mine.owner),
    )

    assert field in _errors(response)
    assert _counts(db_session) == before


@pytest.mark.parametrize("field", ["id", "merchant_id", "created_at", "kind"])
def test_an_offer_cannot_be_moved_to_another_shop_or_rewritten_by_patch(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    auth_headers: Headers,
    field: str,
) -> None:
    mine, theirs = make_merchant(), make_merchant()
    offer = make_offer(mine, title="Mine", price_cents=500)
    value: Any = {
        "id": offer.id + 1000,
        "merchant_id": theirs.id,
        "created_at": "2020-01-01T00:00:00+00:00",
        "kind": "service",
    }[field]

    response = client.patch(
        f"/api/v1/offers/{offer.id}",
        json={"price_cents": 1, field: value},
        headers=auth_headers(mine.owner),
    )

    assert field in _errors(response)
    db_session.expire_all()
    stored = db_session.get(Offer, offer.id)
    assert stored is not None
    assert (stored.merchant_id, stored.price_cents, stored.kind.value) == (mine.id, 500, "product")


def test_only_an_admin_names_the_owner_of_a_new_shop(
    client: FlaskClient,
    db_session: Session,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    shopkeeper, admin = make_user(Role.MERCHANT), make_user(Role.ADMIN)

    response = client.post(
        "/api/v1/merchants", json={**SHOP, "owner_id": shopkeeper.id}, headers=auth_headers(admin)
    )

    assert response.status_code == 201, response.get_json()
    shop = db_session.get(Merchant, response.get_json()["id"])
    assert shop is not None and shop.owner_id == shopkeeper.id


def test_an_admin_cannot_give_a_shop_to_a_customer_account(
    client: FlaskClient,
    db_session: Session,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    customer, admin = make_user(Role.CUSTOMER), make_user(Role.ADMIN)
    before = _counts(db_session)

    response = client.post(
        "/api/v1/merchants", json={**SHOP, "owner_id": customer.id}, headers=auth_headers(admin)
    )

    assert "owner_id" in _errors(response)
    assert _counts(db_session) == before


def test_a_merchant_opening_a_shop_becomes_its_owner(
    client: FlaskClient,
    db_session: Session,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    merchant = make_user(Role.MERCHANT)

    response = client.post("/api/v1/merchants", json=SHOP, headers=auth_headers(merchant))

    assert response.status_code == 201, response.get_json()
    shop = db_session.get(Merchant, response.get_json()["id"])
    assert shop is not None and shop.owner_id == merchant.id
    assert response.get_json()["slug"] == "buchhandlung-neu"


def test_merchant_a_cannot_delete_b_s_exception_through_a_s_own_shop(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
) -> None:
    shop_a, shop_b = make_merchant(), make_merchant()
    created = client.post(
        f"/api/v1/merchants/{shop_b.id}/exceptions",
        json={"date": "2030-05-01", "closed": True},
        headers=auth_headers(shop_b.owner),
    )
    exception_id = created.get_json()["id"]

    response = client.delete(
        f"/api/v1/merchants/{shop_a.id}/exceptions/{exception_id}",
        headers=auth_headers(shop_a.owner),
    )

    assert response.status_code == 404
    db_session.expire_all()
    assert [e.id for e in db_session.get(Merchant, shop_b.id).opening_exceptions] == [exception_id]  # type: ignore[union-attr]
