"""Matrix providers: haversine by default, OSRM's table service against a local fake server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import numpy as np
import pytest

from louise.routing import HaversineProvider, Location, OsrmProvider, Problem, Task, Vehicle
from louise.routing.matrix import MatrixError, haversine_metres, with_matrices

ESSEN = [(7.0116, 51.4556), (7.0000, 51.5000), (6.9500, 51.5200)]


def test_haversine_matches_a_known_distance() -> None:
    # Essen Hbf → Bottrop Hbf: about 10.2 km as the crow flies
    m = haversine_metres([(7.0146, 51.4513), (6.9300, 51.5135)])
    assert 9_000 < m[0, 1] < 11_500
    assert m[0, 1] == pytest.approx(m[1, 0]) and m[0, 0] == 0


def test_bike_profile_uses_detour_and_speed() -> None:
    m = HaversineProvider().matrices(ESSEN, "bike")
    crow = haversine_metres(ESSEN)
    assert m.distances is not None and m.durations is not None
    assert m.distances[0, 1] == pytest.approx(crow[0, 1] * 1.35, abs=1)
    assert m.durations[0, 1] == pytest.approx(m.distances[0, 1] / (15 / 3.6), abs=1)


def test_with_matrices_indexes_every_location_once() -> None:
    p = Problem(
        vehicles=(
            Vehicle(id=1, start=Location.at(*ESSEN[0]), end=Location.at(*ESSEN[0]), profile="bike"),
        ),
        jobs=(
            Task(id=1, location=Location.at(*ESSEN[1])),
            Task(id=2, location=Location.at(*ESSEN[2])),
        ),
    )
    q = with_matrices(p)
    assert q.matrices["bike"].size == 3
    assert q.vehicles[0].start == q.vehicles[0].end
    assert [j.location.index for j in q.jobs] == [1, 2]


class FakeOsrm(BaseHTTPRequestHandler):
    answer: ClassVar[dict[str, Any]] = {}
    status: ClassVar[int] = 200
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        FakeOsrm.requests.append(self.path)
        body = json.dumps(FakeOsrm.answer).encode()
        if FakeOsrm.answer.get("raw") is not None:
            body = str(FakeOsrm.answer["raw"]).encode()
        self.send_response(FakeOsrm.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def osrm() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeOsrm.status = 200
    FakeOsrm.requests.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_osrm_table_is_read(osrm: str) -> None:
    FakeOsrm.answer = {
        "code": "Ok",
        "durations": [[0, 100.4, 200], [110, 0, 90], [210, 95, 0]],
        "distances": [[0, 1000, 2000], [1100, 0, 900], [2100, 950, 0]],
    }
    m = OsrmProvider(url=osrm, profile_names={"bike": "cycling"}).matrices(ESSEN, "bike")
    assert m.durations is not None and m.distances is not None
    assert m.durations[0, 1] == 101  # seconds rounded up
    assert m.distances[2, 1] == 950
    path = FakeOsrm.requests[0]
    assert path.startswith("/table/v1/cycling/7.011600,51.455600;")
    assert "annotations=duration%2Cdistance" in path


def test_osrm_error_answer_is_reported(osrm: str) -> None:
    FakeOsrm.status = 400
    FakeOsrm.answer = {"code": "InvalidQuery", "message": "Query string malformed"}
    with pytest.raises(MatrixError, match="HTTP 400 InvalidQuery: Query string malformed"):
        OsrmProvider(url=osrm).matrices(ESSEN, "car")


def test_osrm_no_route_and_bad_shapes_are_reported(osrm: str) -> None:
    FakeOsrm.answer = {"code": "Ok", "durations": [[0, None, 1], [1, 0, 1], [1, 1, 0]]}
    with pytest.raises(MatrixError, match="no route from location 0 to 1"):
        OsrmProvider(url=osrm).matrices(ESSEN, "car")
    FakeOsrm.answer = {"code": "Ok", "durations": [[0, 1], [1, 0]]}
    with pytest.raises(MatrixError, match="not 3x3"):
        OsrmProvider(url=osrm).matrices(ESSEN, "car")
    FakeOsrm.answer = {"code": "NoTable", "message": "nope"}
    with pytest.raises(MatrixError, match="NoTable"):
        OsrmProvider(url=osrm).matrices(ESSEN, "car")
    FakeOsrm.answer = {"raw": "<html>gateway</html>"}
    with pytest.raises(MatrixError, match="no valid JSON"):
        OsrmProvider(url=osrm).matrices(ESSEN, "car")


def test_osrm_unreachable_is_reported() -> None:
    with pytest.raises(MatrixError, match="unreachable"):
        OsrmProvider(url="http://127.0.0.1:9", timeout=2).matrices(ESSEN, "car")


def test_osrm_matrices_feed_the_solver(osrm: str) -> None:
    from louise.routing import solve, validate

    FakeOsrm.answer = {
        "code": "Ok",
        "durations": np.full((3, 3), 60.0).tolist(),
        "distances": np.full((3, 3), 500.0).tolist(),
    }
    p = Problem(
        vehicles=(Vehicle(id=1, start=Location.at(*ESSEN[0]), end=Location.at(*ESSEN[0])),),
        jobs=(
            Task(id=1, location=Location.at(*ESSEN[1])),
            Task(id=2, location=Location.at(*ESSEN[2])),
        ),
    )
    provider = OsrmProvider(url=osrm)
    s = solve(p, time_limit=0.5, matrix_provider=provider)
    assert validate(with_matrices(p, provider), s).ok
    assert s.summary.duration == 180
