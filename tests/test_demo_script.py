"""`make demo` end to end (scripts/demo.sh in a copy of the project folder): it serves the API,
mails reach the folder while it runs, its settings work from a second shell, and stopping it
stops everything it started."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.prefix) / "bin"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("bash") is None or not (BIN / "gunicorn").exists(),
        reason="needs bash and gunicorn in the venv",
    ),
    # the demo always runs on its own embedded SQLite file, whatever database the suite uses
    pytest.mark.skipif(
        bool(os.environ.get("LOUISE_TEST_DATABASE_URL")),
        reason="the demo runs on its embedded SQLite: checked once, in the SQLite pass",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A folder that looks like the project (links), so the demo writes its database, mails
    and sheets there and not into the working tree."""
    for name in ("scripts", "louise", "migrations", "wsgi.py", "alembic.ini"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def test_demo_serves_delivers_mail_while_running_and_stops_cleanly(project: Path) -> None:
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(project)),
        "VENV": sys.prefix,
        "PORT": str(port),
        "MAIL_EVERY": "0.5",
        "LOUISE_PLANNING_TIME_LIMIT": "1",
        "DEMO_HISTORY_DAYS": "3",  # a short history: the full month takes about 90 s
    }
    log = (project / "demo.log").open("w")
    demo = subprocess.Popen(
        ["bash", "scripts/demo.sh"],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            assert demo.poll() is None, (project / "demo.log").read_text()
            try:
                return _call(f"{base}/healthz")[0] == 200
            except OSError:
                return False

        _wait_for(healthy, 240, "/healthz")
        mail = project / "demo-out" / "mail"
        day = (project / "demo-out" / "demo-day").read_text().strip()
        printed = (project / "demo.log").read_text()
        assert f"Demo day: {day}" in printed
        # the web app: its address and a resident's and a shop's login are printed, and it answers
        assert f"Web app:  {base}/" in printed
        assert "resident: anna.becker@louise.test   shop: cobbler@louise.test" in printed
        assert "dispatcher: dispatch@louise.test   courier: jonas.nowak@louise.test" in printed
        assert "city: stadt@louise.test" in printed
        with urllib.request.urlopen(f"{base}/", timeout=30) as start_page:
            assert start_page.status == 200
            assert "Bis 14:00 Uhr bestellt" in start_page.read().decode("utf-8")

        # the first printed resident books while the demo runs: her confirmation arrives
        status, tokens = _call(
            f"{base}/api/v1/auth/login",
            {"email": "anna.becker@louise.test", "password": "louise-demo"},
        )
        assert status == 200, tokens
        status, offers = _call(f"{base}/api/v1/offers?q=Ruhrpott")
        offer = offers["items"][0]["id"]
        status, slots = _call(
            f"{base}/api/v1/slots?date={day}&offer_id={offer}&lat=51.5237&lon=6.9352"
        )
        window = next(s["window"] for s in slots["slots"] if s["bookable"])
        before = set(mail.glob("*-confirmation.eml"))
        status, booking = _call(
            f"{base}/api/v1/bookings",
            {
                "offer_id": offer,
                "date": day,
                "window": window,
                "address": {
                    "street": "Hansastraße",
                    "house_number": "20",
                    "postcode": "46236",
                    "city": "Bottrop",
                },
            },
            tokens["access_token"],
        )
        assert status == 201, booking
        new = _wait_for(
            lambda: set(mail.glob("*-confirmation.eml")) - before, 30, "the confirmation mail"
        )
        assert booking["code"] in next(iter(new)).read_text()

        # the hotline books for a caller, reads the link back and sends it by SMS
        status, staff = _call(
            f"{base}/api/v1/auth/login",
            {"email": "dispatch@louise.test", "password": "louise-demo"},
        )
        assert status == 200, staff
        status, hotline = _call(
            f"{base}/api/v1/bookings",
            {
                "offer_id": offer,
                "date": day,
                "window": window,
                "address": {"lat": 51.5237, "lon": 6.9352},
                "customer": {"name": "Erika Brandt", "phone": "02041 55 66 77"},
            },
            staff["access_token"],
        )
        assert status == 201, hotline
        assert hotline["tracking_url"] == f"{base}/track/{hotline['tracking_token']}"
        status, sms = _call(
            f"{base}/api/v1/bookings/{hotline['id']}/tracking-link",
            {"phone": "0171 2233441"},
            staff["access_token"],
        )
        assert status == 202, sms
        sms_file = project / "demo-out" / "sms" / f"{sms['id']}-tracking_link.sms.txt"
        _wait_for(sms_file.exists, 30, "the SMS file")
        assert hotline["tracking_url"] in sms_file.read_text("utf-8")

        # the demo's settings, from a second shell in another folder
        elsewhere = project / "elsewhere"
        elsewhere.mkdir()
        second = subprocess.run(
            [
                "bash",
                "-c",
                'source "$1" && "$2/flask" send-notifications --batch 1',
                "bash",
                str(project / "demo-out" / "demo.env"),
                str(BIN),
            ],
            cwd=elsewhere,
            env={"PATH": env["PATH"], "HOME": env["HOME"]},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode == 0, second.stderr
        assert f"(to {mail}); SMS: {project / 'demo-out' / 'sms'}" in second.stdout
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGTERM)
        try:
            code = demo.wait(timeout=60)
        finally:
            log.close()
            if _group_alive(demo.pid):
                os.killpg(demo.pid, signal.SIGKILL)
    assert code == 143
    # the sender and gunicorn (master and workers) went with it
    time.sleep(1)
    assert not _group_alive(demo.pid)
