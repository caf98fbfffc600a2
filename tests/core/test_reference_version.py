"""The reference version (louise/reference_version.py) and the worker's copy of the reference
data that booking create keeps under it (louise/bookings/lookups.py).

The copy must never let a booking be checked against rows older than those a fresh read
would give: every change of a watched row changes the version (database triggers), and a
booking made after the change sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from louise.auth.models import AccountStatus, User
from louise.db import autocommit_read, make_engine
from louise.fleet.models import Shift
from louise.reference_version import WATCHED, ReferenceVersion

pytestmark = pytest.mark.usefixtures("now")


def _version(session: Session) -> int | None:
    return session.scalar(select(ReferenceVersion.version).where(ReferenceVersion.id == 1))


def _triggers(connection: Connection) -> dict[str, set[str]]:
    """table → the kinds of change (INSERT, UPDATE, DELETE, TRUNCATE) that fire a trigger
    setting a new reference version."""
    found: dict[str, set[str]] = {}
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT event_object_table, event_manipulation FROM information_schema.triggers"
                " WHERE trigger_schema = current_schema()"
                " AND action_statement LIKE '%louise_new_reference_version%'"
            )
        )
        for table, event in rows:
            found.setdefault(table, set()).add(event)
        rows = connection.execute(
            text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE p.proname = 'louise_new_reference_version'"
                " AND c.relnamespace = current_schema()::regnamespace"
                " AND (t.tgtype & 32) <> 0"  # TRUNCATE (information_schema omits it)
            )
        )
        for (table,) in rows:
            found.setdefault(table, set()).add("TRUNCATE")
        return found
    rows = connection.execute(
        text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
    ).all()
    for table, sql in rows:
        if "reference_versions" in sql:
            event = sql.split(" AFTER ", 1)[1].split(" ON ", 1)[0].strip()
            found.setdefault(table, set()).add(event.split()[0])
    return found


def test_every_watched_table_has_its_triggers(db_connection: Connection) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it: this catches that."""
    found = _triggers(db_connection)
    for table, events in WATCHED.items():
        expected = {event.split()[0] for event in events}
        if db_connection.dialect.name == "postgresql":
            expected.add("TRUNCATE")
        assert found.get(table) == expected, table
    assert set(found) == set(WATCHED)


def test_changes_of_reference_rows_set_a_new_version(
    db_session: Session, offers: dict[str, Any], fleet: list[Shift], make_user: Any
) -> None:
    versions = [_version(db_session)]
    assert versions[0] is not None

    def changed() -> bool:
        db_session.flush()
        versions.append(_version(db_session))
        return versions[-1] != versions[-2]

    offer = offers["product"]
    offer.price_cents += 10
    assert changed()
    offer.merchant.opening_intervals[0].closes = offer.merchant.opening_intervals[0].closes
    db_session.execute(text("UPDATE merchant_opening_intervals SET weekday = weekday"))
    assert changed()
    fleet[0].ends_at = fleet[0].ends_at.replace(minute=30)
    assert changed()
    courier = db_session.get(User, fleet[0].courier_id)
    assert courier is not None
    courier.name = "Kurier umbenannt"  # a name is no reference data
    assert not changed()
    courier.status = AccountStatus.DISABLED
    assert changed()
    make_user("customer")  # a new resident neither
    assert not changed()
    db_session.delete(fleet[1])
    assert changed()
    assert len(set(versions)) == len(versions) - 2  # never an earlier number again


def test_a_booking_sees_an_offer_change_at_once(
    app: Flask,
    offers: dict[str, Any],
    fleet: list[Shift],
    book: Any,
    make_user: Any,
    db_session: Session,
) -> None:
    """The first booking fills the worker's copy; the next ones use it; a change of the offer
    (price, then inactive) is seen by the very next booking."""
    resident = make_user("customer")
    offer = offers["product"]
    first = book(resident, offer)
    assert first.status_code == 201, first.json
    assert first.json["price_cents"] == offer.price_cents
    kept = app.extensions["louise.versioned_reference"]._latest
    assert kept is not None and offer.id in kept.offers

    db_session.execute(
        text("UPDATE offers SET price_cents = 4321 WHERE id = :id"), {"id": offer.id}
    )
    db_session.commit()
    second = book(resident, offer)
    assert second.status_code == 201, second.json
    assert second.json["price_cents"] == 4321

    db_session.execute(text("UPDATE offers SET active = false WHERE id = :id"), {"id": offer.id})
    db_session.commit()
    third = book(resident, offer)
    assert third.status_code == 422, third.json
    assert "offer_id" in third.json["errors"]["json"]


def test_a_booking_sees_a_courier_leave_at_once(
    offers: dict[str, Any], fleet: list[Shift], book: Any, make_user: Any, db_session: Session
) -> None:
    """The day's fleet is kept too: with every rostered courier's account disabled, the next
    booking finds nobody to serve its window."""
    resident = make_user("customer")
    assert book(resident, offers["product"]).status_code == 201
    for shift in fleet:
        db_session.execute(
            text("UPDATE users SET status = 'disabled' WHERE id = :id"), {"id": shift.courier_id}
        )
    db_session.commit()
    refused = book(resident, offers["product"])
    assert refused.status_code in (409, 422), refused.json
    assert "window" in str(refused.json)


def test_autocommit_read_sends_no_transaction(database_url: str) -> None:
    """PostgreSQL: the token's read runs outside a transaction and gives its connection
    back; the session's next statement opens an ordinary transaction."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no round trips to save")
    engine = make_engine(database_url)
    try:
        session = Session(bind=engine, expire_on_commit=False)
        with autocommit_read(session):
            raw = session.connection().connection.dbapi_connection
            assert getattr(raw, "autocommit", None) is True
            assert session.execute(text("SELECT txid_current_if_assigned()")).scalar() is None
            status = session.execute(text("SELECT 1")).scalar()
        assert status == 1
        assert not session.in_transaction()
        session.execute(text("CREATE TEMP TABLE louise_autocommit_probe (x int)"))
        raw = session.connection().connection.dbapi_connection
        assert getattr(raw, "autocommit", None) is False  # an ordinary transaction again
        session.rollback()
        session.close()
    finally:
        engine.dispose()


def test_autocommit_read_is_a_plain_block_inside_a_transaction(
    db_session: Session, make_user: Callable[..., Any]
) -> None:
    """A test's session bound to one connection (or a session in a transaction) reads as
    before: nothing is committed."""
    user = make_user("customer")
    with autocommit_read(db_session):
        assert db_session.scalar(select(User).where(User.id == user.id)) is user
    assert db_session.in_transaction()  # not committed: the block's read stays in it
