"""Each read endpoint issues a fixed number of SQL statements, whatever the page size and
however many rows it shows: no statement per item (N+1).

Each test reads the same endpoint on a small and on a larger data set (or page) and compares
the statement counts. Savepoints (the test harness's rollback per test) are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text

from louise.extensions import db
from tests.support.bookings import HOME, MONDAY
from tests.support.courier import publish_monday
from tests.support.dispatch import HOMES

pytestmark = pytest.mark.usefixtures("now")


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "SAVEPOINT" not in statement.upper():
            seen.append(statement)

    engine = db.engine_for(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture()
def count(app: Flask, client: Any) -> Callable[..., int]:
    """``count(url, headers=None)``: the statements one GET issues (it must answer 200)."""

    def run(url: str, headers: dict[str, str] | None = None) -> int:
        # the views share the test's session: start from an empty identity map, as a request does
        db.session().expunge_all()
        with _statements(app) as seen:
            response = client.get(url, headers=headers or {})
        assert response.status_code == 200, response.json
        return len(seen)

    return run


def _shops(make_merchant: Callable[..., Any], make_offer: Callable[..., Any], n: int) -> list[Any]:
    shops = []
    for _ in range(n):
        shop = make_merchant()
        make_offer(shop, kind="product")
        make_offer(shop, kind="service")
        shops.append(shop)
    return shops


def test_catalogue_statements_do_not_grow_with_the_page_or_the_catalogue(
    count: Callable[..., int], make_merchant: Any, make_offer: Any
) -> None:
    first = _shops(make_merchant, make_offer, 2)[0].id
    small = {
        url: count(url)
        for url in (
            "/api/v1/offers?limit=5",
            "/api/v1/merchants?limit=5",
            f"/api/v1/merchants/{first}",
        )
    }
    _shops(make_merchant, make_offer, 25)
    assert count("/api/v1/offers?limit=50") == small["/api/v1/offers?limit=5"]
    assert count("/api/v1/merchants?limit=50") == small["/api/v1/merchants?limit=5"]
    assert count("/api/v1/offers?limit=50&sort=price") == small["/api/v1/offers?limit=5"]
    merchant_id = make_merchant().id
    assert count(f"/api/v1/merchants/{merchant_id}") == small[f"/api/v1/merchants/{first}"]


def test_slots_statements_do_not_grow_with_bookings(
    count: Callable[..., int], fleet: Any, offers: dict[str, Any], book: Any, make_user: Any
) -> None:
    url = (
        f"/api/v1/slots?date={MONDAY.isoformat()}&offer_id={offers['product'].id}"
        f"&lat={HOME['lat']}&lon={HOME['lon']}"
    )
    assert book(make_user("customer"), offers["product"]).status_code == 201
    before = count(url)
    for _ in range(4):
        assert book(make_user("customer"), offers["product"]).status_code == 201
    assert count(url) == before


def test_booking_list_statements_do_not_grow_with_the_page(
    count: Callable[..., int], fleet: Any, day_bookings: Any, auth_headers: Any
) -> None:
    staff = auth_headers("dispatcher")
    day = MONDAY.isoformat()
    assert count(f"/api/v1/bookings?date={day}&limit=2", staff) == count(
        f"/api/v1/bookings?date={day}&limit=50", staff
    )


def test_booking_reads_do_not_grow_with_legs_and_history(
    count: Callable[..., int], fleet: Any, day_bookings: Any, auth_headers: Any
) -> None:
    staff = auth_headers("dispatcher")
    one_leg, round_trip = day_bookings[0], day_bookings[1]  # product; service (two legs)
    assert len(round_trip["legs"]) > len(one_leg["legs"])
    for path in ("", "/history"):
        assert count(f"/api/v1/bookings/{one_leg['id']}{path}", staff) == count(
            f"/api/v1/bookings/{round_trip['id']}{path}", staff
        )
    assert count(f"/api/v1/track/{one_leg['tracking_token']}") == count(
        f"/api/v1/track/{round_trip['tracking_token']}"
    )


def test_plan_and_route_reads_do_not_grow_with_stops(
    count: Callable[..., int],
    client: Any,
    fleet: Any,
    offers: dict[str, Any],
    book: Any,
    make_user: Any,
    auth_headers: Any,
) -> None:
    dispatcher = auth_headers("dispatcher")
    assert book(make_user("customer"), offers["product"]).status_code == 201
    small_plan = publish_monday(client, dispatcher)
    couriers = {s.courier_id for s in fleet}
    small = {
        "plan": count(f"/api/v1/plans/{small_plan['id']}", dispatcher),
        "routes": {
            c: count(f"/api/v1/courier/routes?date={MONDAY}", auth_headers(_user(c)))
            for c in couriers
        },
    }
    for lat, lon in HOMES[:6]:
        response = book(make_user("customer"), offers["product"], address={"lat": lat, "lon": lon})
        assert response.status_code == 201, response.json
    big_plan = publish_monday(client, dispatcher)
    assert sum(len(r["stops"]) for r in big_plan["routes"]) > sum(
        len(r["stops"]) for r in small_plan["routes"]
    )
    assert count(f"/api/v1/plans/{big_plan['id']}", dispatcher) == small["plan"]
    for c in couriers:
        assert (
            count(f"/api/v1/courier/routes?date={MONDAY}", auth_headers(_user(c)))
            == small["routes"][c]
        )


def _user(user_id: int) -> Any:
    from louise.auth.models import User

    return db.session().get(User, user_id)


def test_booking_create_reads_districts_shifts_and_counters_once(
    app: Flask,
    fleet: Any,
    offers: dict[str, Any],
    book: Any,
    make_user: Any,
    auth_headers: Any,
    db_session: Any,
) -> None:
    """Booking create (with an Idempotency-Key, as the app books) reads the offer, the
    districts and the day's shifts once, then takes them from the worker's copy while the
    reference version stays the same (louise.reference_version); its statements do not grow
    with the bookings of the day."""

    def create(n: int) -> list[str]:
        headers = {**auth_headers(make_user("customer")), "Idempotency-Key": f"count-{n}"}
        db.session().expunge_all()
        with _statements(app) as seen:
            response = book(headers, offers["product"])
        assert response.status_code == 201, response.json
        return [" ".join(s.split()) for s in seen]

    def reads(statements: list[str], table: str) -> int:
        return sum(
            s.upper().startswith("SELECT") and f" FROM {table} " in s + " " for s in statements
        )

    first = create(0)  # the first booking of the window creates its counter
    for table in ("offers", "districts", "shifts"):
        assert reads(first, table) == 1, table
    second = create(1)
    for n in range(2, 5):
        create(n)
    fifth = create(5)
    assert len(fifth) == len(second)
    for table in ("offers", "districts", "shifts"):
        assert reads(fifth, table) == 0, table  # the worker's copy: the version is the same
    selects = [s for s in fifth if s.upper().startswith("SELECT")]
    # the day's existing counters in one statement, then the new resident's counter (looked
    # up, inserted, read)
    lookups = [s for s in selects if " FROM capacity_counters" in s and " FOR " not in s]
    assert len(lookups) == 3
    reservations = [s for s in fifth if "UPDATE capacity_counters" in s]
    if db.engine_for(app).dialect.name == "postgresql":
        # the counters locked in id order and reserved in one statement (a CTE)
        assert len(reservations) == 1 and reservations[0].startswith("WITH locked AS")
        assert not any(s.startswith("SELECT") and " FOR NO KEY UPDATE" in s for s in fifth)
    else:
        assert len(reservations) == 1  # SQLite: no lock to take (BEGIN IMMEDIATE)
    # the token's user, its revocation and the reference version: one statement; the
    # booking is written once
    assert sum(" FROM users" in s for s in selects) == 1
    assert not any(s.upper().startswith("UPDATE BOOKINGS") for s in fifth)

    # a change of an offer (of any reference row) gives a new version: all read afresh, once
    db_session.execute(text("UPDATE offers SET price_cents = price_cents"))
    db_session.commit()
    changed = create(6)
    for table in ("offers", "districts", "shifts"):
        assert reads(changed, table) == 1, table
