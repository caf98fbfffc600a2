"""The booking limit in gunicorn -w 4, as deployed: with Redis it holds across the workers
exactly; with Redis gone every request is served and the workers log the outage."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bookings.server import book_call, fire_together, live_server
from tests.security.conftest import REDIS_HOST, REDIS_PORT

LIMIT = 5
ATTEMPTS = 20


def _settings(**more: str) -> dict[str, str]:
    return {
        "LOUISE_RATELIMIT_ENABLED": "true",
        "LOUISE_RATELIMIT_BOOKING_CREATE": f"{LIMIT}/minute",
        "LOUISE_MAX_OPEN_BOOKINGS_PER_DAY": "1000",
        **more,
    }


@pytest.mark.slow
def test_booking_limit_holds_across_four_workers_through_redis(
    tmp_path: Path, redis_prefix: str
) -> None:
    env = _settings(
        LOUISE_RATELIMIT_STORAGE_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
        LOUISE_RATELIMIT_KEY_PREFIX=redis_prefix,
    )
    with live_server(tmp_path, env=env) as live:
        [resident] = live.customers(1)
        day, window = live.next_slot(capacity=100)
        answers = fire_together([book_call(live, resident, day, window)] * ATTEMPTS, threads=10)
        statuses = sorted(a.status for a in answers)
        assert statuses == [201] * LIMIT + [429] * (ATTEMPTS - LIMIT)
        refused = [a for a in answers if a.status == 429]
        assert all(a.body["error"] == "rate_limited" for a in refused)
        assert all(1 <= int(a.headers["Retry-After"]) <= 60 for a in refused)
        assert live.count_bookings(resident) == LIMIT
        # another resident is not held up by the first one's count
        [other] = live.customers(1)
        assert fire_together([book_call(live, other, day, window)])[0].status == 201


@pytest.mark.slow
def test_redis_down_every_worker_serves_and_logs_a_warning(tmp_path: Path) -> None:
    env = _settings(LOUISE_RATELIMIT_STORAGE_URL="redis://127.0.0.1:6390/0")
    with live_server(tmp_path, env=env) as live:
        [resident] = live.customers(1)
        day, window = live.next_slot(capacity=100)
        answers = fire_together([book_call(live, resident, day, window)] * 12, threads=6)
        assert sorted(a.status for a in answers) == [201] * 12
        assert live.count_bookings(resident) == 12
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "rate limit storage unreachable, requests are let through unlimited" in log
    assert "Traceback" not in log
