"""What residents and shops see of the impact ledger: the resident's line in the booking and
on the tracking link, the shop's month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from louise.auth.models import User
from louise.bookings.models import Booking, Leg, LegStatus
from louise.impact.counterfactual import VanFleet
from louise.impact.factors import factor_set_version, factors
from louise.impact.ledger import ImpactSettings, build_ledger
from louise.impact.models import ImpactDay, LedgerRow
from louise.impact.reading import booking_avoided_g
from tests.support.dispatch import HUB, MONDAY

SETTINGS = ImpactSettings(hub=HUB, fleet=VanFleet(time_limit=1.0))
CLOCK = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
GERMAN = "Diese Lieferung hat etwa {n} g CO2e gegenüber einem Lieferwagen vermieden."


def _resident(db_session, booking: dict[str, Any], auth_headers) -> dict[str, str]:
    return auth_headers(db_session.get(User, booking["customer_id"]))


def test_the_resident_sees_the_co2e_their_booking_avoided_once_the_day_is_built(
    client, db_session, published, day_bookings, auth_headers
):
    booking = day_bookings[0]
    headers = _resident(db_session, booking, auth_headers)
    before = client.get(f"/api/v1/bookings/{booking['id']}", headers=headers)
    assert before.status_code == 200
    assert before.json["impact"] is None

    build_ledger(db_session, MONDAY, SETTINGS)

    grams = booking_avoided_g(db_session, booking["id"])
    assert grams is not None and grams > 0
    after = client.get(f"/api/v1/bookings/{booking['id']}", headers=headers)
    assert after.status_code == 200
    assert after.json["impact"] == {"avoided_co2e_g": grams, "text": GERMAN.format(n=grams)}


def test_the_booking_list_shows_each_bookings_line(
    client, db_session, published, day_bookings, auth_headers
):
    build_ledger(db_session, MONDAY, SETTINGS)
    staff = auth_headers("dispatcher")
    listed = client.get(f"/api/v1/bookings?date={MONDAY.isoformat()}&limit=50", headers=staff)
    assert listed.status_code == 200
    items = listed.json["items"]
    assert len(items) == 8
    for item in items:
        grams = booking_avoided_g(db_session, item["id"])
        assert grams is not None
        assert item["impact"] == {"avoided_co2e_g": grams, "text": GERMAN.format(n=grams)}


def test_an_english_resident_reads_the_line_in_english(
    client, db_session, published, day_bookings, auth_headers
):
    booking = day_bookings[1]
    db_session.get(Booking, booking["id"]).locale = "en"
    db_session.commit()
    build_ledger(db_session, MONDAY, SETTINGS)
    grams = booking_avoided_g(db_session, booking["id"])
    answer = client.get(
        f"/api/v1/bookings/{booking['id']}", headers=_resident(db_session, booking, auth_headers)
    )
    assert answer.json["impact"]["text"] == (
        f"This delivery avoided about {grams} g CO2e compared with a van."
    )


def test_tracking_shows_the_line_and_nothing_personal(
    client, db_session, published, day_bookings, auth_headers
):
    booking = day_bookings[0]
    token = booking["tracking_token"]
    assert client.get(f"/api/v1/track/{token}").json["impact"] is None

    build_ledger(db_session, MONDAY, SETTINGS)

    answer = client.get(f"/api/v1/track/{token}")
    assert answer.status_code == 200
    grams = booking_avoided_g(db_session, booking["id"])
    assert answer.json["impact"] == {"avoided_co2e_g": grams, "text": GERMAN.format(n=grams)}
    assert set(answer.json) == {"status", "kind", "next", "updated_at", "impact"}
    row = db_session.get(Booking, booking["id"])
    text = answer.get_data(as_text=True)
    for personal in (row.code, row.contact_name, row.address_label, row.customer.email):
        assert personal and personal not in text


# --- the shop's month, on a hand-built ledger -----------------------------------------------


def _row(day: date, version: int, set_id: int, leg: Leg, **metres: int) -> LedgerRow:
    bike, ecar, van = metres.get("bike", 0), metres.get("ecar", 0), metres["van"]
    return LedgerRow(
        day=day,
        ledger_version=version,
        factor_set_id=set_id,
        leg_id=leg.id,
        booking_id=leg.booking_id,
        merchant_id=leg.booking.merchant_id,
        district="Bottrop Stadt",
        mode="ecar" if ecar else "bike",
        route_id=1,
        km_source="recorded",
        bike_m=bike,
        ecar_m=ecar,
        van_m=van,
        avoided_m=van - bike - ecar,
        electric_co2e_mg=0,
        van_co2e_mg=metres["co2e"],
        avoided_co2e_mg=metres["co2e"],
    )


def _day(day: date, version: int, set_id: int) -> ImpactDay:
    return ImpactDay(
        day=day,
        ledger_version=version,
        factor_set_id=set_id,
        plan_id=1,
        legs=0,
        bike_m=0,
        ecar_m=0,
        van_m=0,
        vans=1,
    )


@pytest.fixture()
def shop_ledger(db_session, book, offers, make_merchant, make_offer, make_user) -> dict[str, Any]:
    """November for the cobbler (``offers``' shop): a repair brought back, a product, a
    collection; a second shop's product; an older ledger version and December that must
    not count."""
    other_shop = make_merchant(name="Blumen Lindemann")
    flowers = make_offer(other_shop, kind="product", title="Strauß")
    booked = {
        name: book(make_user("customer"), offer)
        for name, offer in (
            ("repair", offers["service"]),
            ("product", offers["product"]),
            ("collection", offers["collection"]),
            ("flowers", flowers),
        )
    }
    for name, answer in booked.items():
        assert answer.status_code == 201, (name, answer.json)
    legs = {
        name: [db_session.get(Leg, leg["id"]) for leg in answer.json["legs"]]
        for name, answer in booked.items()
    }
    collect, back = legs["repair"]
    back.status = LegStatus.DELIVERED  # the repair reached the resident again
    set_id = factor_set_version(db_session, factors())
    nov_23, nov_26, dec_1 = date(2026, 11, 23), date(2026, 11, 26), date(2026, 12, 1)
    db_session.add_all(
        [
            _day(nov_23, 1, set_id),
            _row(nov_23, 1, set_id, legs["product"][0], bike=1, van=9_999_999, co2e=999_999_999),
            _day(nov_23, 2, set_id),
            _row(nov_23, 2, set_id, collect, bike=1200, van=2000, co2e=331_560),
            _row(nov_23, 2, set_id, legs["product"][0], bike=800, van=1500, co2e=249_240),
            _row(nov_23, 2, set_id, legs["collection"][0], ecar=3000, van=2500, co2e=100_000),
            _row(nov_23, 2, set_id, legs["flowers"][0], bike=500, van=900, co2e=77_000),
            _day(nov_26, 1, set_id),
            _row(nov_26, 1, set_id, back, bike=1000, van=1800, co2e=300_000),
            _day(dec_1, 1, set_id),
            _row(dec_1, 1, set_id, legs["product"][0], bike=700, van=1100, co2e=123_000),
        ]
    )
    db_session.commit()
    return {"shop": offers["service"].merchant, "other": other_shop}


def test_the_shop_owner_reads_the_month_from_the_newest_ledger(client, shop_ledger, auth_headers):
    shop = shop_ledger["shop"]
    answer = client.get(
        f"/api/v1/merchants/{shop.id}/impact?month=2026-11", headers=auth_headers(shop.owner)
    )
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "merchant_id": shop.id,
        "month": "2026-11",
        "days": 2,
        "deliveries": 3,
        "legs": 4,
        "round_trips_completed": 1,
        "bike_km": 3.0,
        "ecar_km": 3.0,
        "van_km": 7.8,
        "avoided_km": 1.8,
        "avoided_co2e_g": 981,
    }


def test_december_and_an_empty_month_count_what_they_hold(client, shop_ledger, auth_headers):
    shop = shop_ledger["shop"]
    headers = auth_headers("dispatcher")
    december = client.get(f"/api/v1/merchants/{shop.id}/impact?month=2026-12", headers=headers)
    assert december.status_code == 200
    assert (december.json["deliveries"], december.json["legs"]) == (1, 1)
    assert december.json["avoided_co2e_g"] == 123
    assert (december.json["bike_km"], december.json["van_km"]) == (0.7, 1.1)
    empty = client.get(f"/api/v1/merchants/{shop.id}/impact?month=2026-10", headers=headers)
    assert empty.status_code == 200
    assert empty.json["deliveries"] == empty.json["legs"] == empty.json["avoided_co2e_g"] == 0
    assert empty.json["round_trips_completed"] == 0 and empty.json["van_km"] == 0.0


def test_another_shops_owner_a_resident_and_a_courier_cannot_read_it(
    client, shop_ledger, auth_headers
):
    shop, other = shop_ledger["shop"], shop_ledger["other"]
    url = f"/api/v1/merchants/{shop.id}/impact?month=2026-11"
    assert client.get(url, headers=auth_headers(other.owner)).status_code == 403
    assert client.get(url, headers=auth_headers("customer")).status_code == 403
    assert client.get(url, headers=auth_headers("courier")).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth_headers("admin")).status_code == 200
    # the other shop's owner reads their own month: the flowers only
    own = client.get(
        f"/api/v1/merchants/{other.id}/impact?month=2026-11", headers=auth_headers(other.owner)
    )
    assert own.status_code == 200
    assert (own.json["deliveries"], own.json["avoided_co2e_g"]) == (1, 77)


def test_an_unknown_shop_is_404(client, auth_headers):
    answer = client.get(
        "/api/v1/merchants/999999/impact?month=2026-11", headers=auth_headers("admin")
    )
    assert answer.status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026-1", "2026-00", "november", ""])
def test_a_bad_month_is_422_naming_the_field(client, shop_ledger, auth_headers, month):
    shop = shop_ledger["shop"]
    answer = client.get(
        f"/api/v1/merchants/{shop.id}/impact?month={month}", headers=auth_headers(shop.owner)
    )
    assert answer.status_code == 422, answer.json
    assert "month" in answer.json["errors"]["query"]


def test_the_month_is_required(client, shop_ledger, auth_headers):
    shop = shop_ledger["shop"]
    answer = client.get(f"/api/v1/merchants/{shop.id}/impact", headers=auth_headers(shop.owner))
    assert answer.status_code == 422
    assert "month" in answer.json["errors"]["query"]
