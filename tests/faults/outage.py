"""PostgreSQL restarted under a booking load: the machinery shared by the test
(tests/faults/test_postgres_restart.py) and the benchmark (benchmarks/api/faults.py).

- :func:`own_postgres` starts a PostgreSQL instance of our own (initdb into a temporary
  folder, a free port, ``pg_ctl``), never the shared server;
- :func:`drive_bookings` books from client threads, one resident and one fresh
  ``Idempotency-Key`` per booking, and retries every failed request with the SAME key (as a
  real client would) until it gets its 201;
- :func:`restart_under_load` stops the server mid-load (``pg_ctl stop -m fast``), waits,
  starts it again, and measures how long louise takes to answer a 201 again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from louise.bookings.models import Booking, IdempotencyKey
from tests.bookings.server import Live, _free_port, booking_body

PG_BIN = Path(os.environ.get("LOUISE_PG_BIN", "/usr/lib/postgresql/15/bin"))


# --- a PostgreSQL of our own ----------------------------------------------------------------


@dataclass
class OwnPostgres:
    data: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/louise?connect_timeout=2"

    def ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.ctl("-w", "-o", options, "-l", str(self.data / "server.log"), "start")

    def stop(self) -> None:
        self.ctl("-w", "-m", "fast", "stop")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """initdb + start on a free port; stopped and removed whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix="louise-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run(
        [*run_as, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    server = OwnPostgres(data, _free_port(), run_as)
    server.start()
    try:
        subprocess.run(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(server.port),
                "-U",
                "postgres",
                "louise",
            ],
            check=True,
            timeout=60,
        )
        from louise.cli import migrate_database

        migrate_database(server.url)
        yield server
    finally:
        with suppress(subprocess.SubprocessError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Attempt:
    at: float  # monotonic
    status: int  # 0: no answer (connection refused, reset)
    body: Any = None
    retry_after: str | None = None


@dataclass
class Outcome:
    attempts: list[Attempt] = field(default_factory=list)
    booked: dict[str, tuple[int, int]] = field(default_factory=dict)  # key → (customer, id)
    down_at: float = 0.0
    up_at: float = 0.0

    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.attempts)

    def recovery_seconds(self) -> float:
        """From PostgreSQL accepting connections again to louise's next 201."""
        after = [a.at for a in self.attempts if a.status == 201 and a.at >= self.up_at]
        return (min(after) - self.up_at) if after else float("inf")


def _book_until_created(
    live: Live,
    http: requests.Session,
    customer: int,
    key: str,
    body: Any,
    outcome: Outcome,
    lock: threading.Lock,
    deadline: float,
) -> None:
    headers = live.headers(customer, **{"Idempotency-Key": key})
    while time.monotonic() < deadline:
        try:
            response = http.post(
                f"{live.url}/api/v1/bookings", json=body, headers=headers, timeout=(3, 30)
            )
            try:
                payload = response.json()
            except ValueError:
                payload = response.text
            attempt = Attempt(
                time.monotonic(), response.status_code, payload, response.headers.get("Retry-After")
            )
        except requests.RequestException:
            attempt = Attempt(time.monotonic(), 0)
        with lock:
            outcome.attempts.append(attempt)
            if attempt.status == 201:
                outcome.booked[key] = (customer, int(attempt.body["id"]))
        if attempt.status == 201:
            return
        time.sleep(min(float(attempt.retry_after or 0.2), 2.0))
    raise AssertionError(f"key {key} got no 201 before the deadline")


def drive_bookings(
    live: Live,
    stop: threading.Event,
    outcome: Outcome,
    threads: int,
    slots: list[Any],
    deadline: float,
) -> tuple[list[threading.Thread], list[BaseException]]:
    """Start ``threads`` clients booking until ``stop`` is set; each finishes its last key."""
    lock = threading.Lock()
    # one customer per booking; a quiet machine books ~50 a second per run of clients
    customers = iter(live.customers(threads * 400))
    errors: list[BaseException] = []

    def client(n: int) -> None:
        with requests.Session() as http:
            i = 0
            while not stop.is_set():
                day, window = slots[(n + i) % len(slots)]
                i += 1
                with lock:
                    customer = next(customers, None)
                if customer is None:  # every prepared customer has booked: this client ends
                    return
                try:
                    _book_until_created(
                        live,
                        http,
                        customer,
                        f"load-{uuid.uuid4()}",
                        booking_body(live.offer_id, day, window),
                        outcome,
                        lock,
                        deadline,
                    )
                except BaseException as exc:  # reported by the caller
                    errors.append(exc)
                    return

    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    return workers, errors


def restart_under_load(
    live: Live,
    server: OwnPostgres,
    *,
    threads: int = 6,
    before: float = 2.0,
    down: float = 2.0,
    after: float = 6.0,
) -> Outcome:
    """Book for ``before`` s, stop PostgreSQL, keep it down ``down`` s, start it, book
    ``after`` s more; every client then finishes (retries) its last key."""
    slots = [live.next_slot(capacity=10_000) for _ in range(4)]
    outcome = Outcome()
    stop = threading.Event()
    deadline = time.monotonic() + before + down + after + 60
    workers, errors = drive_bookings(live, stop, outcome, threads, slots, deadline)
    time.sleep(before)
    outcome.down_at = time.monotonic()
    server.stop()
    time.sleep(down)
    server.start()  # -w: returns when it accepts connections
    outcome.up_at = time.monotonic()
    time.sleep(after)
    stop.set()
    for worker in workers:
        worker.join(timeout=90)
    if errors:
        raise errors[0]
    return outcome


def bookings_in_database(live: Live) -> tuple[dict[int, int], dict[str, int]]:
    """(bookings per customer, booking id stored per idempotency key) as the database has them."""
    with Session(live.engine) as session:
        per_customer = {
            int(customer): int(count)
            for customer, count in session.execute(
                select(Booking.customer_id, func.count()).group_by(Booking.customer_id)
            )
        }
        stored = {
            row.key: int(row.response_body["id"])
            for row in session.scalars(select(IdempotencyKey).where(IdempotencyKey.completed))
        }
    return per_customer, stored
