"""Instructions per booking create, counted by valgrind's callgrind around N requests.

Wall-clock time on a shared machine drifts with the neighbours' load; the instructions a
request executes do not. In-process (Flask's test client, no server, no network), on
PostgreSQL with the demo::

    # once: an EMPTY database, migrated and seeded; prints the demo day
    createdb -h 127.0.0.1 -U postgres perf_tpl
    python -m benchmarks.api.instructions seed postgresql+psycopg://postgres@127.0.0.1:5432/perf_tpl
    # each measurement on a fresh copy, so that every run books into the same rows
    createdb -h 127.0.0.1 -U postgres -T perf_tpl perf_run
    valgrind --tool=callgrind --instr-atstart=no \\
        python -m benchmarks.api.instructions book URL_OF_perf_run DAY --requests 50

callgrind prints ``Collected : N``: the instructions of the ``--requests`` bookings (divide
by it). Before them, every bookable window of the days after DAY is booked once (each
window's counter then exists, as on a busy day) and the garbage collector is run, so that
the count does not depend on where a full collection happens to fall.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import subprocess
import uuid
from datetime import date, timedelta

from benchmarks.api.profile import setup

#: as in benchmarks/api/profile.py and the load benchmark
CONFIG = {
    "LOUISE_ENV": "demo",
    "PLANNING_INLINE": True,
    "MAX_OPEN_BOOKINGS_PER_DAY": 100000,
    "STOPS_PER_VEHICLE_HOUR": 500.0,
    "RATELIMIT_ENABLED": False,
}
ADDRESS = {"street": "Hansastraße", "house_number": "20", "postcode": "46236", "city": "Bottrop"}


def _callgrind(switch: str) -> None:
    """Instrumentation on or off (no-op outside valgrind: callgrind_control finds nothing)."""
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], capture_output=True)


def book(url: str, day: str, requests: int) -> None:
    from louise import create_app

    app = create_app({"DATABASE_URL": url, **CONFIG})
    client = app.test_client()
    login = client.post(
        "/api/v1/auth/login", json={"email": "anna.becker@louise.test", "password": "louise-demo"}
    ).json
    assert login is not None
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    bookable = []
    for delta in range(1, 10):
        other = (date.fromisoformat(day) + timedelta(days=delta)).isoformat()
        answer = client.get(f"/api/v1/slots?date={other}&offer_id=13&lat=51.5247&lon=6.9327")
        if answer.status_code == 200 and answer.json is not None:
            bookable += [(other, s["window"]) for s in answer.json["slots"] if s["bookable"]]
    assert bookable, "nothing bookable after the demo day"
    choices = itertools.cycle(bookable)

    def one() -> None:
        on, window = next(choices)
        body = {"offer_id": 13, "date": on, "window": window, "address": ADDRESS}
        key = {"Idempotency-Key": uuid.uuid4().hex}
        answer = client.post("/api/v1/bookings", json=body, headers={**headers, **key})
        assert answer.status_code == 201, answer.json

    for _ in bookable:
        one()
    gc.collect()
    _callgrind("on")
    for _ in range(requests):
        one()
    _callgrind("off")
    print(f"{requests} bookings measured ({len(bookable)} windows booked before)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed = sub.add_parser("seed", help="migrate an EMPTY database and load the demo")
    seed.add_argument("url")
    run = sub.add_parser("book", help="book --requests times (the demo seeded before)")
    run.add_argument("url")
    run.add_argument("day", help="the demo day that seed printed")
    run.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)
    if args.command == "seed":
        _app, info = setup(args.url)
        print(info["day"])
    else:
        book(args.url, args.day, args.requests)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
