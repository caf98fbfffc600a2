"""Bad input gets a 4xx that names the problem, and changes nothing."""

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

SHOP = {"name": "Fahrradladen", "category": "bike_shop", "address": {"lat": 51.52, "lon": 6.93}}
OFFER = {"kind": "product", "title": "Schlauch", "price_cents": 800, "parcel_size": "S"}


def _offer_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Offer)) or 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": "12.50"}, "price_cents"),
        ({"price_cents": 12.5}, "price_cents"),
        ({"price_cents": None}, "price_cents"),
        ({"title": ""}, "title"),
        ({"title": 42}, "title"),
        ({"kind": "rental"}, "kind"),
        ({"parcel_size": "XXL"}, "parcel_size"),
        ({"active": "yes"}, "active"),
        ({"kind": "service"}, "turnaround_days"),  # a service needs its turnaround
        ({"kind": "service", "turnaround_days": 0}, "turnaround_days"),
        ({"turnaround_days": 2}, "turnaround_days"),  # a product has none
        ({"daily_capacity": 10}, "daily_capacity"),  # only services have a capacity
        ({"parcel_size": "custom"}, "volume_l"),
        ({"parcel_size": "custom", "volume_l": 20}, "weight_kg"),
        ({"parcel_size": "custom", "volume_l": -5, "weight_kg": 2}, "volume_l"),
        ({"volume_l": 30}, "volume_l"),  # S is fixed at 10 l
    ],
)
def test_bad_offer_fields_are_refused_by_name(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
    change: dict[str, Any],
    field: str,
) -> None:
    shop = make_merchant()
    before = _offer_count(db_session)

    response = client.post(
        f"/api/v1/merchants/{shop.id}/offers",
        json={**OFFER, **change},
        headers=auth_headers(shop.owner),
    )

    body = response.get_json()
    assert response.status_code == 422, body
    assert field in body["errors"]["json"]
    assert field in body["message"]
    assert _offer_count(db_session) == before


@pytest.mark.parametrize("missing", ["kind", "title", "price_cents", "parcel_size"])
def test_missing_offer_fields_are_named(
    client: FlaskClient, make_merchant: Callable[..., Merchant], auth_headers: Headers, missing: str
) -> None:
    shop = make_merchant()
    body = {k: v for k, v in OFFER.items() if k != missing}

    response = client.post(
        f"/api/v1/merchants/{shop.id}/offers", json=body, headers=auth_headers(shop.owner)
    )

    assert response.status_code == 422
    assert response.get_json()["errors"]["json"][missing] == ["Missing data for required field."]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"turnaround_days": None}, "turnaround_days"),
        ({"price_cents": -100}, "price_cents"),
        ({"parcel_size": "custom"}, "volume_l"),
    ],
)
def test_a_patch_must_leave_the_offer_consistent(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    auth_headers: Headers,
    change: dict[str, Any],
    field: str,
) -> None:
    offer = make_offer(make_merchant(), kind="service", turnaround_days=3, price_cents=900)

    response = client.patch(
        f"/api/v1/offers/{offer.id}", json=change, headers=auth_headers(offer.merchant.owner)
    )

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    db_session.expire_all()
    stored = db_session.get(Offer, offer.id)
    assert stored is not None
    assert (stored.turnaround_days, stored.price_cents, stored.parcel_size.value) == (3, 900, "S")


@pytest.mark.parametrize(
    ("hours", "day"),
    [
        ({"mon": [{"opens": "18:00", "closes": "09:00"}]}, "mon"),  # ends before it starts
        ({"tue": [{"opens": "09:00", "closes": "09:00"}]}, "tue"),  # empty
        (
            {"wed": [{"opens": "09:00", "closes": "13:00"}, {"opens": "12:00", "closes": "18:00"}]},
            "wed",
        ),  # overlap
        ({"thu": [{"opens": "25:00", "closes": "26:00"}]}, "thu"),
        ({"fri": [{"opens": "9 Uhr", "closes": "18:00"}]}, "fri"),
        ({"fri": [{"opens": "09:00"}]}, "fri"),
        ({"fri": {"opens": "09:00", "closes": "18:00"}}, "fri"),  # not a list
        ({"funday": []}, "funday"),
    ],
)
def test_bad_opening_hours_are_refused_naming_the_day(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
    hours: dict[str, Any],
    day: str,
) -> None:
    shop = make_merchant()
    before = [(i.weekday, i.opens, i.closes) for i in shop.opening_intervals]

    response = client.put(
        f"/api/v1/merchants/{shop.id}/opening-hours", json=hours, headers=auth_headers(shop.owner)
    )

    assert response.status_code == 422, response.get_json()
    assert day in response.get_json()["errors"]["json"]
    db_session.expire_all()
    stored = db_session.get(Merchant, shop.id)
    assert stored is not None
    assert [(i.weekday, i.opens, i.closes) for i in stored.opening_intervals] == before


def test_overlapping_hours_in_a_new_shop_are_named_under_opening_hours(
    client: FlaskClient, make_user: Callable[..., User], auth_headers: Headers
) -> None:
    merchant = make_user(Role.MERCHANT)
    hours = {"sat": [{"opens": "10:00", "closes": "14:00"}, {"opens": "13:00", "closes": "15:00"}]}

    response = client.post(
        "/api/v1/merchants",
        json={**SHOP, "opening_hours": hours},
        headers=auth_headers(merchant),
    )

    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert "overlap" in errors["opening_hours"]["sat"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2030-13-01", "closed": True}, "date"),
        ({"closed": True}, "date"),
        ({"date": "2030-12-24"}, "closed"),
        ({"date": "2030-12-24", "closed": False}, "intervals"),
        (
            {
                "date": "2030-12-24",
                "closed": True,
                "intervals": [{"opens": "9:00", "closes": "12:00"}],
            },
            "intervals",
        ),
        (
            {
                "date": "2030-12-24",
                "closed": False,
                "intervals": [{"opens": "12:00", "closes": "09:00"}],
            },
            "intervals",
        ),
    ],
)
def test_bad_date_exceptions_are_refused_by_name(
    client: FlaskClient,
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
    body: dict[str, Any],
    field: str,
) -> None:
    shop = make_merchant()

    response = client.post(
        f"/api/v1/merchants/{shop.id}/exceptions", json=body, headers=auth_headers(shop.owner)
    )

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]


def test_a_second_exception_for_the_same_date_is_a_conflict(
    client: FlaskClient, make_merchant: Callable[..., Merchant], auth_headers: Headers
) -> None:
    shop = make_merchant()
    url, headers = f"/api/v1/merchants/{shop.id}/exceptions", auth_headers(shop.owner)
    assert (
        client.post(url, json={"date": "2030-12-24", "closed": True}, headers=headers).status_code
        == 201
    )

    response = client.post(url, json={"date": "2030-12-24", "closed": True}, headers=headers)

    assert response.status_code == 409
    assert "date" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"category": "casino"}, "category"),
        ({"email": "not-an-address"}, "email"),
        ({"active": 1}, "active"),
        ({"address": {"lat": 48.137, "lon": 11.575}}, "address"),  # Munich: outside the area
        ({"address": {"lat": 51.52}}, "address"),
    ],
)
def test_bad_shop_fields_are_refused_by_name(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
    change: dict[str, Any],
    field: str,
) -> None:
    shop = make_merchant(name="Vorher")

    response = client.patch(
        f"/api/v1/merchants/{shop.id}", json=change, headers=auth_headers(shop.owner)
    )

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    db_session.expire_all()
    stored = db_session.get(Merchant, shop.id)
    assert stored is not None and stored.name == "Vorher" and stored.lat == shop.lat


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/merchants"),
        ("PATCH", "/api/v1/merchants/{shop}"),
        ("PUT", "/api/v1/merchants/{shop}/opening-hours"),
        ("POST", "/api/v1/merchants/{shop}/exceptions"),
        ("POST", "/api/v1/merchants/{shop}/offers"),
        ("PATCH", "/api/v1/offers/{offer}"),
    ],
)
def test_non_json_and_oversized_bodies_are_refused(
    client: FlaskClient,
    app: Any,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    auth_headers: Headers,
    method: str,
    path: str,
) -> None:
    shop = make_merchant()
    url = path.format(shop=shop.id, offer=make_offer(shop).id)
    headers = auth_headers(shop.owner)

    as_form = client.open(url, method=method, data={"name": "x"}, headers=headers)
    assert as_form.status_code == 415
    assert "JSON" in as_form.get_json()["message"]

    as_text = client.open(
        url, method=method, data="name=x", headers={**headers, "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 415

    too_big = '{"name": "' + "x" * app.config["MAX_CONTENT_LENGTH"] + '"}'
    oversized = client.open(
        url,
        method=method,
        data=too_big,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert oversized.status_code == 413
    assert oversized.get_json()["code"] == 413

    broken = client.open(
        url,
        method=method,
        data="{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert broken.status_code in (400, 422)
    assert broken.get_json()["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("sort=price", "sort"),  # shops have no price
        ("sort=distance", "sort"),  # needs near
        ("near=51.5", "near"),
        ("near=95,6.9", "near"),
        ("near=51.5,6.9&radius_m=-1", "radius_m"),
        ("radius_m=500", "radius_m"),
        ("open_at=2030-05-06T10:00:00", "open_at"),  # no time zone
        ("open_on=tomorrow", "open_on"),
        ("category=casino", "category"),
        ("kind=rental", "kind"),
    ],
)
def test_bad_catalogue_queries_are_refused_by_name(
    client: FlaskClient, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/merchants?{query}")

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["query"]
