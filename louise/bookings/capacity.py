"""Capacity counters: reserve and release places without ever overbooking.

Rule: a reservation is one conditional ``UPDATE ... SET used = used + n WHERE used + n <=
capacity``. PostgreSQL re-checks the condition on the newest row version after waiting for a
concurrent writer's lock; SQLite runs writers one at a time (``BEGIN IMMEDIATE``). A CHECK
constraint ``used <= capacity`` backs this up in both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from typing import cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from louise.bookings.models import CapacityCounter

#: The statements built once below (the hot paths: booking create and slots) name the
#: table's columns (Core), not the mapped class: they read and write plain rows, and skip
#: the ORM's compiling and row processing.
_COUNTERS = cast(Table, CapacityCounter.__table__)


def ensure_counter(
    session: Session,
    scope: str,
    key: str,
    day: date,
    capacity: Callable[[], int],
    memo: dict[tuple[str, str, date], int] | None = None,
) -> int:
    """Return the id of the counter row, creating it (race-free) with ``capacity()``.
    ``memo``: the ids this use case has found already (a counter row, once there, stays)."""
    if memo is not None and (scope, key, day) in memo:
        return memo[(scope, key, day)]
    counter_id = _ensure_counter(session, scope, key, day, capacity)
    if memo is not None:
        memo[(scope, key, day)] = counter_id
    return counter_id


_COUNTER_ID = select(_COUNTERS.c.id).where(
    _COUNTERS.c.scope == bindparam("scope"),
    _COUNTERS.c.key == bindparam("key"),
    _COUNTERS.c.day == bindparam("day"),
)


def _ensure_counter(
    session: Session, scope: str, key: str, day: date, capacity: Callable[[], int]
) -> int:
    existing = session.scalar(_COUNTER_ID, {"scope": scope, "key": key, "day": day})
    if existing is not None:
        return existing
    values = {"scope": scope, "key": key, "day": day, "capacity": max(0, capacity()), "used": 0}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(CapacityCounter)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["scope", "key", "day"])
    )
    counter_id = session.scalar(_COUNTER_ID, {"scope": scope, "key": key, "day": day})
    assert counter_id is not None
    return counter_id


# built once: every window and Point counter of some days, and the resident's and the
# offer's counters there (the offer key '' names none)
_OF_DAYS = select(_COUNTERS.c.id, _COUNTERS.c.scope, _COUNTERS.c.key, _COUNTERS.c.day).where(
    _COUNTERS.c.day.in_(bindparam("days", expanding=True)),
    or_(
        _COUNTERS.c.scope.in_(("window", "point")),
        (_COUNTERS.c.scope == "customer") & (_COUNTERS.c.key == bindparam("customer")),
        (_COUNTERS.c.scope == "offer") & (_COUNTERS.c.key == bindparam("offer")),
    ),
)


def counter_ids_of_days(
    session: Session, days: Iterable[date], customer: str, offer: str | None
) -> dict[tuple[str, str, date], int]:
    """The existing counter rows a booking on ``days`` may take, in one statement: every
    window and Point counter of those days, the resident's (key ``customer``) and the
    offer's (key ``offer``, None: it has no daily capacity). Feeds :func:`ensure_counter`'s
    ``memo``."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    rows = session.execute(_OF_DAYS, {"days": wanted, "customer": customer, "offer": offer or ""})
    return {(row.scope, row.key, row.day): row.id for row in rows}


# built once; FOR NO KEY UPDATE: the lock the reservation's UPDATE takes anyway (it changes no
# key). FOR UPDATE would also wait for rows that merely reference the counter (a booking
# inserted naming it holds a KEY SHARE lock): two bookings of one window, each inserted
# first, would deadlock.
_LOCK = (
    select(_COUNTERS.c.id)
    .where(_COUNTERS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_COUNTERS.c.id)
    .with_for_update(key_share=True)
)


def lock(session: Session, counter_ids: Iterable[int | None]) -> None:
    """Lock counter rows in id order before changing several of them.

    Two transactions that take the same rows in opposite order (one resident cancelling while
    booking again) would deadlock on PostgreSQL; taking every row in id order first cannot.
    SQLite needs nothing: its writers never run at the same time.
    """
    ids = sorted({i for i in counter_ids if i is not None})
    if not ids or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(_LOCK, {"ids": ids}).all()


_RESERVE = (
    update(_COUNTERS)
    .where(
        _COUNTERS.c.id == bindparam("counter_id"),
        _COUNTERS.c.used + bindparam("n") <= _COUNTERS.c.capacity,
    )
    .values(used=_COUNTERS.c.used + bindparam("n"))
)


def try_reserve(session: Session, counter_id: int, n: int = 1) -> bool:
    """Take ``n`` places if they are free. False means full; nothing changed."""
    result = session.execute(_RESERVE, {"counter_id": counter_id, "n": n})
    return bool(result.rowcount)  # type: ignore[attr-defined]


# built once
_RESERVE_ALL = (
    update(_COUNTERS)
    .where(
        _COUNTERS.c.id.in_(bindparam("ids", expanding=True)),
        _COUNTERS.c.used + bindparam("n") <= _COUNTERS.c.capacity,
    )
    .values(used=_COUNTERS.c.used + bindparam("n"))
    .returning(_COUNTERS.c.id)
)


# built once: the lock in id order and the reservation as one statement (PostgreSQL). The
# CTE's FOR NO KEY UPDATE takes the rows in id order (the lock is applied after the sort)
# and, where it waited for a concurrent writer, yields the row's newest version. The rule is
# checked on those values, not on the UPDATE's own scan: that scan sees the statement's
# snapshot, taken before the wait, and would call a counter full that a concurrent
# cancellation freed while this statement waited (measured: it did). The UPDATE changes only
# rows this transaction has locked.
_LOCKED = _LOCK.add_columns(_COUNTERS.c.used, _COUNTERS.c.capacity).cte("locked")
_LOCK_AND_RESERVE = (
    update(_COUNTERS)
    .where(
        _COUNTERS.c.id == _LOCKED.c.id,
        _LOCKED.c.used + bindparam("n") <= _LOCKED.c.capacity,
    )
    .values(used=_LOCKED.c.used + bindparam("n"))
    .returning(_COUNTERS.c.id)
)


def reserve_all(session: Session, counter_ids: Iterable[int | None]) -> set[int]:
    """:func:`lock` then :func:`try_reserve_all`: the ids that were full. On PostgreSQL,
    when every counter takes the same number of places (a booking's usual case), that is
    one statement and one round trip, not two."""
    wanted = [i for i in counter_ids if i is not None]
    places = Counter(wanted)
    if (
        wanted
        and len(set(places.values())) == 1
        and session.get_bind().dialect.name == "postgresql"
    ):
        ids = sorted(places)
        taken = set(session.scalars(_LOCK_AND_RESERVE, {"ids": ids, "n": places[ids[0]]}))
        return {i for i in ids if i not in taken}
    lock(session, wanted)
    return try_reserve_all(session, wanted)


def try_reserve_all(session: Session, counter_ids: Iterable[int | None]) -> set[int]:
    """Take a place in each of ``counter_ids`` (None names none; an id named k times takes
    k places) where they are free, in one statement (one per distinct k). The answer is the
    ids that were full: nothing changed in those, and the caller raises so that its
    transaction rolls the others back. The rule is :func:`try_reserve`'s; lock the rows
    first (:func:`lock`): the statement's snapshot is then taken after every wait."""
    places = Counter(i for i in counter_ids if i is not None)
    by_places: dict[int, list[int]] = {}
    for counter_id, n in places.items():
        by_places.setdefault(n, []).append(counter_id)
    full: set[int] = set()
    for n, ids in by_places.items():
        taken = set(session.scalars(_RESERVE_ALL, {"ids": ids, "n": n}))
        full.update(i for i in ids if i not in taken)
    return full


def release(session: Session, counter_id: int, n: int = 1) -> None:
    """Give ``n`` places back (never below zero)."""
    session.execute(
        update(CapacityCounter)
        .where(CapacityCounter.id == counter_id, CapacityCounter.used >= n)
        .values(used=CapacityCounter.used - n)
        .execution_options(synchronize_session=False)
    )


def remaining(
    session: Session, scope: str, key: str, day: date, capacity: Callable[[], int]
) -> int:
    """Free places without creating the counter."""
    row = session.execute(
        select(CapacityCounter.capacity, CapacityCounter.used).where(
            CapacityCounter.scope == scope, CapacityCounter.key == key, CapacityCounter.day == day
        )
    ).first()
    if row is None:
        return max(0, capacity())
    return max(0, row.capacity - row.used)


# built once (building a statement costs about as much as running it on a hot path)
_OF_DAY = select(_COUNTERS.c.key, _COUNTERS.c.capacity, _COUNTERS.c.used).where(
    _COUNTERS.c.scope == bindparam("scope"), _COUNTERS.c.day == bindparam("day")
)


def remaining_of_day(session: Session, scope: str, day: date) -> dict[str, int]:
    """Free places of every existing counter of ``scope`` on ``day``, by key, in one
    statement (a missing key has no counter yet: see :func:`remaining`)."""
    rows = session.execute(_OF_DAY, {"scope": scope, "day": day})
    return {row.key: max(0, row.capacity - row.used) for row in rows}
