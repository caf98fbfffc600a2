"""Headless Chromium for page tests: the ``chromium`` fixture starts browsers driven over the
DevTools protocol (``DevTools``); without Debian's chromium the test skips, and fails in CI.
Moved here from tests/dispatch/test_sheets.py so that the route sheet and the API docs page
share it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from select import select as fd_select
from typing import Any

import pytest

CHROMIUM = os.environ.get("LOUISE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _above_four(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe (no port, no websocket,
    no extra dependency): NUL-terminated JSON messages on file descriptors 3 and 4."""

    def __init__(self, binary: str, profile: Path) -> None:
        cmd_read, self._cmd = os.pipe()
        self._events, ev_write = os.pipe()
        # above 4, so that moving them onto 3 and 4 cannot overwrite one with the other
        cmd_read, ev_write = _above_four(cmd_read), _above_four(ev_write)
        args = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # the browser expects its pipe on fds 3 and 4: a tiny Python trampoline puts it there
        # (no shell: dash cannot redirect descriptors above 9)
        trampoline = (
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.execv(sys.argv[3], sys.argv[3:])"
        )
        self.log = profile / "chromium.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", trampoline, str(cmd_read), str(ev_write), *args],
                pass_fds=(cmd_read, ev_write),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        os.close(cmd_read)
        os.close(ev_write)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def call(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._cmd, json.dumps(message).encode() + b"\0")
        answer = self.wait(lambda m: m.get("id") == self._next, **kw)
        assert "error" not in answer, answer
        return answer.get("result", {})

    def wait(self, matches: Callable[[dict[str, Any]], bool], timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if matches(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = fd_select([self._events], [], [], left)
            if ready:
                chunk = os.read(self._events, 1 << 16)
                if not chunk:
                    log = self.log.read_text(errors="replace")[-2000:]
                    raise EOFError(f"Chromium closed the DevTools pipe:\n{log}")
                self._buffer += chunk

    def open(self, url: str, width: int = 1400, height: int = 1000) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.call("Page.navigate", {"url": url})
        self.wait(lambda m: m.get("method") == "Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})[
            "result"
        ].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads reported by the page."""
        self.evaluate("1")  # a round trip: every event of the load has arrived before it
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(f"{details.get('text')} {details.get('exception', {})}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry']['source']}: {params['entry']['text']}")
        return found

    def screenshot(self) -> bytes:
        import base64

        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])

    def close(self) -> None:
        with contextlib.suppress(EOFError, TimeoutError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd)
        os.close(self._events)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture()
def chromium(tmp_path: Path) -> Iterator[Callable[[], DevTools]]:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        if _in_ci():
            pytest.fail(f"CI needs Debian's chromium at {CHROMIUM} for the route-sheet test")
        pytest.skip(f"chromium not installed ({CHROMIUM}); apt-get install chromium")
    opened: list[DevTools] = []

    def start() -> DevTools:
        browser = DevTools(CHROMIUM, Path(tempfile.mkdtemp(dir=tmp_path, prefix="profile-")))
        opened.append(browser)
        return browser

    yield start
    for browser in opened:
        browser.close()
