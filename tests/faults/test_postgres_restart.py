"""PostgreSQL restarted in the middle of a booking load (our own instance, real gunicorn):
while it is down requests get 503 with Retry-After and never 500; louise answers again within
5 s of PostgreSQL being back; every 201 the clients saw is one booking in the database, and
no retry with the same Idempotency-Key made a second one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bookings.server import Live, live_server
from tests.faults.outage import bookings_in_database, own_postgres, restart_under_load

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture()
def live_on_own_postgres(tmp_path: Path) -> Iterator[tuple[Live, object]]:
    env = {
        "LOUISE_MAX_OPEN_BOOKINGS_PER_DAY": "1000",
        "LOUISE_IDEMPOTENCY_STALE_SECONDS": "3",
        "LOUISE_DATABASE_RETRY_AFTER": "1",
    }
    with (
        own_postgres() as server,
        live_server(tmp_path, env=env, database_url=server.url) as live,
    ):
        yield live, server


def test_bookings_survive_a_postgres_restart(live_on_own_postgres) -> None:
    live, server = live_on_own_postgres

    outcome = restart_under_load(live, server, threads=6, before=2, down=2, after=5)

    statuses = outcome.statuses()
    print(f"answers {dict(statuses)}, recovery {outcome.recovery_seconds():.2f} s")
    unavailable = [a for a in outcome.attempts if a.status == 503]
    assert statuses[500] == 0, statuses
    assert set(statuses) <= {201, 503, 409, 0}, statuses
    assert unavailable, f"no request met the outage: {statuses}"
    assert all(a.retry_after for a in unavailable)
    assert {a.body["error"] for a in unavailable} == {"database_unavailable"}
    assert outcome.recovery_seconds() <= 5.0, outcome.recovery_seconds()

    per_customer, stored = bookings_in_database(live)
    customers = {customer for customer, _ in outcome.booked.values()}
    assert per_customer == dict.fromkeys(customers, 1)  # one booking per key, none lost
    assert stored == {key: booking for key, (_, booking) in outcome.booked.items()}
