"""The longer fuzzing run: schemathesis (its CLI) against a real server, as each role.

    python -m benchmarks.api.fuzz                         # starts its own server (below)
    python -m benchmarks.api.fuzz --max-examples 200
    python -m benchmarks.api.fuzz --url http://127.0.0.1:5000   # a running `make demo`
    python -m benchmarks.api.fuzz --acceptance            # also: valid data is accepted

Without ``--url`` it loads the Bottrop demo into a fresh SQLite database and starts gunicorn
(2 workers) on a free port, as ``make demo`` does (without planning and mail). Each role logs
in with its demo account (``louise.demo.data``) and runs ``schemathesis run`` on
``/api/openapi.json``: the examples and fuzzing phases, valid and invalid data, a fixed seed,
``--max-examples`` cases per operation, and the checks of ``tests/fuzz`` (no 5xx; status
code, content type, body schema and headers as documented). ``--acceptance`` adds
schemathesis' ``positive_data_acceptance`` (data the document allows is not refused with a
4xx other than 401/403/404/409), which domain rules (a full slot, a closed day) can break
legitimately: read its findings, do not gate on them.

It prints, per role, the operations and cases run, the failures and the seconds taken, and
keeps schemathesis' JUnit reports in ``--report-dir``. The exit status is 1 when any role
failed. ``make bench-fuzz`` runs it with its defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEED = 20261123
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]


def demo_logins() -> dict[str, str]:
    """The first demo account of each role (they own demo shops, bookings and routes)."""
    from louise.demo.data import ADMIN_EMAIL, COURIERS, DEMO_DOMAIN, RESIDENTS, SHOPS

    return {
        "customer": f"{RESIDENTS[0][1]}@{DEMO_DOMAIN}",
        "merchant": f"{SHOPS[0].key}@{DEMO_DOMAIN}",
        "courier": f"{COURIERS[0][1]}@{DEMO_DOMAIN}",
        "dispatcher": f"dispatch@{DEMO_DOMAIN}",
        "admin": ADMIN_EMAIL,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@contextmanager
def demo_server(workdir: Path) -> Iterator[str]:
    """A fresh demo database and gunicorn on a free port; stopped afterwards."""
    from louise import create_app
    from louise.cli import migrate_database
    from louise.demo.seed import seed_demo
    from louise.extensions import db

    url = f"sqlite:///{workdir / 'fuzz-demo.sqlite3'}"
    env = {
        **os.environ,
        "LOUISE_ENV": "demo",
        "LOUISE_DATABASE_URL": url,
        "LOUISE_SECRET_KEY": secrets.token_urlsafe(48),
        "LOUISE_ACCESS_TOKEN_MINUTES": "240",  # one token lasts a long run
        "LOUISE_RATELIMIT_ENABLED": "false",  # rate limits would answer 429 to a fuzzer
        "LOUISE_UPLOAD_DIR": str(workdir / "uploads"),
        "LOUISE_MAIL_DIR": str(workdir / "mail"),
    }
    migrate_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": env["LOUISE_SECRET_KEY"]})
    with app.app_context():
        session = db.session()
        seed_demo(session, app.config, datetime.now(UTC))
        session.commit()
        db.session.remove()
    db.engine_for(app).dispose()
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "gunicorn.log", "w"),  # noqa: SIM115 (closed with the process)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def login(base: str, email: str, password: str) -> str:
    body = json.dumps({"email": email, "password": password}).encode()
    request = urllib.request.Request(
        base + "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return str(json.load(answer)["access_token"])


def run_role(
    base: str, role: str, token: str | None, args: argparse.Namespace, report_dir: Path
) -> dict[str, Any]:
    junit = report_dir / f"fuzz-{role}.xml"
    checks = [*CHECKS, "positive_data_acceptance"] if args.acceptance else CHECKS
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{base}/api/openapi.json",
        "--phases=examples,fuzzing",
        "--mode=all",
        f"--max-examples={args.max_examples}",
        f"--seed={SEED}",
        "--generation-deterministic",
        f"--checks={','.join(checks)}",
        "--continue-on-failure",
        "--no-color",
        "--report=junit",
        f"--report-junit-path={junit}",
        f"--workers={args.workers}",
    ]
    if token is not None:
        command += ["-H", f"Authorization: Bearer {token}"]
    started = time.perf_counter()
    # schemathesis keeps a cache in .schemathesis/ of its working folder: keep it with the reports
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=report_dir.resolve()
    )
    seconds = time.perf_counter() - started
    (report_dir / f"fuzz-{role}.txt").write_text(done.stdout + done.stderr)
    operations = failed = 0
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            operations += 1
            failed += int(case.find("failure") is not None or case.find("error") is not None)
    cases = _cases_from(done.stdout)
    mismatched = _mismatches(done.stdout)
    return {
        "mismatched": ", ".join(mismatched) or "-",
        "role": role,
        "operations": operations,
        "cases": cases,
        "failed": failed,
        "seconds": round(seconds, 1),
        "exit": done.returncode,
    }


def _cases_from(output: str) -> int:
    """The case count of schemathesis' summary ('  214 generated, 214 passed')."""
    for line in reversed(output.splitlines()):
        words = line.replace(",", " ").split()
        if len(words) >= 2 and words[1] == "generated" and words[0].isdigit():
            return int(words[0])
    return -1


def _mismatches(output: str) -> list[str]:
    """The operations schemathesis names under 'Schema validation mismatch'."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Schema validation mismatch"):
            found = []
            for item in lines[i + 2 :]:
                if not item.strip().startswith("- "):
                    break
                found.append(item.strip()[2:])
            return found
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running louise, e.g. http://127.0.0.1:5000 (make demo)")
    parser.add_argument("--max-examples", type=int, default=100, help="per operation and role")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--roles", nargs="+", default=["anonymous", *demo_logins()], help="default: all"
    )
    parser.add_argument("--password", default=None, help="default: the demo password")
    parser.add_argument("--acceptance", action="store_true", help="add positive_data_acceptance")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "demo-out" / "fuzz")
    args = parser.parse_args(argv)
    from louise.demo.data import DEMO_PASSWORD

    args.report_dir = args.report_dir.resolve()
    args.report_dir.mkdir(parents=True, exist_ok=True)
    logins = demo_logins()
    with tempfile.TemporaryDirectory(prefix="louise-fuzz-") as tmp:
        server = nullserver(args.url) if args.url else demo_server(Path(tmp))
        with server as base:
            print(f"fuzzing {base} — {args.max_examples} cases per operation, seed {SEED}")
            print(f"{'role':<11} {'operations':>10} {'cases':>7} {'failed':>6} {'seconds':>8}")
            results = []
            for role in args.roles:
                token = None
                if role != "anonymous":
                    token = login(base, logins[role], args.password or DEMO_PASSWORD)
                row = run_role(base, role, token, args, args.report_dir)
                results.append(row)
                print(
                    f"{role:<11} {row['operations']:>10} {row['cases']:>7} "
                    f"{row['failed']:>6} {row['seconds']:>8}",
                    flush=True,
                )
    print("operations that mostly refused data the document allows (schemathesis' warning):")
    for row in results:
        print(f"  {row['role']}: {row['mismatched']}")
    print(f"reports: {args.report_dir} (fuzz-<role>.txt: schemathesis' output, with curl lines)")
    return 1 if any(row["failed"] or row["exit"] for row in results) else 0


@contextmanager
def nullserver(url: str) -> Iterator[str]:
    yield url.rstrip("/")


if __name__ == "__main__":
    sys.exit(main())
