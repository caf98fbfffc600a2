"""The public catalogue: visibility, filters, distance, order and pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from louise.auth.models import AccountStatus, Role, User
from louise.merchants.models import Merchant, Offer, OpeningException

Headers = Callable[[User], dict[str, str]]

# Points in Bottrop: the town centre and places roughly 1.1 km and 6 km away.
CENTRE = (51.5236, 6.9281)
ONE_KM_NORTH = (51.5336, 6.9281)
KIRCHHELLEN = (51.5780, 6.9230)

MONDAY_10 = "2030-05-06T10:00:00+02:00"  # a Monday, 10:00 in Berlin (CEST)
MONDAY_10_UTC = "2030-05-06T08:00:00Z"  # the same moment in UTC
SUNDAY = "2030-05-12"


def _names(response: object) -> list[str]:
    body = response.get_json()  # type: ignore[attr-defined]
    assert response.status_code == 200, body  # type: ignore[attr-defined]
    return [item.get("name") or item.get("title") for item in body["items"]]


def test_the_page_has_items_total_limit_and_offset(
    client: FlaskClient, make_merchant: Callable[..., Merchant]
) -> None:
    for name in ("Cafe", "Bäckerei", "Apotheke"):
        make_merchant(name=name)

    body = client.get("/api/v1/merchants?limit=2&offset=1&sort=name").get_json()

    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 1)
    assert [m["name"] for m in body["items"]] == ["Bäckerei", "Cafe"]
    assert "distance_m" not in body["items"][0]


def test_hidden_shops_and_their_offers_are_not_public(
    client: FlaskClient,
    make_user: Callable[..., User],
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
) -> None:
    open_shop = make_merchant(name="Offen")
    closed_down = make_merchant(name="Inaktiv", active=False)
    waiting = make_merchant(make_user(Role.MERCHANT, status=AccountStatus.PENDING), name="Wartet")
    for shop in (open_shop, closed_down, waiting):
        make_offer(shop, title=f"Angebot {shop.name}")

    assert _names(client.get("/api/v1/merchants")) == ["Offen"]
    assert _names(client.get("/api/v1/offers")) == ["Angebot Offen"]
    assert client.get(f"/api/v1/merchants/{closed_down.id}").status_code == 404
    assert client.get(f"/api/v1/merchants/{waiting.id}/offers").status_code == 404


def test_inactive_offers_are_hidden_but_their_owner_and_admins_see_them_with_a_flag(
    client: FlaskClient,
    make_user: Callable[..., User],
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    auth_headers: Headers,
) -> None:
    shop = make_merchant(name="Laden")
    make_offer(shop, title="Aktiv")
    retired = make_offer(shop, title="Ausgelaufen", active=False)
    stranger = make_merchant()
    url = f"/api/v1/merchants/{shop.id}/offers?include_inactive=true"

    assert _names(client.get(url)) == ["Aktiv"]
    assert _names(client.get(url, headers=auth_headers(Role.CUSTOMER))) == ["Aktiv"]
    assert _names(client.get(url, headers=auth_headers(stranger.owner))) == ["Aktiv"]
    assert _names(client.get(url, headers=auth_headers(shop.owner))) == ["Aktiv", "Ausgelaufen"]
    assert _names(client.get(url, headers=auth_headers(Role.ADMIN))) == ["Aktiv", "Ausgelaufen"]
    # without the flag, owners see the public view too
    assert _names(client.get(url.split("?")[0], headers=auth_headers(shop.owner))) == ["Aktiv"]

    assert client.get(f"/api/v1/offers/{retired.id}").status_code == 404
    as_owner = client.get(f"/api/v1/offers/{retired.id}", headers=auth_headers(shop.owner))
    assert as_owner.status_code == 200
    assert (as_owner.get_json()["active"], as_owner.get_json()["public"]) == (False, False)


def test_an_owner_sees_their_hidden_shop_others_get_404(
    client: FlaskClient, make_merchant: Callable[..., Merchant], auth_headers: Headers
) -> None:
    hidden = make_merchant(name="Umbau", active=False)
    other = make_merchant()

    assert (
        client.get(f"/api/v1/merchants/{hidden.id}", headers=auth_headers(other.owner)).status_code
        == 404
    )
    mine = client.get(f"/api/v1/merchants/{hidden.id}", headers=auth_headers(hidden.owner))
    assert mine.status_code == 200 and mine.get_json()["public"] is False
    listed = client.get(
        "/api/v1/merchants?include_inactive=true", headers=auth_headers(hidden.owner)
    )
    assert sorted(_names(listed)) == sorted(["Umbau", other.name])


def test_filters_by_category_kind_and_text(
    client: FlaskClient, make_merchant: Callable[..., Merchant], make_offer: Callable[..., Offer]
) -> None:
    cobbler = make_merchant(
        name="Schuh-Express", category="cobbler", description="Absätze & Sohlen"
    )
    laundry = make_merchant(name="Waschsalon 100%", category="laundry")
    make_offer(cobbler, kind="service", title="Neue Absätze")
    make_offer(laundry, kind="service", title="Hemden waschen")
    make_offer(laundry, kind="product", title="Waschmittel")

    assert _names(client.get("/api/v1/merchants?category=laundry")) == ["Waschsalon 100%"]
    assert _names(client.get("/api/v1/merchants?kind=product")) == ["Waschsalon 100%"]
    assert _names(client.get("/api/v1/merchants?q=SOHLEN")) == ["Schuh-Express"]
    assert _names(client.get("/api/v1/merchants?q=100%25")) == ["Waschsalon 100%"]
    assert _names(client.get("/api/v1/merchants?q=%25")) == ["Waschsalon 100%"]  # % is literal
    assert _names(client.get("/api/v1/offers?kind=service&sort=name")) == [
        "Hemden waschen",
        "Neue Absätze",
    ]
    assert _names(client.get("/api/v1/offers?category=cobbler")) == ["Neue Absätze"]
    assert _names(client.get(f"/api/v1/offers?merchant={laundry.id}&q=mittel")) == ["Waschmittel"]
    assert _names(client.get("/api/v1/offers?q=schuh")) == ["Neue Absätze"]  # the shop's name


def test_open_at_and_open_on_honour_weekly_hours_and_date_exceptions(
    client: FlaskClient,
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
) -> None:
    weekdays = {d: [(time(9), time(18))] for d in range(5)}
    make_merchant(name="Werktags", hours=weekdays)
    make_merchant(name="Sonntags", hours={6: [(time(11), time(16))]})
    holiday = make_merchant(name="Urlaub", hours=weekdays)
    holiday.opening_exceptions.append(OpeningException(day=date(2030, 5, 6), closed=True))
    db_session.commit()
    make_offer(holiday, title="Im Urlaub")

    assert _names(client.get(f"/api/v1/merchants?open_at={MONDAY_10_UTC}")) == ["Werktags"]
    assert _names(client.get(f"/api/v1/merchants?open_at={MONDAY_10.replace('+', '%2B')}")) == [
        "Werktags"
    ]
    assert _names(client.get("/api/v1/merchants?open_at=2030-05-06T17:00:00Z")) == []  # 19:00
    assert _names(client.get(f"/api/v1/merchants?open_on={SUNDAY}")) == ["Sonntags"]
    assert _names(client.get("/api/v1/merchants?open_on=2030-05-06")) == ["Werktags"]
    assert _names(client.get("/api/v1/merchants?open_on=2030-05-07&sort=-name")) == [
        "Werktags",
        "Urlaub",
    ]
    assert _names(client.get(f"/api/v1/offers?open_at={MONDAY_10_UTC}")) == []


def test_near_filters_by_radius_and_reports_distances(
    client: FlaskClient, make_merchant: Callable[..., Merchant], make_offer: Callable[..., Offer]
) -> None:
    make_merchant(name="Mitte", lat=CENTRE[0], lon=CENTRE[1])
    north = make_merchant(name="Nord", lat=ONE_KM_NORTH[0], lon=ONE_KM_NORTH[1])
    make_merchant(name="Kirchhellen", lat=KIRCHHELLEN[0], lon=KIRCHHELLEN[1])
    make_offer(north, title="Nordpaket", price_cents=100)
    near = f"near={CENTRE[0]},{CENTRE[1]}"

    body = client.get(f"/api/v1/merchants?{near}&radius_m=2000").get_json()

    assert [m["name"] for m in body["items"]] == ["Mitte", "Nord"]  # by distance by default
    assert body["items"][0]["distance_m"] == 0.0
    assert body["items"][1]["distance_m"] == pytest.approx(1112, abs=5)
    assert body["total"] == 2

    everywhere = client.get(f"/api/v1/merchants?{near}&sort=-distance").get_json()
    assert [m["name"] for m in everywhere["items"]] == ["Kirchhellen", "Nord", "Mitte"]

    offers = client.get(f"/api/v1/offers?{near}&radius_m=1500").get_json()
    assert offers["items"][0]["title"] == "Nordpaket"
    assert offers["items"][0]["distance_m"] == pytest.approx(1112, abs=5)
    assert client.get(f"/api/v1/offers?{near}&radius_m=1000").get_json()["total"] == 0


def test_offers_sort_by_price_name_and_creation(
    client: FlaskClient, make_merchant: Callable[..., Merchant], make_offer: Callable[..., Offer]
) -> None:
    shop = make_merchant()
    make_offer(shop, title="Beta", price_cents=300)
    make_offer(shop, title="alpha", price_cents=900)
    make_offer(shop, title="Gamma", price_cents=100)

    assert _names(client.get("/api/v1/offers")) == ["alpha", "Beta", "Gamma"]
    assert _names(client.get("/api/v1/offers?sort=-name")) == ["Gamma", "Beta", "alpha"]
    assert _names(client.get("/api/v1/offers?sort=price")) == ["Gamma", "Beta", "alpha"]
    assert _names(client.get("/api/v1/offers?sort=-price")) == ["alpha", "Beta", "Gamma"]
    assert _names(client.get("/api/v1/offers?sort=created")) == ["Beta", "alpha", "Gamma"]
    assert _names(client.get("/api/v1/offers?sort=-created&limit=1")) == ["Gamma"]
    assert client.get("/api/v1/offers?sort=price&limit=1&offset=2").get_json() == {
        "items": [client.get("/api/v1/offers?sort=-price&limit=1").get_json()["items"][0]],
        "total": 3,
        "limit": 1,
        "offset": 2,
    }


def test_a_shop_shows_its_opening_hours_and_exceptions(
    client: FlaskClient, db_session: Session, make_merchant: Callable[..., Merchant]
) -> None:
    shop = make_merchant(hours={0: [(time(14, 30), time(18)), (time(9), time(13))]})
    shop.opening_exceptions.append(
        OpeningException(day=date(2030, 12, 24), closed=True, reason="Heiligabend")
    )
    db_session.commit()

    body = client.get(f"/api/v1/merchants/{shop.id}").get_json()

    assert body["opening_hours"]["mon"] == [
        {"opens": "09:00", "closes": "13:00"},
        {"opens": "14:30", "closes": "18:00"},
    ]
    assert body["opening_hours"]["sun"] == []
    assert body["exceptions"] == [
        {
            "id": shop.opening_exceptions[0].id,
            "date": "2030-12-24",
            "closed": True,
            "intervals": [],
            "reason": "Heiligabend",
        }
    ]
    assert body["address"]["city"] == "Bottrop"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", body["created_at"])


# --- German text: case folding and DIN 5007-1 order (bug 11) ----------------------------------


@pytest.fixture()
def german_shops(
    make_merchant: Callable[..., Merchant], make_offer: Callable[..., Offer]
) -> dict[str, Merchant]:
    """Shops and offers whose names differ only by case, umlauts and ß."""
    shops = {
        "cobbler": make_merchant(name="Schuh-Express", description="Neue Absätze und Sohlen"),
        "tailor": make_merchant(
            name="Änderungsschneiderei Yılmaz", description="Reißverschlüsse und Säume"
        ),
        "bikes": make_merchant(name="Zweirad Kruse", description="An der Gladbecker Straße"),
        "books": make_merchant(name="Bücherstube Öztürk", description="Hauptstrasse 12"),
        "oil": make_merchant(name="Ölmühle"),
        "fruit": make_merchant(name="Obstgarten"),
        "optician": make_merchant(name="Optik Ubbing"),
        "bakery": make_merchant(name="Bäckerei"),
        "baker2": make_merchant(name="Backstube"),
        "pharmacy": make_merchant(name="Apotheke am Markt"),
    }
    make_offer(shops["cobbler"], title="Neue Absätze")
    make_offer(shops["tailor"], title="Änderung Hosensaum")
    make_offer(shops["bikes"], title="Zubehör")
    make_offer(shops["oil"], title="Ölwechsel")
    make_offer(shops["fruit"], title="Obstkiste")
    return shops


def test_text_search_folds_case_umlauts_and_sharp_s_alike_everywhere(
    client: FlaskClient, german_shops: dict[str, Merchant]
) -> None:
    for q in ("absätze", "ABSÄTZE", "Absätze", "absatze", "ABSATZE", "absaetze", "ABSAETZE"):
        assert _names(client.get(f"/api/v1/offers?q={q}")) == ["Neue Absätze"], q
        assert _names(client.get(f"/api/v1/merchants?q={q}")) == ["Schuh-Express"], q
    for q in ("STRASSE", "strasse", "straße", "STRAẞE"):
        assert _names(client.get(f"/api/v1/merchants?q={q}")) == [
            "Bücherstube Öztürk",
            "Zweirad Kruse",
        ], q
    for q in ("REISSVERSCHLUSS", "reißverschluss", "yilmaz", "YILMAZ", "Yılmaz", "änderung"):
        assert _names(client.get(f"/api/v1/merchants?q={q}")) == ["Änderungsschneiderei Yılmaz"], q
    # an offer is found through its shop's name, folded the same way
    assert _names(client.get("/api/v1/offers?q=ÖZTÜRK")) == []  # the bookshop lists nothing
    assert _names(client.get("/api/v1/offers?q=OLMUHLE")) == ["Ölwechsel"]
    assert _names(client.get("/api/v1/offers?q=oelmuehle")) == ["Ölwechsel"]
    assert _names(client.get("/api/v1/offers?q=zubehoer")) == ["Zubehör"]
    # folding does not make everything match: a different word stays different
    assert _names(client.get("/api/v1/merchants?q=straßen")) == []
    assert client.get("/api/v1/merchants?q=ÄNDERUNG").get_json()["total"] == 1


def test_names_sort_in_german_dictionary_order_with_umlauts_among_their_letters(
    client: FlaskClient, german_shops: dict[str, Merchant]
) -> None:
    expected = [
        "Änderungsschneiderei Yılmaz",
        "Apotheke am Markt",
        "Bäckerei",
        "Backstube",
        "Bücherstube Öztürk",
        "Obstgarten",
        "Ölmühle",
        "Optik Ubbing",
        "Schuh-Express",
        "Zweirad Kruse",
    ]
    assert _names(client.get("/api/v1/merchants?sort=name&limit=100")) == expected
    assert _names(client.get("/api/v1/merchants?limit=100")) == expected  # name is the default
    assert _names(client.get("/api/v1/merchants?sort=-name&limit=100")) == expected[::-1]
    assert _names(client.get("/api/v1/merchants?sort=name&limit=2&offset=5")) == [
        "Obstgarten",
        "Ölmühle",
    ]
    offers = ["Änderung Hosensaum", "Neue Absätze", "Obstkiste", "Ölwechsel", "Zubehör"]
    assert _names(client.get("/api/v1/offers?sort=name")) == offers
    assert _names(client.get("/api/v1/offers?sort=-name")) == offers[::-1]


def test_a_page_past_the_end_is_empty_and_still_counts_the_offers(
    client: FlaskClient, make_merchant: Callable[..., Merchant], make_offer: Callable[..., Offer]
) -> None:
    shop = make_merchant()
    for title in ("Beta", "alpha", "Gamma"):
        make_offer(shop, title=title)

    for sort in ("name", "-price", "created"):
        body = client.get(f"/api/v1/offers?sort={sort}&limit=5&offset=3").get_json()
        assert body == {"items": [], "total": 3, "limit": 5, "offset": 3}


def test_renaming_an_offer_moves_it_in_the_name_order(
    client: FlaskClient,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    shop = make_merchant()
    make_offer(shop, title="Abc")
    make_offer(shop, title="Ab")
    zebra = make_offer(shop, title="Zebra")
    assert _names(client.get("/api/v1/offers")) == ["Ab", "Abc", "Zebra"]

    renamed = client.patch(
        f"/api/v1/offers/{zebra.id}", json={"title": "Äb"}, headers=auth_headers(shop.owner)
    )

    assert renamed.status_code == 200, renamed.get_json()
    assert _names(client.get("/api/v1/offers")) == ["Ab", "Äb", "Abc"]
    assert _names(client.get("/api/v1/offers?sort=-name")) == ["Abc", "Äb", "Ab"]


def test_offer_previews_name_each_shops_first_public_offers_and_count_them(
    db_session: Session,
    make_merchant: Callable[..., Merchant],
    make_offer: Callable[..., Offer],
    make_user: Callable[..., User],
) -> None:
    from louise.merchants.catalogue import offer_previews

    cobbler = make_merchant(name="Schuster")
    for title in ("Zipper", "Absätze", "Öse", "Besohlen"):
        make_offer(cobbler, title=title)
    make_offer(cobbler, title="Aaa pausiert", active=False)
    florist = make_merchant(name="Blumen")
    make_offer(florist, title="Strauß")
    hidden = make_merchant(
        name="Verborgen", owner=make_user(Role.MERCHANT, status=AccountStatus.PENDING)
    )
    make_offer(hidden, title="Geheim")
    empty = make_merchant(name="Leer")

    found = offer_previews(db_session, [cobbler.id, florist.id, hidden.id, empty.id], 3)

    assert set(found) == {cobbler.id, florist.id}
    assert [o.title for o in found[cobbler.id].first] == ["Absätze", "Besohlen", "Öse"]
    assert found[cobbler.id].total == 4
    assert [o.title for o in found[florist.id].first] == ["Strauß"]
    assert found[florist.id].total == 1
    assert offer_previews(db_session, [], 3) == {}
