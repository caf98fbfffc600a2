"""The web app in a real browser: gunicorn serving the Bottrop demo, Debian's chromium driven
by Playwright (no browser download), axe-core in every page.

One server per test run (the demo seed takes ~25 s): its own database (a SQLite file, or a
schema in the run's PostgreSQL), the clock fixed at Monday 23 November 2026, 10:00 in Bottrop
(before the 14:00 cut-off: a resident can book for today), real argon2, rate limits on.

``LOUISE_SCREENSHOTS=docs/img/web`` makes the tests write their screenshots there, at phone
and desktop width (``make screenshots``; docs/web.md shows them); otherwise they go to a
temporary folder and are only checked to exist.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import requests

from tests.support.database import fresh_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: Monday 23 November 2026, 10:00 in Bottrop: today is bookable, the demo's day is Tuesday.
CLOCK = "2026-11-23T10:00:00+01:00"
DEMO_PASSWORD = "louise-demo"
RESIDENT = "anna.becker@louise.test"
OTHER_RESIDENT = "thomas.wagner@louise.test"
COBBLER = "cobbler@louise.test"
TAILOR = "tailor@louise.test"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: seconds an API call of a test may take on a busy machine
API_TIMEOUT = 60
#: axe-core impacts that fail a page
BLOCKING_IMPACTS = {"serious", "critical"}
#: what a page loads to show itself: none of it may fail
ASSET_TYPES = {"stylesheet", "script", "image", "font", "media"}

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class WebServer:
    url: str
    env: dict[str, str]
    demo_day: str
    log: Path

    def token(self, email: str, password: str = DEMO_PASSWORD) -> str:
        """An API access token of ``email`` (logged in through the live server)."""
        answer = requests.post(
            f"{self.url}/api/v1/auth/login",
            json={"email": email, "password": password},
            timeout=API_TIMEOUT,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def api_get(self, token: str, path: str, **params: Any) -> Any:
        """``GET /api/v1{path}`` as the token's holder; the answer must be 200."""
        answer = requests.get(
            f"{self.url}/api/v1{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=API_TIMEOUT,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def new_resident(self, prefix: str = "resident") -> str:
        """A freshly registered resident's token (demo residents may book only 3 a day)."""
        email = f"{prefix}-{uuid4().hex[:8]}@example.org"
        password = "lang-genug-123"
        answer = requests.post(
            f"{self.url}/api/v1/auth/register",
            json={"email": email, "password": password, "name": "Rita Resident"},
            timeout=API_TIMEOUT,
        )
        assert answer.status_code == 201, answer.text
        return self.token(email, password)

    def flask(self, *args: str) -> str:
        """Run a ``flask`` command against the server's database (e.g. to read state)."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi:app", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """gunicorn (2 workers, 4 threads) with the demo, seeded through the real command."""
    tmp = tmp_path_factory.mktemp("web")
    with fresh_database(tmp, "louise_web") as url:
        env = {
            **os.environ,
            "LOUISE_ENV": "demo",
            "LOUISE_DATABASE_URL": url,
            "LOUISE_CLOCK": CLOCK,
            "LOUISE_SECRET_KEY": secrets.token_urlsafe(48),
            "LOUISE_MAIL_DIR": str(tmp / "mail"),
            "LOUISE_SMS_DIR": str(tmp / "sms"),
            "LOUISE_PLANNING_INLINE": "true",
            "LOUISE_PLANNING_TIME_LIMIT": "2",
            # every test of the run books into the same server, most of them for Monday
            # evening: windows three times as large as the demo's, so none runs full
            "LOUISE_STOPS_PER_VEHICLE_HOUR": "12",
            # the browser tests log in often, all from 127.0.0.1
            "LOUISE_RATELIMIT_LOGIN_IP": "1000/minute",
            "LOUISE_RATELIMIT_LOGIN_ACCOUNT": "1000/minute",
            "LOUISE_RATELIMIT_REGISTER_IP": "1000/hour",
            "LOUISE_LOG_LEVEL": "WARNING",
        }
        env.pop("LOUISE_TEST_DATABASE_URL", None)
        port = _free_port()
        env["LOUISE_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        server = WebServer(f"http://127.0.0.1:{port}", env, "", tmp / "gunicorn.log")
        day_file = tmp / "demo-day"
        server.flask(
            "seed",
            "--history-days",
            "14",
            "--day-file",
            str(day_file),
            "--month-file",
            str(tmp / "demo-month"),
        )
        server.demo_day = day_file.read_text().strip()
        with server.log.open("w") as log:
            process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "-w",
                    "2",
                    "--threads",
                    "4",
                    "-b",
                    f"127.0.0.1:{port}",
                    "--no-control-socket",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                        break
                except requests.RequestException:  # not listening yet, or still booting
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start: " + server.log.read_text()[-3000:])
                time.sleep(0.2)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright."""
    executable = shutil.which("chromium")
    if executable is None:
        if _in_ci():
            pytest.fail("CI needs Debian's chromium for the web app's browser tests")
        pytest.skip("chromium not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@dataclass
class Visit:
    """One browser context (one person's browser) and what it saw."""

    page: Any
    base: str
    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def log_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        self.go("/account/login")
        self.page.get_by_label("E-Mail").fill(email)
        self.page.get_by_label("Passwort").fill(password)
        self.page.get_by_role("button", name="Anmelden").click()
        self.page.wait_for_load_state()
        assert "/account/login" not in self.page.url, "login failed"


@pytest.fixture()
def visit(browser: Any, web_server: WebServer) -> Iterator[Callable[..., Visit]]:
    """``visit(width=PHONE)``: a fresh browser context at that width. After the test, no page
    may have loaded anything from outside the app or logged a console error (a CSP refusal is
    one)."""
    opened: list[tuple[Any, Visit]] = []

    def open_visit(viewport: dict[str, int] = PHONE, **kw: Any) -> Visit:
        context = browser.new_context(viewport=viewport, locale="de-DE", **kw)
        page = context.new_page()
        page.set_default_timeout(15_000)
        seen = Visit(page, web_server.url)

        def on_request(req: Any) -> None:
            if not req.url.startswith((web_server.url, "data:", "about:", "blob:")):
                seen.outside.append(req.url)

        def on_console(message: Any) -> None:
            # a form answered 401/422 is logged as "Failed to load resource": that is the page
            # itself, on purpose; a broken asset is caught by on_response
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                seen.console_errors.append(message.text)

        def on_response(response: Any) -> None:
            if response.request.resource_type in ASSET_TYPES and response.status >= 400:
                seen.console_errors.append(f"{response.status} {response.url}")

        page.on("request", on_request)
        page.on("response", on_response)
        page.on("console", on_console)
        opened.append((context, seen))
        return seen

    yield open_visit
    for context, _ in opened:
        context.close()
    for _, seen in opened:
        assert seen.outside == [], f"loaded from outside the app: {seen.outside}"
        assert seen.console_errors == [], f"console errors: {seen.console_errors}"


def check_accessibility(page: Any) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING_IMPACTS
    ]
    assert blocking == [], f"{page.url}: " + " | ".join(blocking)


SCREENSHOTS_ENV = "LOUISE_SCREENSHOTS"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get(SCREENSHOTS_ENV)
    folder = (ROOT / chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def screenshot(screenshot_dir: Path) -> Callable[[Any, str], Path]:
    """``screenshot(page, "name")``: the whole page as ``name-phone.png`` or
    ``name-desktop.png`` (by the page's width)."""

    def take(page: Any, name: str) -> Path:
        width = page.viewport_size["width"]
        target = screenshot_dir / f"{name}-{'phone' if width < 600 else 'desktop'}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 1000
        if os.environ.get(SCREENSHOTS_ENV):
            # for docs/: 128 colours are plenty for a page and a third of the bytes
            from PIL import Image

            with Image.open(target) as shot:
                small = shot.convert("RGB").quantize(
                    colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
                )
            small.save(target, optimize=True)
        return target

    return take
