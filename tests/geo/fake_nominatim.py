"""A tiny Nominatim stand-in: ``http.server`` in a thread on 127.0.0.1, scripted per test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HANSA_12 = [
    {
        "place_id": 1,
        "lat": "51.5241",
        "lon": "6.9312",
        "display_name": "12, Hansastraße, Stadtmitte, Bottrop, 46236, Deutschland",
        "address": {
            "house_number": "12",
            "road": "Hansastraße",
            "suburb": "Stadtmitte",
            "city": "Bottrop",
            "postcode": "46236",
            "country_code": "de",
        },
    }
]


@dataclass
class FakeNominatim:
    """What the server answers next: ``mode`` is ok | empty | error500 | malformed | slow."""

    mode: str = "ok"
    body: Any = field(default_factory=lambda: HANSA_12)
    delay_s: float = 2.0
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"


def _handler(fake: FakeNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            fake.paths.append(parts.path)
            fake.requests.append(parse_qs(parts.query))
            fake.user_agents.append(self.headers.get("User-Agent", ""))
            if fake.mode == "slow":
                time.sleep(fake.delay_s)
                self._send(200, json.dumps(fake.body).encode())
            elif fake.mode == "error500":
                self._send(500, b"<html>Internal Server Error</html>", "text/html")
            elif fake.mode == "malformed":
                self._send(200, b'[{"lat": "51.52", "lon": ')
            elif fake.mode == "empty":
                self._send(200, b"[]")
            else:
                self._send(200, json.dumps(fake.body).encode())

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_fake_nominatim() -> Iterator[FakeNominatim]:
    fake = FakeNominatim()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="fake-nominatim", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
