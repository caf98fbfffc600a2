"""Travel matrices: a haversine default and an OSRM ``table`` provider.

``with_matrices(problem, provider)`` returns the same problem with every location given an
index and one matrix set per vehicle profile. Problems that already carry matrices are
returned unchanged.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from louise.routing.problem import (
    FloatMatrix,
    Location,
    Problem,
    ProblemError,
    ProfileMatrices,
    Shipment,
    Task,
    Vehicle,
)

EARTH_RADIUS_M = 6_371_000.0


class MatrixError(ProblemError):
    """The matrix provider failed or answered something unusable."""


@dataclass(frozen=True)
class ProfileSpeed:
    """How a profile moves: average speed and the detour of real streets over the crow's line."""

    speed_kmh: float
    detour: float = 1.35

    def __post_init__(self) -> None:
        if not self.speed_kmh > 0 or not self.detour >= 1:
            raise ProblemError("a profile needs speed_kmh > 0 and detour >= 1")


DEFAULT_SPEEDS: Mapping[str, ProfileSpeed] = {
    "bike": ProfileSpeed(15.0, 1.35),
    "ecar": ProfileSpeed(25.0, 1.35),
    "car": ProfileSpeed(25.0, 1.35),
}


class MatrixProvider(Protocol):
    def matrices(
        self, coordinates: Sequence[tuple[float, float]], profile: str
    ) -> ProfileMatrices: ...


def haversine_metres(coordinates: Sequence[tuple[float, float]]) -> FloatMatrix:
    """Great-circle distances in metres between all ``(lon, lat)`` pairs (vectorised)."""
    coords = np.radians(np.asarray(coordinates, dtype=np.float64).reshape(-1, 2))
    lon, lat = coords[:, 0], coords[:, 1]
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    result: FloatMatrix = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


@dataclass(frozen=True)
class HaversineProvider:
    """Crow-flight distance × detour, divided by the profile's speed; whole seconds and metres."""

    speeds: Mapping[str, ProfileSpeed] = field(default_factory=lambda: dict(DEFAULT_SPEEDS))
    default: ProfileSpeed = ProfileSpeed(25.0, 1.35)

    def matrices(self, coordinates: Sequence[tuple[float, float]], profile: str) -> ProfileMatrices:
        speed = self.speeds.get(profile, self.default)
        metres = haversine_metres(coordinates) * speed.detour
        seconds = metres / (speed.speed_kmh / 3.6)
        return ProfileMatrices(durations=np.ceil(seconds), distances=np.rint(metres))


@dataclass(frozen=True)
class OsrmProvider:
    """Asks an OSRM-compatible ``table`` service (``{url}/table/v1/{profile}/{lon,lat;...}``)."""

    url: str = "http://127.0.0.1:5000"
    timeout: float = 30.0
    profile_names: Mapping[str, str] = field(default_factory=dict)

    def matrices(self, coordinates: Sequence[tuple[float, float]], profile: str) -> ProfileMatrices:
        osrm_profile = self.profile_names.get(profile, profile)
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in coordinates)
        query = urllib.parse.urlencode({"annotations": "duration,distance"})
        url = f"{self.url.rstrip('/')}/table/v1/{urllib.parse.quote(osrm_profile)}/{coords}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = _osrm_message(exc.read())
            raise MatrixError(f"OSRM table request failed: HTTP {exc.code} {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise MatrixError(f"OSRM table service unreachable at {self.url}: {exc}") from exc
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MatrixError("OSRM table service answered no valid JSON") from exc
        if not isinstance(data, dict) or data.get("code") != "Ok":
            raise MatrixError(f"OSRM table request failed: {_osrm_message(body)}")
        n = len(coordinates)
        durations = _osrm_matrix(data.get("durations"), n, "durations")
        distances = (
            _osrm_matrix(data.get("distances"), n, "distances") if "distances" in data else None
        )
        return ProfileMatrices(durations=np.ceil(durations), distances=distances)


def _osrm_message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body[:200].decode("utf-8", "replace")
    if isinstance(data, dict):
        return f"{data.get('code', '?')}: {data.get('message', '')}".strip()
    return str(data)[:200]


def _osrm_matrix(value: object, n: int, name: str) -> FloatMatrix:
    if not isinstance(value, list) or len(value) != n:
        raise MatrixError(f"OSRM answer: '{name}' is missing or not {n}x{n}")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != n:
            raise MatrixError(f"OSRM answer: '{name}' row {i} is not of length {n}")
        for j, x in enumerate(row):
            if x is None:
                raise MatrixError(f"OSRM answer: no route from location {i} to {j} ({name})")
            if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                raise MatrixError(f"OSRM answer: '{name}'[{i}][{j}] is not a number")
        rows.append([float(x) for x in row])
    return np.asarray(rows, dtype=np.float64)


def with_matrices(problem: Problem, provider: MatrixProvider | None = None) -> Problem:
    """The problem with location indices and per-profile matrices (computed from coordinates)."""
    if problem.has_matrices:
        return problem
    provider = provider or HaversineProvider()
    coordinates: list[tuple[float, float]] = []
    index_of: dict[tuple[float, float], int] = {}

    def indexed(loc: Location | None) -> Location | None:
        if loc is None:
            return None
        assert loc.coordinates is not None  # Problem guarantees coordinates without matrices
        if loc.coordinates not in index_of:
            index_of[loc.coordinates] = len(coordinates)
            coordinates.append(loc.coordinates)
        return Location(index=index_of[loc.coordinates], coordinates=loc.coordinates)

    def task(t: Task) -> Task:
        loc = indexed(t.location)
        assert loc is not None
        return replace(t, location=loc)

    vehicles: list[Vehicle] = [
        replace(v, start=indexed(v.start), end=indexed(v.end)) for v in problem.vehicles
    ]
    jobs = [task(j) for j in problem.jobs]
    shipments = [
        Shipment(
            pickup=task(s.pickup),
            delivery=task(s.delivery),
            amount=s.amount,
            skills=s.skills,
            priority=s.priority,
        )
        for s in problem.shipments
    ]
    profiles = sorted({v.profile for v in vehicles})
    matrices = {p: provider.matrices(coordinates, p) for p in profiles}
    return Problem(vehicles=vehicles, jobs=jobs, shipments=shipments, matrices=matrices)
