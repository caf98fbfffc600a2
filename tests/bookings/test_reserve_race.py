"""The reservation a booking takes in one statement (lock in id order + conditional UPDATE)
on PostgreSQL, raced against a concurrent writer on real connections: it never overbooks,
and a place freed while it waits is a place it can take."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, update
from sqlalchemy.orm import Session

from louise.bookings import capacity
from louise.bookings.models import CapacityCounter
from tests.support.database import fresh_database, postgres_base_url

postgres_only = pytest.mark.skipif(
    postgres_base_url() is None,
    reason="PostgreSQL only: SQLite's writers never run at the same time (BEGIN IMMEDIATE)",
)

DAY = date(2026, 12, 3)


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(tmp_path, "reserve") as url:
        made = create_engine(url)
        try:
            yield made
        finally:
            made.dispose()


def _counters(engine: Engine, *rows: tuple[int, int]) -> list[int]:
    """Counters with (capacity, used), committed; their ids."""
    with Session(engine) as session:
        made = [
            CapacityCounter(scope="window", key=f"w{i}", day=DAY, capacity=cap, used=used)
            for i, (cap, used) in enumerate(rows)
        ]
        session.add_all(made)
        session.commit()
        return [c.id for c in made]


def _used(engine: Engine, counter_id: int) -> int:
    with Session(engine) as session:
        return int(
            session.scalar(select(CapacityCounter.used).where(CapacityCounter.id == counter_id))
        )


def _reserve_while_another_writes(
    engine: Engine, ids: list[int], other_change: int
) -> tuple[set[int], float]:
    """Another transaction changes ``used`` of ``ids[0]`` by ``other_change`` and holds its
    lock; meanwhile ``reserve_all(ids)`` starts (and waits); the other commits. The ids the
    reservation found full, and how long it waited."""
    other = Session(engine)
    other.execute(
        update(CapacityCounter)
        .where(CapacityCounter.id == ids[0])
        .values(used=CapacityCounter.used + other_change)
    )
    outcome: dict[str, object] = {}

    def reserve() -> None:
        with Session(engine) as session:
            started = time.monotonic()
            outcome["full"] = capacity.reserve_all(session, ids)
            outcome["waited"] = time.monotonic() - started
            session.commit()

    worker = threading.Thread(target=reserve)
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive(), "the reservation should wait for the other writer's lock"
    other.commit()
    other.close()
    worker.join(timeout=10)
    assert not worker.is_alive()
    return outcome["full"], outcome["waited"]  # type: ignore[return-value]


@postgres_only
def test_a_place_freed_while_the_reservation_waits_is_taken(engine: Engine) -> None:
    full_one, free_one = _counters(engine, (2, 2), (5, 0))
    full, waited = _reserve_while_another_writes(engine, [full_one, free_one], other_change=-1)
    assert waited >= 0.4
    assert full == set()  # the statement's own snapshot still said 2 of 2
    assert _used(engine, full_one) == 2
    assert _used(engine, free_one) == 1


@postgres_only
def test_the_last_place_taken_while_the_reservation_waits_is_refused(engine: Engine) -> None:
    last_one, free_one = _counters(engine, (2, 1), (5, 0))
    full, _ = _reserve_while_another_writes(engine, [last_one, free_one], other_change=1)
    assert full == {last_one}
    assert _used(engine, last_one) == 2  # never 3: the CHECK would refuse it, the rule does first
    assert _used(engine, free_one) == 1  # the caller rolls this back when anything was full


def test_a_counter_named_twice_takes_two_places_or_none(engine: Engine) -> None:
    """Different numbers of places per counter: the lock, then one UPDATE per number (and
    SQLite's path)."""
    two_left, one_left = _counters(engine, (3, 1), (3, 2))
    with Session(engine) as session:
        full = capacity.reserve_all(session, [two_left, two_left, one_left, None])
        session.commit()
    assert full == set()
    assert (_used(engine, two_left), _used(engine, one_left)) == (3, 3)
    with Session(engine) as session:
        assert capacity.reserve_all(session, [two_left, one_left, one_left]) == {
            two_left,
            one_left,
        }
        session.rollback()
