"""Who may call which shop and offer endpoint: every endpoint × every kind of caller.

The world: merchant A owns shop A (with offer A and a date exception), merchant B owns shop B.
Every call targets A's things, so the merchant B column is "another shop's owner".
A refused call must leave A's shop and offer exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.merchants.models import Merchant, Offer, OpeningException

ACTORS = ("anonymous", "customer", "merchant_a", "merchant_b", "dispatcher", "admin")


@dataclass
class World:
    users: dict[str, User | None]
    shop_a: Merchant
    shop_b: Merchant
    offer_a: Offer
    exception_a: OpeningException
    spare_merchant: User  # a merchant account without a shop, for an admin to open one


@pytest.fixture()
def world(
    db_session: Session,
    make_user: Callable[..., User],
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
) -> World:
    users: dict[str, User | None] = {
        "anonymous": None,
        "customer": make_user(Role.CUSTOMER),
        "merchant_a": make_user(Role.MERCHANT),
        "merchant_b": make_user(Role.MERCHANT),
        "dispatcher": make_user(Role.DISPATCHER),
        "admin": make_user(Role.ADMIN),
    }
    shop_a = make_merchant(users["merchant_a"], name="Schuhmacherei A")
    shop_b = make_merchant(users["merchant_b"], name="Wäscherei B")
    offer_a = make_offer(shop_a, title="Absätze erneuern", kind="service")
    exception_a = OpeningException(day=date(2030, 12, 24), closed=True, reason="Heiligabend")
    shop_a.opening_exceptions.append(exception_a)
    db_session.commit()
    return World(users, shop_a, shop_b, offer_a, exception_a, make_user(Role.MERCHANT))


def _new_shop_body(w: World, actor: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Neuer Laden",
        "category": "florist",
        "address": {"lat": 51.52, "lon": 6.93},
    }
    if actor == "admin":  # only an admin names the owner; merchants must not
        body["owner_id"] = w.spare_merchant.id
    return body


NEW_OFFER = {"kind": "product", "title": "Blumenstrauß", "price_cents": 1990, "parcel_size": "M"}
HOURS = {"mon": [{"opens": "08:00", "closes": "12:00"}]}
EXCEPTION = {"date": "2030-12-31", "closed": True, "reason": "Silvester"}

#            anonymous customer  A    B   dispatcher admin
READ_ALL = (200, 200, 200, 200, 200, 200)
OWNER_OR_ADMIN = (401, 403, 200, 403, 403, 200)
OWNER_OR_ADMIN_CREATED = (401, 403, 201, 403, 403, 201)
OWNER_OR_ADMIN_NO_CONTENT = (401, 403, 204, 403, 403, 204)

MATRIX: list[tuple[str, str, Callable[[World], str], Any, tuple[int, ...]]] = [
    ("list shops", "GET", lambda w: "/api/v1/merchants", None, READ_ALL),
    ("read shop", "GET", lambda w: f"/api/v1/merchants/{w.shop_a.id}", None, READ_ALL),
    ("my shops", "GET", lambda w: "/api/v1/merchants/mine", None, (401, 403, 200, 200, 403, 403)),
    # A and B have a shop already (one each); the admin opens one for a spare merchant
    ("open shop", "POST", lambda w: "/api/v1/merchants", _new_shop_body,
     (401, 403, 409, 409, 403, 201)),
    ("change shop", "PATCH", lambda w: f"/api/v1/merchants/{w.shop_a.id}",
     {"name": "Übernommen"}, OWNER_OR_ADMIN),
    ("replace hours", "PUT", lambda w: f"/api/v1/merchants/{w.shop_a.id}/opening-hours",
     HOURS, OWNER_OR_ADMIN),
    ("add exception", "POST", lambda w: f"/api/v1/merchants/{w.shop_a.id}/exceptions",
     EXCEPTION, OWNER_OR_ADMIN_CREATED),
    ("delete exception", "DELETE",
     lambda w: f"/api/v1/merchants/{w.shop_a.id}/exceptions/{w.exception_a.id}", None,
     OWNER_OR_ADMIN_NO_CONTENT),
    ("list shop offers", "GET", lambda w: f"/api/v1/merchants/{w.shop_a.id}/offers", None,
     READ_ALL),
    ("add offer", "POST", lambda w: f"/api/v1/merchants/{w.shop_a.id}/offers", NEW_OFFER,
     OWNER_OR_ADMIN_CREATED),
    ("list offers", "GET", lambda w: "/api/v1/offers", None, READ_ALL),
    ("read offer", "GET", lambda w: f"/api/v1/offers/{w.offer_a.id}", None, READ_ALL),
    ("change offer", "PATCH", lambda w: f"/api/v1/offers/{w.offer_a.id}",
     {"price_cents": 1}, OWNER_OR_ADMIN),
    ("withdraw offer", "DELETE", lambda w: f"/api/v1/offers/{w.offer_a.id}", None,
     OWNER_OR_ADMIN_NO_CONTENT),
]  # fmt: skip

CASES = [
    pytest.param(method, url, body, actor, expected[i], id=f"{name}-{actor}")
    for name, method, url, body, expected in MATRIX
    for i, actor in enumerate(ACTORS)
]


def _snapshot(session: Session, w: World) -> dict[str, Any]:
    session.expire_all()
    shop = session.get(Merchant, w.shop_a.id)
    offer = session.get(Offer, w.offer_a.id)
    assert shop is not None and offer is not None
    return {
        "shop": (shop.name, shop.owner_id, shop.updated_at),
        "hours": [(i.weekday, i.opens, i.closes) for i in shop.opening_intervals],
        "exceptions": [e.day for e in shop.opening_exceptions],
        "offer": (offer.price_cents, offer.active, offer.merchant_id, offer.updated_at),
        "offers": session.query(Offer).filter_by(merchant_id=shop.id).count(),
        "shops": session.query(Merchant).count(),
    }


@pytest.mark.parametrize(("method", "url", "body", "actor", "expected"), CASES)
def test_access_matrix(
    client: FlaskClient,
    db_session: Session,
    world: World,
    auth_headers: Callable[[User], dict[str, str]],
    method: str,
    url: Callable[[World], str],
    body: Any,
    actor: str,
    expected: int,
) -> None:
    user = world.users[actor]
    headers = auth_headers(user) if user is not None else {}
    payload = body(world, actor) if callable(body) else body
    before = _snapshot(db_session, world)

    response = client.open(url(world), method=method, json=payload, headers=headers)

    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        assert response.get_json()["code"] == expected
        assert _snapshot(db_session, world) == before


def test_changing_a_shop_that_does_not_exist_is_404_for_a_merchant(
    client: FlaskClient, world: World, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    headers = auth_headers(world.users["merchant_a"])  # type: ignore[arg-type]
    assert (
        client.patch("/api/v1/merchants/999999", json={"name": "x"}, headers=headers).status_code
        == 404
    )
    assert (
        client.patch("/api/v1/offers/999999", json={"title": "x"}, headers=headers).status_code
        == 404
    )
    assert client.delete("/api/v1/offers/999999", headers=headers).status_code == 404
