"""Shop and offer life: opening a shop, hours, exceptions, offers, partial updates, withdrawal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.merchants.models import Merchant, Offer, OpeningException

Headers = Callable[[User], dict[str, str]]


def test_a_merchant_opens_a_shop_at_a_typed_address_geocoded_in_bottrop(
    client: FlaskClient, make_user: Callable[..., User], auth_headers: Headers
) -> None:
    merchant = make_user(Role.MERCHANT)
    body = {
        "name": "Schuhmacherei Müller & Söhne",
        "category": "cobbler",
        "description": "Absätze, Sohlen, Schlüssel",
        "phone": "02041 123456",
        "email": "laden@example.test",
        "address": {"street": "Hochstraße", "house_number": "1", "city": "Bottrop"},
        "opening_hours": {
            "mon": [{"opens": "09:00", "closes": "13:00"}, {"opens": "14:30", "closes": "18:00"}],
            "sat": [{"opens": "09:00", "closes": "12:00"}],
        },
    }

    response = client.post("/api/v1/merchants", json=body, headers=auth_headers(merchant))

    assert response.status_code == 201, response.get_json()
    shop = response.get_json()
    assert shop["slug"] == "schuhmacherei-mueller-soehne"
    assert shop["address"]["postcode"] == "46236"
    assert (round(shop["lat"], 3), round(shop["lon"], 3)) == (51.525, 6.929)
    assert shop["opening_hours"]["mon"][1] == {"opens": "14:30", "closes": "18:00"}
    assert shop["opening_hours"]["tue"] == []
    assert (shop["active"], shop["public"]) == (True, True)

    again = client.post("/api/v1/merchants", json=body, headers=auth_headers(merchant))
    assert again.status_code == 409  # one shop per merchant account


def test_an_admin_may_open_a_second_shop_for_a_merchant_with_its_own_slug(
    client: FlaskClient, make_merchant: Callable[..., Merchant], auth_headers: Headers
) -> None:
    first = make_merchant(name="Blumen Eck", slug="blumen-eck")
    body = {
        "name": "Blumen Eck",
        "category": "florist",
        "address": {"lat": 51.53, "lon": 6.94},
        "owner_id": first.owner_id,
    }

    response = client.post("/api/v1/merchants", json=body, headers=auth_headers(Role.ADMIN))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["slug"] == "blumen-eck-2"


def test_patch_changes_only_the_fields_given(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
) -> None:
    shop = make_merchant(name="Alt", description="Bleibt", phone="0204 1")

    response = client.patch(
        f"/api/v1/merchants/{shop.id}",
        json={"name": "Neu", "phone": None, "active": False},
        headers=auth_headers(shop.owner),
    )

    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    stored = db_session.get(Merchant, shop.id)
    assert stored is not None
    assert (stored.name, stored.description, stored.phone, stored.active) == (
        "Neu",
        "Bleibt",
        None,
        False,
    )
    assert stored.slug == shop.slug  # links stay valid after a rename


def test_put_opening_hours_replaces_the_whole_week(
    client: FlaskClient, make_merchant: Callable[..., Merchant], auth_headers: Headers
) -> None:
    shop = make_merchant()  # Monday to Saturday 09:00–18:00

    response = client.put(
        f"/api/v1/merchants/{shop.id}/opening-hours",
        json={"sun": [{"opens": "10:00", "closes": "12:00"}]},
        headers=auth_headers(shop.owner),
    )

    hours = response.get_json()["opening_hours"]
    assert hours["mon"] == []
    assert hours["sun"] == [{"opens": "10:00", "closes": "12:00"}]


def test_a_date_exception_closes_the_shop_until_it_is_deleted(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    auth_headers: Headers,
) -> None:
    shop = make_merchant()
    headers = auth_headers(shop.owner)
    christmas_eve = "2030-12-24"  # a Tuesday
    created = client.post(
        f"/api/v1/merchants/{shop.id}/exceptions",
        json={
            "date": christmas_eve,
            "closed": False,
            "intervals": [{"opens": "09:00", "closes": "12:00"}],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["intervals"] == [{"opens": "09:00", "closes": "12:00"}]
    afternoon = f"/api/v1/merchants?open_at={christmas_eve}T14:00:00Z"
    assert client.get(afternoon).get_json()["total"] == 0

    deleted = client.delete(
        f"/api/v1/merchants/{shop.id}/exceptions/{created.get_json()['id']}", headers=headers
    )

    assert deleted.status_code == 204
    assert client.get(afternoon).get_json()["total"] == 1


def test_the_shop_model_answers_opening_questions_for_bookings(
    db_session: Session, make_merchant: Callable[..., Merchant]
) -> None:
    shop = make_merchant(hours={1: [(time(9), time(13)), (time(14), time(18))]})
    shop.opening_exceptions.append(OpeningException(day=date(2030, 12, 24), closed=True))
    db_session.commit()

    tuesday = date(2030, 12, 17)
    assert [(i.opens, i.closes) for i in shop.opening_intervals_on(tuesday)] == [
        (time(9), time(13)),
        (time(14), time(18)),
    ]
    assert shop.is_open_at(datetime(2030, 12, 17, 9, 0, tzinfo=UTC))  # 10:00 in Berlin
    assert not shop.is_open_at(datetime(2030, 12, 17, 12, 30, tzinfo=UTC))  # lunch
    assert not shop.is_open_at(datetime(2030, 12, 24, 9, 0, tzinfo=UTC))  # exception
    assert shop.opening_intervals_on(date(2030, 12, 24)) == []
    assert shop.is_open_during(
        datetime(2030, 12, 17, 13, 0, tzinfo=UTC), datetime(2030, 12, 17, 15, 0, tzinfo=UTC)
    )


def test_a_service_offer_has_a_turnaround_capacity_and_size_in_litres_and_kilograms(
    client: FlaskClient, make_merchant: Callable[..., Merchant], auth_headers: Headers
) -> None:
    shop = make_merchant(category="laundry")

    response = client.post(
        f"/api/v1/merchants/{shop.id}/offers",
        json={
            "kind": "service",
            "title": "Hemden waschen & bügeln",
            "price_cents": 1250,
            "parcel_size": "M",
            "turnaround_days": 1,
            "daily_capacity": 40,
        },
        headers=auth_headers(shop.owner),
    )

    assert response.status_code == 201, response.get_json()
    offer = response.get_json()
    assert (offer["volume_l"], offer["weight_kg"]) == (25.0, 8.0)
    assert (offer["turnaround_days"], offer["daily_capacity"]) == (1, 40)
    assert offer["merchant"]["id"] == shop.id and offer["merchant_id"] == shop.id


def test_a_custom_parcel_size_keeps_its_own_litres_and_kilograms(
    client: FlaskClient,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    auth_headers: Headers,
) -> None:
    offer = make_offer(make_merchant(), parcel_size="S")
    url, headers = f"/api/v1/offers/{offer.id}", auth_headers(offer.merchant.owner)

    custom = client.patch(
        url, json={"parcel_size": "custom", "volume_l": 140, "weight_kg": 22.5}, headers=headers
    )
    assert (custom.get_json()["volume_l"], custom.get_json()["weight_kg"]) == (140.0, 22.5)

    retitled = client.patch(url, json={"title": "Fahrradrahmen"}, headers=headers)
    assert (retitled.get_json()["volume_l"], retitled.get_json()["weight_kg"]) == (140.0, 22.5)

    back = client.patch(url, json={"parcel_size": "XL"}, headers=headers)
    assert (back.get_json()["volume_l"], back.get_json()["weight_kg"]) == (100.0, 30.0)


def test_patch_changes_only_the_offer_fields_given(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    auth_headers: Headers,
) -> None:
    offer = make_offer(
        make_merchant(), kind="service", title="Sohlen", price_cents=2500, turnaround_days=3
    )

    response = client.patch(
        f"/api/v1/offers/{offer.id}",
        json={"price_cents": 2900},
        headers=auth_headers(offer.merchant.owner),
    )

    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    stored = db_session.get(Offer, offer.id)
    assert stored is not None
    assert (stored.title, stored.price_cents, stored.turnaround_days) == ("Sohlen", 2900, 3)


def test_delete_withdraws_an_offer_and_patch_lists_it_again(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    auth_headers: Headers,
) -> None:
    offer = make_offer(make_merchant(), title="Saisonware")
    headers = auth_headers(offer.merchant.owner)

    assert client.delete(f"/api/v1/offers/{offer.id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/offers/{offer.id}", headers=headers).status_code == 204

    db_session.expire_all()
    assert db_session.get(Offer, offer.id) is not None  # kept for the bookings that name it
    assert client.get("/api/v1/offers").get_json()["total"] == 0
    mine = client.get("/api/v1/merchants/mine", headers=headers).get_json()["items"]
    assert [(o["title"], o["active"]) for o in mine[0]["offers"]] == [("Saisonware", False)]

    client.patch(f"/api/v1/offers/{offer.id}", json={"active": True}, headers=headers)
    assert client.get("/api/v1/offers").get_json()["total"] == 1
