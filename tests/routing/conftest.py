"""Tiny named instances on a line: location i is i km from the depot (index 0), 60 s per km."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from louise.routing import Location, Problem, ProfileMatrices, Shipment, Task, TimeWindow, Vehicle

DATA = Path(__file__).parent / "data"
N = 12  # locations 0..11


#: tiny problems stop by count, not by the clock (their time limit is only a safety net)
ITERATIONS = 30


def line_matrices(n: int = N, seconds_per_km: float = 60.0) -> ProfileMatrices:
    pos = np.arange(n, dtype=float)
    km = np.abs(pos[:, None] - pos[None, :])
    return ProfileMatrices(durations=km * seconds_per_km, distances=km * 1000)


def at(i: int) -> Location:
    return Location(index=i)


def job(id: int, loc: int, *, windows: Sequence[tuple[float, float]] = (), **kw: object) -> Task:
    return Task(
        id=id,
        location=at(loc),
        time_windows=tuple(TimeWindow(a, b) for a, b in windows),
        **kw,  # type: ignore[arg-type]
    )


def shipment(id: int, frm: int, to: int, amount: Sequence[float] = (), **kw: object) -> Shipment:
    return Shipment(pickup=job(id, frm), delivery=job(id, to), amount=tuple(amount), **kw)  # type: ignore[arg-type]


def vehicle(id: int, **kw: object) -> Vehicle:
    kw.setdefault("start", at(0))
    kw.setdefault("end", at(0))
    return Vehicle(id=id, **kw)  # type: ignore[arg-type]


def problem(
    vehicles: Sequence[Vehicle],
    jobs: Sequence[Task] = (),
    shipments: Sequence[Shipment] = (),
    profiles: Sequence[str] = ("car",),
) -> Problem:
    return Problem(
        vehicles=tuple(vehicles),
        jobs=tuple(jobs),
        shipments=tuple(shipments),
        matrices={p: line_matrices() for p in profiles},
    )


@pytest.fixture
def data_dir() -> Path:
    return DATA
