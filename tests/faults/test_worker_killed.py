"""A gunicorn worker SIGKILLed around a booking's commit: the client's retry with the same
``Idempotency-Key`` gets the one booking, never a second (tests/faults/dying_wsgi.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.bookings.server import REQUEST_TIMEOUT, Live, booking_body, live_server

pytestmark = pytest.mark.slow

STALE_SECONDS = 3


@pytest.fixture(scope="module")
def dying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    env = {
        "LOUISE_MAX_OPEN_BOOKINGS_PER_DAY": "1000",
        "LOUISE_IDEMPOTENCY_STALE_SECONDS": str(STALE_SECONDS),
    }
    tmp: Path = tmp_path_factory.mktemp("dying")
    with live_server(tmp, env=env, app_module="tests.faults.dying_wsgi:app") as server:
        yield server


def _post(live: Live, customer: int, key: str, body: dict[str, object], **extra: str):
    return requests.post(
        f"{live.url}/api/v1/bookings",
        json=body,
        headers=live.headers(customer, **{"Idempotency-Key": key}, **extra),
        timeout=REQUEST_TIMEOUT,
    )


def _retry_until_answered(live: Live, customer: int, key: str, body: dict[str, object]):
    """What a client does after a dropped connection: the same request, the same key, again
    (honouring Retry-After) until it gets an answer that is not 'try later'."""
    deadline = time.monotonic() + 45
    while True:
        try:
            response = _post(live, customer, key, body)
        except requests.ConnectionError:  # the worker is being replaced
            response = None
        if response is not None and response.status_code not in (409, 503):
            return response
        assert time.monotonic() < deadline, response.text if response is not None else "no answer"
        wait = response.headers.get("Retry-After", "1") if response is not None else "0.2"
        time.sleep(float(wait))


@pytest.mark.parametrize("moment", ["after-booking-commit", "after-commit"])
def test_a_worker_killed_around_the_booking_commit_leaves_one_booking_and_the_retry_gets_it(
    dying: Live, moment: str
) -> None:
    customer = dying.customers(1)[0]
    day, window = dying.next_slot(capacity=5)
    body = booking_body(dying.offer_id, day, window)
    key = f"killed-{uuid.uuid4()}"

    with pytest.raises(requests.ConnectionError):
        _post(dying, customer, key, body, **{"X-Test-Die": moment})

    retried = _retry_until_answered(dying, customer, key, body)
    again = _post(dying, customer, key, body)

    assert retried.status_code == 201, retried.text
    assert dying.count_bookings(customer) == 1
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == retried.json()["id"]
    assert dying.window_state(day, window) == (5, 1, 1)
    if moment == "after-commit":
        # the booking and its answer were committed together before the kill: a replay
        assert retried.headers.get("Idempotent-Replayed") == "true"
    else:
        # the kill came before the request's one commit: nothing stayed, the retry books
        assert "Idempotent-Replayed" not in retried.headers
