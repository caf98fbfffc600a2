"""The hotline: finding a caller who is known already, booking for them again, and their
saved addresses."""

from __future__ import annotations

from louise.auth.models import Role
from tests.support.bookings import HOME, MONDAY

ELSEWHERE = {"lat": 51.5180, "lon": 6.9210}


def _search(client, headers, q):
    return client.get("/api/v1/customers", query_string={"q": q}, headers=headers)


def test_a_dispatcher_finds_customers_by_phone_however_it_is_written(
    client, auth_headers, make_user
):
    erika = make_user(Role.CUSTOMER, name="Erika Muster", phone="02041 / 12 34-56", email=None)
    make_user(Role.CUSTOMER, name="Otto Anders", phone="0208 987654")
    make_user(Role.COURIER, name="Kurier mit Telefon", phone="02041 123456")
    dispatcher = auth_headers("dispatcher")

    for q in ("+49 2041 123456", "0049 2041 12 34 56", "02041-123456", "2041/1234"):
        r = _search(client, dispatcher, q)
        assert r.status_code == 200, r.json
        assert [c["id"] for c in r.json["items"]] == [erika.id], q
    assert r.json["total"] == 1
    assert r.json["items"][0] == {
        "id": erika.id,
        "name": "Erika Muster",
        "phone": "02041 / 12 34-56",
        "email": None,
        "locale": "de",
        "has_login": True,
        "addresses": [],
    }


def test_a_dispatcher_finds_customers_by_part_of_the_name(client, auth_headers, make_user):
    erika = make_user(Role.CUSTOMER, name="Erika Muster")
    make_user(Role.CUSTOMER, name="Otto Anders")

    r = _search(client, auth_headers("dispatcher"), "MUST")

    assert [c["id"] for c in r.json["items"]] == [erika.id]


def test_only_dispatchers_and_admins_search_customers(client, auth_headers):
    assert _search(client, auth_headers("customer"), "Erika").status_code == 403
    assert _search(client, auth_headers("merchant"), "Erika").status_code == 403
    assert _search(client, auth_headers("admin"), "Erika").status_code == 200
    assert client.get("/api/v1/customers?q=Erika").status_code == 401
    assert _search(client, auth_headers("dispatcher"), "").status_code == 422


def test_a_repeat_caller_is_the_same_customer(book, offers, auth_headers):
    dispatcher = auth_headers("dispatcher")
    first = book(
        dispatcher, offers["product"], customer={"name": "Frau Schmidt", "phone": "02041 555 12"}
    )
    again = book(
        dispatcher,
        offers["service"],
        customer={"name": "frau  schmidt", "phone": "+49 (2041) 55512"},
        address=ELSEWHERE,
    )

    assert first.status_code == 201 and again.status_code == 201, (first.json, again.json)
    assert again.json["customer_id"] == first.json["customer_id"]
    assert again.json["contact_name"] == "Frau Schmidt"


def test_another_name_on_the_same_line_is_another_customer(book, offers, auth_headers):
    dispatcher = auth_headers("dispatcher")
    first = book(
        dispatcher, offers["product"], customer={"name": "Frau Schmidt", "phone": "02041 55512"}
    )
    other = book(
        dispatcher, offers["product"], customer={"name": "Herr Schmidt", "phone": "02041 55512"}
    )

    assert other.status_code == 201, other.json
    assert other.json["customer_id"] != first.json["customer_id"]


def test_booking_again_reuses_a_saved_address_of_the_customer(book, offers, auth_headers, client):
    dispatcher = auth_headers("dispatcher")
    first = book(
        dispatcher, offers["product"], customer={"name": "Frau Schmidt", "phone": "02041 55512"}
    )
    book(dispatcher, offers["service"], customer_id=first.json["customer_id"], address=ELSEWHERE)

    found = _search(client, dispatcher, "02041 55512").json["items"]
    assert len(found) == 1
    addresses = found[0]["addresses"]
    assert len(addresses) == 2
    home = next(a for a in addresses if a["label"] == first.json["address_label"])

    again = client.post(
        "/api/v1/bookings",
        json={
            "offer_id": offers["collection"].id,
            "date": MONDAY.isoformat(),
            "window": "evening",
            "customer_id": first.json["customer_id"],
            "address_id": home["id"],
        },
        headers=dispatcher,
    )

    assert again.status_code == 201, again.json
    assert again.json["address_label"] == first.json["address_label"]
    assert (again.json["lat"], again.json["lon"]) == (HOME["lat"], HOME["lon"])


def test_names_are_found_folded_like_the_catalogue_on_every_database(
    client, auth_headers, make_user
):
    juergen = make_user(Role.CUSTOMER, name="Jürgen MÜLLER")
    ilse = make_user(Role.CUSTOMER, name="Ilse Straßmann")
    make_user(Role.CUSTOMER, name="Otto Anders")
    dispatcher = auth_headers("dispatcher")

    expected = {
        "müller": [juergen.id],
        "MÜLLER": [juergen.id],
        "Mueller": [juergen.id],
        "muller": [juergen.id],
        "JÜRGEN": [juergen.id],
        "jurgen m": [juergen.id],
        "STRASSMANN": [ilse.id],
        "straßm": [ilse.id],
        "Strassmann": [ilse.id],
    }
    for q, ids in expected.items():
        r = _search(client, dispatcher, q)
        assert r.status_code == 200, r.json
        assert [c["id"] for c in r.json["items"]] == ids, q
        assert r.json["total"] == len(ids), q


def test_found_customers_are_in_german_dictionary_order(client, auth_headers, make_user):
    zacharias = make_user(Role.CUSTOMER, name="Zacharias Ahrens")
    anne = make_user(Role.CUSTOMER, name="Änne Zweig")
    anton = make_user(Role.CUSTOMER, name="anton Berg")
    dispatcher = auth_headers("dispatcher")

    r = _search(client, dispatcher, "N")

    assert [c["name"] for c in r.json["items"]] == ["Änne Zweig", "anton Berg", "Zacharias Ahrens"]
    assert [c["id"] for c in r.json["items"]] == [anne.id, anton.id, zacharias.id]
    second_page = client.get(
        "/api/v1/customers", query_string={"q": "n", "limit": 1, "offset": 1}, headers=dispatcher
    ).json
    assert ([c["id"] for c in second_page["items"]], second_page["total"]) == ([anton.id], 3)
