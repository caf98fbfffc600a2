"""API load benchmark: gunicorn as deployed, PostgreSQL with the Bottrop demo, locust.

    make bench-api          # or: python -m benchmarks.api.run [--seconds 15] [--write]

What it does, on this machine only (loopback):

1. drops and creates the database ``louise_bench_api`` on 127.0.0.1:5432, migrates it, loads
   the demo (``flask seed``), plans and publishes the demo day (``flask plan-day --publish``);
2. starts gunicorn as deployed (``gunicorn.conf.py``: a worker per core; ``--workers N``
   sets another number) on a free port (rate limits off);
3. runs locust headless, one phase after the other: ``/healthz`` alone (the framework
   baseline), ``GET /merchants/1``, ``GET /offers?limit=20``, slots by position, each with 16
   users and no pause; then the mix (catalogue 40 %, slots 30 %, booking create 10 %,
   tracking 10 %, courier stop updates 10 %); then booking create at a fixed 50 requests/s
   (Poisson arrivals), after ``--warmup`` seconds of the same load whose figures are shown
   apart (a worker's first bookings compile its statements and read its first tokens);
4. prints throughput, p50/p95/p99 and errors per endpoint, and each throughput as a ratio to
   ``/healthz`` of the same run (the machine is shared: the ratios are what compare), with
   the machine's CPU busy and steal shares during each phase (steal: time the host gave
   this virtual machine's CPUs to someone else; latency targets are read beside it), and
   the p99 of the time the app itself took (``server p99``, from the ``duration_ms`` of
   the server's JSON access lines): what the client's p99 adds to it is the wait for a free
   worker, the network and the load generator's own turns on the CPU.

``--write`` also writes the table into docs/benchmarks-api.md (the "latest run" section).

The benchmark's server raises two business limits so that a minute of booking load never
runs into them: ``LOUISE_MAX_OPEN_BOOKINGS_PER_DAY`` (a resident's 3 open bookings a day) and
``LOUISE_STOPS_PER_VEHICLE_HOUR`` (window capacity). The booking path is the same; only the
numbers it compares against are larger.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "louise_bench_api"
PASSWORD = "louise-demo"
USERS = 16
BOOKING_RATE = 50  # requests/s in the fixed-rate phase (one user per request a second)
WARMUP = 5  # seconds of the fixed-rate load before it is measured
DOC = ROOT / "docs" / "benchmarks-api.md"

#: Residents of the demo (louise/demo/data.py) with their addresses: they log in and book.
RESIDENTS = (
    ("anna.becker", "Hansastraße", "20", "46236"),
    ("thomas.wagner", "Westring", "22", "46236"),
    ("fatma.oeztuerk", "Prosperstraße", "44", "46238"),
    ("klaus.schulte", "Welheimer Straße", "33", "46238"),
    ("sabine.hoffmann", "Scharnhölzstraße", "98", "46242"),
    ("michael.krause", "Vonderorter Straße", "25", "46242"),
    ("emily.carter", "Friedrich-Ebert-Straße", "31", "46236"),
    ("juergen.schmitz", "Am Lamperfeld", "13", "46240"),
    ("monika.lange", "Essener Straße", "90", "46238"),
)
COURIERS = ("jonas.nowak", "aylin.demir", "markus.brandt")
#: Positions in Bottrop for the slots (city centre, Eigen, Batenbrock, Fuhlenbrock, Boy).
POSITIONS = (
    (51.5247, 6.9327),
    (51.5401, 6.9406),
    (51.5163, 6.9629),
    (51.5279, 6.9046),
    (51.5188, 6.9551),
)


@dataclass(frozen=True)
class Phase:
    name: str
    user_class: str
    users: int
    seconds: int
    warmup: int = 0  # seconds of the same load run (and shown) before the measured phase


@dataclass(frozen=True)
class Row:
    phase: str
    endpoint: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    steal: float | None = None  # % of the machine's CPU time its hypervisor took, this phase
    busy: float | None = None  # % of the machine's CPU time in use (all processes), this phase
    server_p99: float | None = None  # ms, the app's own time (its access lines), this phase


def _route_pattern(name: str) -> re.Pattern[str]:
    """The server paths a locust request name stands for: ``"GET /track/{token}"`` matches
    the access line ``GET /api/v1/track/***``; a query string is not in the access line."""
    method, _, path = name.partition(" ")
    path = re.escape(path.split("?")[0])
    path = path.replace(r"\{id\}", r"\d+").replace(r"\{token\}", r"[^/]+")
    return re.compile(rf"{re.escape(method)} (/api/v1)?{path}")


def server_durations(lines: list[str], names: list[str]) -> dict[str, list[float]]:
    """``duration_ms`` of the JSON access lines (logger ``louise.access``) per locust
    request name; other lines (gunicorn's, text lines) are skipped."""
    patterns = {name: _route_pattern(name) for name in names}
    found: dict[str, list[float]] = {name: [] for name in names}
    for line in lines:
        if '"louise.access"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        said = f"{entry.get('method')} {entry.get('path')}"
        for name, pattern in patterns.items():
            if pattern.fullmatch(said) and isinstance(entry.get("duration_ms"), int | float):
                found[name].append(float(entry["duration_ms"]))
                break
    return found


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (nearest rank, as locust reports), None for no values."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(0, min(len(ranked), math.ceil(len(ranked) * q / 100)) - 1)]


def cpu_share(before: Any, after: Any) -> tuple[float | None, float | None]:
    """(steal %, busy %) of the machine's CPU time between two ``psutil.cpu_times()``: steal
    is time a virtual machine's CPUs wanted to run and the host gave to someone else, the
    one slowdown that no process here causes (Linux only; None elsewhere)."""
    if not hasattr(after, "steal"):
        return None, None

    def counted(times: Any) -> float:  # a guest's time is in user and nice already
        return float(sum(times) - getattr(times, "guest", 0) - getattr(times, "guest_nice", 0))

    total = counted(after) - counted(before)
    if total <= 0:
        return None, None
    idle = (after.idle - before.idle) + (after.iowait - before.iowait)
    return 100 * (after.steal - before.steal) / total, 100 * (total - idle) / total


def _db_name(value: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise argparse.ArgumentTypeError("a PostgreSQL name: lower-case letters, digits, _")
    return value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(name: str = DB_NAME) -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def server_env(database_url: str, out: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "LOUISE_ENV": "demo",
            "LOUISE_DATABASE_URL": database_url,
            "LOUISE_SECRET_KEY": secrets.token_urlsafe(48),
            "LOUISE_MAIL_DIR": str(out / "mail"),
            "LOUISE_UPLOAD_DIR": str(out / "uploads"),
            # JSON access lines, as in production: each names its duration (server p99)
            "LOUISE_LOG_FORMAT": "json",
            # other parts of the hardening add rate limits: a load test must not meet them
            "LOUISE_RATELIMIT_ENABLED": "false",
            "RATELIMIT_ENABLED": "False",
            "LOUISE_MAX_OPEN_BOOKINGS_PER_DAY": "100000",
            "LOUISE_STOPS_PER_VEHICLE_HOUR": "500",
        }
    )
    return env


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi:app", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 90 s")


def login(base: str, email: str) -> dict[str, str]:
    response = requests.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def build_fixture(base: str, day: date) -> dict[str, Any]:
    """What the locust users need, read through the API as a client would."""
    api = f"{base}/api/v1"
    offers = requests.get(f"{api}/offers?limit=100", timeout=10).json()["items"]
    products = [o["id"] for o in offers if o["kind"] == "product"]
    # bookable windows of the service days after the (planned, published) demo day
    bookable: list[list[Any]] = []
    lat, lon = POSITIONS[0]
    for delta in range(1, 14):
        other = day + timedelta(days=delta)
        for offer_id in products[:4]:
            answer = requests.get(
                f"{api}/slots",
                params={"date": other.isoformat(), "offer_id": offer_id, "lat": lat, "lon": lon},
                timeout=10,
            )
            if answer.status_code != 200:
                continue
            for slot in answer.json()["slots"]:
                if slot["bookable"]:
                    bookable.append([offer_id, other.isoformat(), slot["window"]])
    if not bookable:
        raise RuntimeError("no bookable window found after the demo day")
    couriers = []
    for name in COURIERS:
        email = f"{name}@louise.test"
        routes = requests.get(
            f"{api}/courier/routes",
            params={"date": day.isoformat()},
            headers=login(base, email),
            timeout=10,
        ).json()["routes"]
        stops = [s for r in routes for s in r["stops"]]
        couriers.append(
            {
                "email": email,
                "stops": [s["id"] for s in stops if s["type"] == "delivery"],
                "pickups": [
                    {"id": s["id"], "booking_code": s["booking_code"]}
                    for s in stops
                    if s["type"] == "pickup" and s.get("booking_code")
                ],
            }
        )
    couriers = [c for c in couriers if c["stops"]]
    if not couriers:
        raise RuntimeError("the published plan gives no courier a delivery stop")
    staff = login(base, "dispatch@louise.test")
    bookings = requests.get(
        f"{api}/bookings", params={"date": day.isoformat(), "limit": 100}, headers=staff, timeout=10
    ).json()["items"]
    tracking = [b["tracking_token"] for b in bookings if b.get("tracking_token")]
    if not tracking:
        raise RuntimeError("no tracking token in the demo bookings")
    # access tokens issued now (they last 15 minutes, the run a few): the users' logins
    # (argon2) stay out of the measured phases
    tokens = {
        email: login(base, email)["Authorization"].removeprefix("Bearer ")
        for email in [f"{r[0]}@louise.test" for r in RESIDENTS] + [c["email"] for c in couriers]
    }
    return {
        "day": day.isoformat(),
        "password": PASSWORD,
        "tokens": tokens,
        "residents": [f"{r[0]}@louise.test" for r in RESIDENTS],
        "addresses": [
            {"street": s, "house_number": n, "postcode": p, "city": "Bottrop"}
            for _, s, n, p in RESIDENTS
        ],
        "couriers": couriers,
        "positions": [list(p) for p in POSITIONS],
        "slot_offers": products[:4],
        "bookable": bookable,
        "tracking": tracking,
    }


def run_phase(phase: Phase, base: str, env: dict[str, str], out: Path) -> list[Row]:
    prefix = out / phase.user_class
    server_log = out / "gunicorn.log"
    log_from = server_log.stat().st_size if server_log.exists() else 0
    numbered = re.search(r"\(round (\d+)\)", phase.name)
    env = {**env, "LOUISE_BENCH_ROUND": numbered.group(1) if numbered else "1"}
    import psutil  # the bench extra (the suite imports this module without it)

    cpu_before = psutil.cpu_times()
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "api" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "--loglevel",
            "ERROR",
            "-u",
            str(phase.users),
            "-r",
            str(phase.users),
            "-t",
            f"{phase.seconds}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            phase.user_class,
        ],
        cwd=ROOT,
        env=env,
        check=False,  # locust exits 1 when a request failed: the table shows it
        capture_output=True,
    )
    steal, busy = cpu_share(cpu_before, psutil.cpu_times())
    time.sleep(0.2)  # the last answers' access lines
    with open(server_log, "rb") as file:
        file.seek(log_from)
        lines = file.read().decode("utf-8", "replace").splitlines()
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as file:
        for rec in csv.DictReader(file):
            if rec["Name"] == "login":
                continue
            rows.append(
                Row(
                    phase=phase.name,
                    endpoint=rec["Name"] if rec["Name"] != "Aggregated" else "all",
                    requests=int(rec["Request Count"]),
                    failures=int(rec["Failure Count"]),
                    rps=float(rec["Requests/s"]),
                    p50=float(rec["50%"]),
                    p95=float(rec["95%"]),
                    p99=float(rec["99%"]),
                    steal=steal,
                    busy=busy,
                )
            )
    own = server_durations(lines, [r.endpoint for r in rows if r.endpoint != "all"])
    rows = [replace(r, server_p99=percentile(own.get(r.endpoint, []), 99)) for r in rows]
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        for rec in csv.DictReader(failures.open(encoding="utf-8")):
            print(f"  failures {rec['Method']} {rec['Name']}: {rec['Occurrences']}× {rec['Error']}")
    if phase.user_class != "Mix":
        rows = [r for r in rows if r.endpoint != "all"]
    return rows


def round_of(phase: str) -> str:
    """``"one endpoint (round 2)"`` → ``" (round 2)"``; ``""`` without rounds."""
    found = re.search(r" \(round \d+\)", phase)
    return found.group(0) if found else ""


def table(rows: list[Row], healthz_rps: float) -> str:
    """The rows with each throughput as a ratio to ``/healthz`` of the same round (with
    ``--rounds``) or of the run."""
    per_round = {round_of(r.phase): r.rps for r in rows if r.endpoint == "GET /healthz"}
    lines = [
        "| phase | endpoint | requests | errors | req/s | × /healthz | p50 ms | p95 ms | p99 ms "
        "| server p99 ms | CPU busy % | CPU steal % |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        base = per_round.get(round_of(r.phase), healthz_rps)
        ratio = r.rps / base if base else 0.0
        lines.append(
            f"| {r.phase} | `{r.endpoint}` | {r.requests} | {r.failures} | {r.rps:.0f} | "
            f"{ratio:.2f} | {r.p50:.0f} | {r.p95:.0f} | {r.p99:.0f} | {_ms(r.server_p99)} | "
            f"{_pct(r.busy)} | {_pct(r.steal)} |"
        )
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}" if value >= 1 else f"{value:.1f}"


def write_doc(text: str) -> None:
    marker = "<!-- latest run (written by python -m benchmarks.api.run --write) -->"
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else marker + "\n"
    head = current.split(marker)[0]
    DOC.write_text(head + marker + "\n\n" + text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="length of each phase")
    parser.add_argument(
        "--booking-rate",
        type=int,
        default=BOOKING_RATE,
        help="requests/s of the fixed-rate booking phase (one locust user per request a second)",
    )
    parser.add_argument("--users", type=int, default=USERS, help="locust users (connections)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (default: as deployed, gunicorn.conf.py: one per core)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=WARMUP,
        help="seconds of booking load before the fixed-rate phase, shown as their own row "
        "(0: none)",
    )
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks-api.md")
    parser.add_argument("--label", default="", help="a note for the table's heading")
    parser.add_argument(
        "--db-name",
        default=DB_NAME,
        type=_db_name,
        help="the benchmark's own database (dropped and created; another run in parallel "
        "needs another name)",
    )
    parser.add_argument(
        "--only",
        "--phases",
        nargs="+",
        default=None,
        metavar="PHASE",
        help="run only these phases (Healthz is always run first: the ratios need it): "
        "MerchantById Catalogue Slots Mix BookingRate",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the phases (with /healthz) this many times; each ratio is to the "
        "/healthz of its own round (the machine's load drifts within a run)",
    )
    args = parser.parse_args(argv)
    if not args.db_name.isidentifier():
        parser.error("--db-name: letters, digits and _ only")

    out = Path(tempfile.mkdtemp(prefix="louise-bench-api-"))
    database_url = recreate_database(args.db_name)
    env = server_env(database_url, out)
    print(f"== database {args.db_name}: migrate, seed the demo, plan and publish the demo day")
    flask(env, "migrate")
    # the demo day only, as the figures in docs/benchmarks-api.md were measured: the month of
    # history `make demo` loads (flask seed's default) would change the data and slow the setup
    flask(env, "seed", "--day-file", str(out / "demo-day"), "--history-days", "0")
    day = date.fromisoformat((out / "demo-day").read_text().strip())
    flask(env, "plan-day", "--date", day.isoformat(), "--publish", "--as", "dispatch@louise.test")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            *(["-w", str(args.workers)] if args.workers else []),
            "-b",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=(out / "gunicorn.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(base, server)
        fixture = build_fixture(base, day)
        fixture_path = out / "fixture.json"
        fixture_path.write_text(json.dumps(fixture), encoding="utf-8")
        locust_env = {**env, "LOUISE_BENCH_FIXTURE": str(fixture_path)}
        phases = [
            Phase("baseline", "Healthz", args.users, args.seconds),
            Phase("one endpoint", "MerchantById", args.users, args.seconds),
            Phase("one endpoint", "Catalogue", args.users, args.seconds),
            Phase("one endpoint", "Slots", args.users, args.seconds),
            Phase("mix", "Mix", args.users, 2 * args.seconds),
            Phase(
                f"{args.booking_rate} req/s",
                "BookingRate",
                args.booking_rate,
                args.seconds,
                warmup=args.warmup,
            ),
        ]
        if args.only:
            phases = [p for p in phases if p.user_class == "Healthz" or p.user_class in args.only]
        if args.rounds > 1:
            phases = [
                Phase(f"{p.name} (round {k})", p.user_class, p.users, p.seconds, p.warmup)
                for k in range(1, args.rounds + 1)
                for p in phases
            ]
        rows: list[Row] = []
        for phase in phases:
            if phase.warmup:
                print(f"== {phase.user_class}: {phase.users} users, {phase.warmup} s warm-up")
                first = Phase(f"{phase.name}, warm-up", phase.user_class, phase.users, phase.warmup)
                rows += run_phase(first, base, locust_env, out)
            print(f"== {phase.user_class}: {phase.users} users, {phase.seconds} s")
            rows += run_phase(phase, base, locust_env, out)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    workers = args.workers or os.cpu_count() or 1  # gunicorn.conf.py's default
    healthz = next(r.rps for r in rows if r.endpoint == "GET /healthz")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result = table(rows, healthz)
    heading = f"### {when}{' — ' + args.label if args.label else ''}"
    text = (
        f"{heading}\n\nPostgreSQL, demo day {day}, `gunicorn -w {workers}`, "
        f"locust {args.users} users, {args.seconds} s a phase (the mix {2 * args.seconds} s), "
        f"on {os.cpu_count()} cores shared with the load generator.\n\n{result}\n"
    )
    print()
    print(text)
    if args.write:
        write_doc(text)
    shutil.rmtree(out, ignore_errors=True)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.db_name} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
