"""Where the time of the hot read endpoints goes: SQL statements per request and a profile.

    python -m benchmarks.api.profile [--db URL] [--requests 200] [--html DIR]

Builds a fresh database (default: a temporary SQLite file; ``--db`` a PostgreSQL URL of an
EMPTY database or schema), migrates it, loads the demo and publishes the demo day, then, with
Flask's test client (no server, no network), for each endpoint prints the SQL statements one
request issues and the wall time per request, and profiles ``--requests`` requests with
pyinstrument (the text report, or HTML files into ``--html``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from louise import create_app
from louise.cli import migrate_database


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    from louise.extensions import db

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.engine_for(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def setup(url: str) -> tuple[Flask, dict[str, Any]]:
    migrate_database(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "LOUISE_ENV": "demo",
            "PLANNING_INLINE": True,
            # as in the load benchmark: bookings never meet the business limits
            "MAX_OPEN_BOOKINGS_PER_DAY": 100000,
            "STOPS_PER_VEHICLE_HOUR": 500.0,
            "RATELIMIT_ENABLED": False,  # as in the load benchmark
        }
    )
    from louise.clock import now
    from louise.demo.seed import seed_demo
    from louise.extensions import db

    with app.app_context():
        summary = seed_demo(db.session(), app.config, now(), None)
        day = summary.service_day
    return app, {"day": day.isoformat()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--html", type=Path, default=None)
    parser.add_argument("--no-profile", action="store_true", help="only count and time")
    parser.add_argument("--only", nargs="*", default=None, help="profile only these endpoints")
    parser.add_argument("--show-sql", action="store_true", help="print each statement")
    args = parser.parse_args(argv)
    url = args.db or "sqlite:///" + str(Path(tempfile.mkdtemp()) / "profile.sqlite3")
    app, info = setup(url)
    client: FlaskClient = app.test_client()
    day = info["day"]
    endpoints = {
        "healthz": "/healthz",
        "merchant": "/api/v1/merchants/1",
        "merchants": "/api/v1/merchants?limit=20",
        "offers": "/api/v1/offers?limit=20",
        "slots": f"/api/v1/slots?date={day}&offer_id=13&lat=51.5247&lon=6.9327",
    }
    for name, path in endpoints.items():
        client.get(path)  # warm up
        with app.app_context(), counting(app) as statements:
            response = client.get(path)
        started = time.perf_counter()
        for _ in range(20):
            client.get(path)
        ms = (time.perf_counter() - started) / 20 * 1000
        print(
            f"{name:10} {response.status_code} {len(statements):3} statements {ms:6.1f} ms  {path}"
        )
        if args.show_sql:
            for statement in statements:
                print("    " + " ".join(statement.split())[:160])
    if args.no_profile:
        return 0
    from pyinstrument import Profiler

    if args.only and "book" in args.only:
        profile_booking(app, client, day, args.requests, args.show_sql)

    for name, path in endpoints.items():
        if args.only and name not in args.only:
            continue
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(args.requests):
                client.get(path)
        if args.html is not None:
            args.html.mkdir(parents=True, exist_ok=True)
            (args.html / f"{name}.html").write_text(profiler.output_html(), encoding="utf-8")
        else:
            print(f"== {name}: {args.requests} requests")
            print(profiler.output_text(unicode=False, color=False, short_mode=True))
    return 0


def profile_booking(
    app: Flask, client: FlaskClient, day: str, requests: int, show_sql: bool = False
) -> None:
    """Booking create as a demo resident, on the days after the demo day, in bookable
    windows (as the load benchmark books)."""
    import itertools
    import uuid
    from datetime import date, timedelta

    from pyinstrument import Profiler

    token = client.post(
        "/api/v1/auth/login",
        json={"email": "anna.becker@louise.test", "password": "louise-demo"},
    ).json
    assert token is not None
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    bookable = []
    for delta in range(1, 10):
        other = (date.fromisoformat(day) + timedelta(days=delta)).isoformat()
        answer = client.get(f"/api/v1/slots?date={other}&offer_id=13&lat=51.5247&lon=6.9327")
        if answer.status_code == 200 and answer.json is not None:
            bookable += [(other, s["window"]) for s in answer.json["slots"] if s["bookable"]]
    choices = itertools.cycle(bookable)
    address = {
        "street": "Hansastraße",
        "house_number": "20",
        "postcode": "46236",
        "city": "Bottrop",
    }

    def book() -> int:
        on, window = next(choices)
        body = {"offer_id": 13, "date": on, "window": window, "address": address}
        key = {"Idempotency-Key": uuid.uuid4().hex}
        return client.post("/api/v1/bookings", json=body, headers={**headers, **key}).status_code

    assert book() == 201
    with app.app_context(), counting(app) as statements:
        assert book() == 201
    print(f"book       201 {len(statements):3} statements  POST /api/v1/bookings")
    if show_sql:
        for statement in statements:
            print("    " + " ".join(statement.split())[:160])
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        codes = [book() for _ in range(requests)]
    ms = (time.perf_counter() - started) / requests * 1000
    print(f"== book: {requests} requests, {ms:.1f} ms each, answers {sorted(set(codes))}")
    print(profiler.output_text(unicode=False, color=False, short_mode=True))


if __name__ == "__main__":
    raise SystemExit(main())
