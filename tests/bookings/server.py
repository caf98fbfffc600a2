"""A real server for concurrency tests: gunicorn with 4 sync workers on its own database.

Why its own database: the ``client`` fixture holds an open outer transaction on the run's
database (``BEGIN IMMEDIATE`` on SQLite), which a server process would block on. So each
server gets a fresh SQLite file, or a fresh PostgreSQL schema when the run uses PostgreSQL
(``LOUISE_TEST_DATABASE_URL``). It is seeded through plain SQLAlchemy with committed
transactions, and tokens are signed with the server's secret, so no slow argon2 login is
needed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from louise.auth.models import AccountStatus, Role, User
from louise.bookings.models import Booking, BookingStatus, CapacityCounter, Leg, LegStatus
from louise.bookings.policy import ServicePolicy
from louise.db import make_engine
from louise.geo.models import Address
from louise.merchants.models import (
    Category,
    Merchant,
    Offer,
    OfferKind,
    OpeningInterval,
    ParcelSize,
)
from tests.support.database import fresh_database

ROOT = Path(__file__).resolve().parents[2]
SECRET = "concurrency-test-secret-" + "s" * 40
HOME = {"lat": 51.529, "lon": 6.94}
WINDOWS = ("day-09", "day-11", "day-13", "day-15", "evening")
REQUEST_TIMEOUT = (5, 60)  # connect, read (seconds)


# --- a fresh database -------------------------------------------------------------------------


# --- gunicorn ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def gunicorn(
    database_url: str,
    log_path: Path,
    *,
    workers: int = 4,
    env: dict[str, str] | None = None,
    app_module: str = "wsgi:app",
) -> Iterator[str]:
    """Start ``gunicorn -w 4 wsgi:app`` on 127.0.0.1, wait for ``/healthz``, yield its base
    URL; stop it (SIGTERM, then SIGKILL) whatever happens."""
    port = _free_port()
    environment = {
        **os.environ,
        "LOUISE_DATABASE_URL": database_url,
        "LOUISE_SECRET_KEY": SECRET,
        "LOUISE_ENV": "testing",
        "PYTHONPATH": str(ROOT),
        # these servers test the booking rules; rate limits have their own (tests/security)
        "LOUISE_RATELIMIT_ENABLED": "false",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "--graceful-timeout",  # idle sync workers sit in accept(); don't wait long for them
        "2",
        "--chdir",
        str(ROOT),
        app_module,
    ]
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(process, base, log_path)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _wait_ready(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    with requests.Session() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{_tail(log_path)}")
            try:
                if http.get(f"{base}/healthz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # still booting
                pass
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{_tail(log_path)}")


# --- the world the server sees ----------------------------------------------------------------


@dataclass
class Live:
    """A running server, its database and what the tests seeded in it."""

    url: str
    database_url: str
    engine: Engine
    offer_id: int
    dispatcher_id: int
    tokens: dict[int, str] = field(default_factory=dict)
    _sign: Callable[[Sequence[tuple[int, str]]], dict[int, str]] | None = None
    _slots: Iterator[tuple[date, str]] = field(default_factory=lambda: iter(bookable_slots(40)))

    def next_slot(self, capacity: int) -> tuple[date, str]:
        """A (day, window) no test has used yet, opened empty with ``capacity`` places."""
        day, window = next(self._slots)
        self.open_window(day, window, capacity)
        return day, window

    def headers(self, user_id: int, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user_id]}", **extra}

    def customers(self, n: int) -> list[int]:
        """``n`` new residents with tokens (no password: nobody logs in)."""
        with Session(self.engine) as session:
            users = [plain_user(Role.CUSTOMER, "Resident") for _ in range(n)]
            session.add_all(users)
            session.commit()
            ids = [u.id for u in users]
        assert self._sign is not None
        self.tokens.update(self._sign([(i, Role.CUSTOMER.value) for i in ids]))
        return ids

    def open_window(self, day: date, window: str, capacity: int) -> None:
        """Create the (day, window) counter empty, with ``capacity`` places."""
        with Session(self.engine) as session:
            session.add(
                CapacityCounter(scope="window", key=window, day=day, capacity=capacity, used=0)
            )
            session.commit()

    def window_state(self, day: date, window: str) -> tuple[int, int, int]:
        """(capacity, used, live bookings holding a place in the window) as stored."""
        with Session(self.engine) as session:
            counter = session.scalars(
                select(CapacityCounter).where(
                    CapacityCounter.scope == "window",
                    CapacityCounter.key == window,
                    CapacityCounter.day == day,
                )
            ).one()
            holding = session.scalar(
                select(func.count(func.distinct(Booking.id)))
                .join(Leg, Leg.booking_id == Booking.id)
                .where(
                    Leg.counter_id == counter.id,
                    Leg.day == day,
                    Leg.window_code == window,
                    Leg.status != LegStatus.CANCELLED,
                    Booking.status != BookingStatus.CANCELLED,
                )
            )
            return counter.capacity, counter.used, int(holding or 0)

    def count_bookings(self, customer_id: int) -> int:
        with Session(self.engine) as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(Booking)
                    .where(Booking.customer_id == customer_id)
                )
                or 0
            )


def plain_user(role: Role, name: str) -> User:
    """An active account with a unique e-mail and no password (tests sign tokens instead)."""
    return User(
        email=f"{role.value}-{uuid.uuid4().hex[:12]}@example.test",
        password_hash=None,
        role=role,
        status=AccountStatus.ACTIVE,
        name=name,
    )


def _seed_shop(engine: Engine) -> tuple[int, int]:
    """A shop open Monday to Saturday 09:00–18:00 with a product offer; and a dispatcher."""
    with Session(engine) as session:
        owner = plain_user(Role.MERCHANT, "Shop owner")
        dispatcher = plain_user(Role.DISPATCHER, "Dispatcher")
        address = Address(
            normalized_key=f"test|shop|{uuid.uuid4().hex}",
            street="Hochstraße",
            house_number="1",
            postcode="46236",
            city="Bottrop",
            district="Stadtmitte",
            lat=51.5236,
            lon=6.9281,
            label="Hochstraße 1, 46236 Bottrop",
            source="client",
            precision="client",
        )
        merchant = Merchant(
            owner=owner,
            name="Buchhandlung am Altmarkt",
            slug=f"buch-{uuid.uuid4().hex[:8]}",
            category=Category.COBBLER,
            description="",
            address=address,
            lat=51.5236,
            lon=6.9281,
        )
        merchant.opening_intervals = [
            OpeningInterval(weekday=d, opens=clock_time(9), closes=clock_time(18)) for d in range(6)
        ]
        offer = Offer(
            merchant=merchant,
            kind=OfferKind.PRODUCT,
            title="Stadtplan Bottrop",
            description="",
            price_cents=500,
            parcel_size=ParcelSize.S,
            volume_l=12.0,
            weight_kg=4.0,
        )
        session.add_all([dispatcher, offer])
        session.commit()
        return offer.id, dispatcher.id


def _signer(database_url: str) -> tuple[Any, Callable[[Sequence[tuple[int, str]]], dict[int, str]]]:
    """Sign access tokens exactly as the server would (same app factory, same secret)."""
    from flask_jwt_extended import create_access_token

    from louise import create_app
    from louise.config import config_for_tests

    app = create_app({**config_for_tests(database_url), "SECRET_KEY": SECRET})

    def sign(users: Sequence[tuple[int, str]]) -> dict[int, str]:
        with app.app_context():
            return {
                uid: create_access_token(identity=uid, additional_claims={"role": role})
                for uid, role in users
            }

    return app, sign


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One server for every test that needs one (booting gunicorn costs seconds). Tests draw
    their own (day, window) with ``live.next_slot`` and their own residents with
    ``live.customers``, so they never see each other's bookings."""
    # Rounds reuse residents across windows of a day; lifting the open-bookings limit keeps
    # every 409 of a race a full window.
    env = {"LOUISE_MAX_OPEN_BOOKINGS_PER_DAY": "1000"}
    if _running:  # pytest keeps one fixture per module that imports it; share one server
        yield _running[0]
        return
    with live_server(tmp_path_factory.mktemp("live"), env=env) as server:
        _running.append(server)
        try:
            yield server
        finally:
            _running.clear()


_running: list[Live] = []


@contextmanager
def live_server(
    tmp_dir: Path,
    *,
    env: dict[str, str] | None = None,
    app_module: str = "wsgi:app",
    database_url: str | None = None,
) -> Iterator[Live]:
    """A fresh database, seeded with a shop and a dispatcher, behind gunicorn -w 4."""
    from louise.extensions import db

    with _database(tmp_dir, database_url) as url:
        engine = make_engine(url)
        app, sign = _signer(url)
        try:
            offer_id, dispatcher_id = _seed_shop(engine)
            log_path = tmp_dir / "gunicorn.log"
            with gunicorn(url, log_path, env=env, app_module=app_module) as base:
                live = Live(base, url, engine, offer_id, dispatcher_id, _sign=sign)
                live.tokens.update(sign([(dispatcher_id, Role.DISPATCHER.value)]))
                yield live
        finally:
            db.engine_for(app).dispose()
            engine.dispose()


@contextmanager
def _database(tmp_dir: Path, url: str | None) -> Iterator[str]:
    """``url`` as given (a database of the caller's, already migrated), or a fresh one."""
    if url is not None:
        yield url
        return
    with fresh_database(tmp_dir) as fresh:
        yield fresh


# --- slots the real clock allows ----------------------------------------------------------------


def bookable_slots(n: int, *, first: int = 2, last: int = 12) -> list[tuple[date, str]]:
    """``n`` distinct (service day, window) pairs 2–12 days ahead: bookable now, whatever the
    time of day (the server runs on the real clock), spread over the days."""
    policy = ServicePolicy()
    today = date.today()
    days = [
        today + timedelta(days=k)
        for k in range(first, last + 1)
        if policy.is_service_day(today + timedelta(days=k))
    ]
    pairs = [(d, w) for w in WINDOWS for d in days]
    if len(pairs) < n:
        raise RuntimeError(f"only {len(pairs)} bookable slots ahead")
    return pairs[:n]


# --- firing requests together -------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def fire_together(calls: Sequence[Call], threads: int = 50) -> list[Answer]:
    """Run ``calls`` from ``threads`` threads released by one barrier, so they really overlap.
    Each thread has its own ``requests.Session`` and takes every ``threads``-th call."""
    threads = min(threads, len(calls))
    barrier = threading.Barrier(threads)
    answers: list[Answer | None] = [None] * len(calls)

    def worker(offset: int) -> None:
        with requests.Session() as http:
            barrier.wait(timeout=30)
            for i in range(offset, len(calls), threads):
                response = calls[i](http)
                try:
                    body = response.json()
                except ValueError:
                    body = response.text
                answers[i] = Answer(response.status_code, body, dict(response.headers))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(worker, t) for t in range(threads)]:
            future.result()
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def booking_body(offer_id: int, day: date, window: str) -> dict[str, Any]:
    return {"offer_id": offer_id, "date": day.isoformat(), "window": window, "address": dict(HOME)}


Call = Callable[[requests.Session], requests.Response]


def book_call(live: Live, user_id: int, day: date, window: str, key: str | None = None) -> Call:
    """A ``POST /api/v1/bookings`` of the seeded offer by ``user_id``, ready to fire."""
    body = booking_body(live.offer_id, day, window)
    headers = live.headers(user_id, **({"Idempotency-Key": key} if key is not None else {}))

    def call(http: requests.Session) -> requests.Response:
        return http.post(
            f"{live.url}/api/v1/bookings", json=body, headers=headers, timeout=REQUEST_TIMEOUT
        )

    return call


def cancel_call(live: Live, user_id: int, booking_id: int) -> Call:
    """``POST /api/v1/bookings/{id}/cancel`` by ``user_id``, ready to fire."""
    headers = live.headers(user_id)

    def call(http: requests.Session) -> requests.Response:
        return http.post(
            f"{live.url}/api/v1/bookings/{booking_id}/cancel",
            json={"reason": "plans changed"},
            headers=headers,
            timeout=REQUEST_TIMEOUT,
        )

    return call
