"""The routing problem: frozen value objects, validated on construction.

The model follows VROOM's input format (see docs/routing.md): vehicles with a start and
an end, single jobs and paired shipments (pickup, then delivery by the same vehicle),
capacities in several dimensions, time windows, breaks and skills. Times are in seconds and
distances in metres unless a caller chooses other units consistently (the Li & Lim
benchmark uses scaled units); every number may be a float, the solver rounds conservatively.

Build a problem either from VROOM JSON (``Problem.from_vroom``) or in Python::

    Problem(
        vehicles=[Vehicle(id=1, start=Location.at(6.92, 51.52), capacity=(200, 100))],
        shipments=[Shipment(
            pickup=Task(id=10, location=Location.at(6.93, 51.53), service=120),
            delivery=Task(id=10, location=Location.at(6.94, 51.51), service=120,
                          time_windows=(TimeWindow(63000, 72000),)),
            amount=(30, 5))],
    )
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]

DEFAULT_PROFILE = "car"


class ProblemError(ValueError):
    """The problem is malformed or inconsistent (a clear message, never a traceback)."""


def _tuple_of_numbers(values: Iterable[float], what: str) -> tuple[float, ...]:
    out: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProblemError(f"{what}: expected numbers, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ProblemError(f"{what}: values must be finite and >= 0, got {value!r}")
        out.append(value)
    return tuple(out)


def _non_negative(value: float | None, what: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProblemError(f"{what}: expected a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ProblemError(f"{what} must be finite and >= 0, got {value!r}")


@dataclass(frozen=True)
class Location:
    """A place: a row of the profile matrices (``index``), coordinates ``(lon, lat)``, or both."""

    index: int | None = None
    coordinates: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.index is None and self.coordinates is None:
            raise ProblemError("a location needs an index or coordinates")
        if self.index is not None and (
            isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0
        ):
            raise ProblemError(f"location index must be an integer >= 0, got {self.index!r}")
        if self.coordinates is not None:
            coords = tuple(self.coordinates)
            if len(coords) != 2 or not all(
                isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
                for c in coords
            ):
                raise ProblemError(f"coordinates must be [lon, lat], got {self.coordinates!r}")
            lon, lat = float(coords[0]), float(coords[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ProblemError(f"coordinates out of range (expected [lon, lat]): {coords!r}")
            object.__setattr__(self, "coordinates", (lon, lat))

    @classmethod
    def at(cls, lon: float, lat: float) -> Location:
        """A location given by coordinates (VROOM order: longitude first)."""
        return cls(coordinates=(lon, lat))

    @classmethod
    def of(cls, index: int) -> Location:
        """A location given by its row in the matrices."""
        return cls(index=index)


@dataclass(frozen=True)
class TimeWindow:
    """An inclusive interval ``[start, end]`` for the start of a task (or break)."""

    start: float
    end: float

    def __post_init__(self) -> None:
        _non_negative(self.start, "time window start")
        _non_negative(self.end, "time window end")
        if self.start > self.end:
            raise ProblemError(f"time window [{self.start}, {self.end}] ends before it starts")

    def contains(self, t: float, tol: float = 0.0) -> bool:
        return self.start - tol <= t <= self.end + tol


def _windows(values: Iterable[TimeWindow], what: str) -> tuple[TimeWindow, ...]:
    out = tuple(values)
    for tw in out:
        if not isinstance(tw, TimeWindow):
            raise ProblemError(f"{what}: expected TimeWindow objects, got {tw!r}")
    ordered = sorted(out, key=lambda w: w.start)
    for a, b in itertools.pairwise(ordered):
        if b.start <= a.end:
            raise ProblemError(f"{what}: time windows overlap ({a.start}-{a.end}, {b.start})")
    return tuple(ordered)


@dataclass(frozen=True)
class Break:
    """A break of ``service`` seconds starting inside one of its time windows."""

    id: int
    time_windows: tuple[TimeWindow, ...]
    service: float = 0
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "time_windows", _windows(self.time_windows, f"break {self.id}"))
        if not self.time_windows:
            raise ProblemError(f"break {self.id} needs at least one time window")
        _non_negative(self.service, f"break {self.id} service")


@dataclass(frozen=True)
class Costs:
    """VROOM vehicle costs: ``fixed`` per used vehicle, per hour of travel, per km."""

    fixed: float = 0
    per_hour: float = 3600
    per_km: float = 0

    def __post_init__(self) -> None:
        for name in ("fixed", "per_hour", "per_km"):
            _non_negative(getattr(self, name), f"costs.{name}")


@dataclass(frozen=True)
class Vehicle:
    """A vehicle (a courier's shift): where it starts and ends, what it can carry and do."""

    id: int
    start: Location | None = None
    end: Location | None = None
    profile: str = DEFAULT_PROFILE
    capacity: tuple[float, ...] = ()
    skills: frozenset[int] = frozenset()
    time_window: TimeWindow | None = None
    breaks: tuple[Break, ...] = ()
    max_tasks: int | None = None
    max_travel_time: float | None = None
    max_distance: float | None = None
    speed_factor: float = 1.0
    costs: Costs = field(default_factory=Costs)
    description: str = ""

    def __post_init__(self) -> None:
        if self.start is None and self.end is None:
            raise ProblemError(f"vehicle {self.id}: needs a start or an end")
        object.__setattr__(
            self, "capacity", _tuple_of_numbers(self.capacity, f"vehicle {self.id} capacity")
        )
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "breaks", tuple(self.breaks))
        if len({b.id for b in self.breaks}) != len(self.breaks):
            raise ProblemError(f"vehicle {self.id}: duplicate break ids")
        if self.max_tasks is not None and (
            not isinstance(self.max_tasks, int) or self.max_tasks < 0
        ):
            raise ProblemError(f"vehicle {self.id}: max_tasks must be an integer >= 0")
        _non_negative(self.max_travel_time, f"vehicle {self.id} max_travel_time")
        _non_negative(self.max_distance, f"vehicle {self.id} max_distance")
        _non_negative(self.speed_factor, f"vehicle {self.id} speed_factor")
        if not 0 < self.speed_factor <= 5:
            raise ProblemError(f"vehicle {self.id}: speed_factor must be in (0, 5]")


@dataclass(frozen=True)
class Task:
    """One visit: a single job, or the pickup or delivery step of a shipment.

    ``delivery`` and ``pickup`` are the amounts a single job drops off or collects; shipment
    steps carry no amounts (the shipment's ``amount`` moves from pickup to delivery).
    """

    id: int
    location: Location
    setup: float = 0
    service: float = 0
    delivery: tuple[float, ...] = ()
    pickup: tuple[float, ...] = ()
    skills: frozenset[int] = frozenset()
    priority: int = 0
    time_windows: tuple[TimeWindow, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.location, Location):
            raise ProblemError(f"task {self.id}: location must be a Location")
        _non_negative(self.setup, f"task {self.id} setup")
        _non_negative(self.service, f"task {self.id} service")
        object.__setattr__(
            self, "delivery", _tuple_of_numbers(self.delivery, f"task {self.id} delivery")
        )
        object.__setattr__(self, "pickup", _tuple_of_numbers(self.pickup, f"task {self.id} pickup"))
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(
            self, "time_windows", _windows(self.time_windows, f"task {self.id} time_windows")
        )
        if not isinstance(self.priority, int) or not 0 <= self.priority <= 100:
            raise ProblemError(f"task {self.id}: priority must be an integer in [0, 100]")


Job = Task
ShipmentStep = Task


@dataclass(frozen=True)
class Shipment:
    """A pickup and its delivery: same vehicle, pickup first, ``amount`` carried in between."""

    pickup: Task
    delivery: Task
    amount: tuple[float, ...] = ()
    skills: frozenset[int] = frozenset()
    priority: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "amount", _tuple_of_numbers(self.amount, f"shipment {self.pickup.id} amount")
        )
        object.__setattr__(self, "skills", frozenset(self.skills))
        if not isinstance(self.priority, int) or not 0 <= self.priority <= 100:
            raise ProblemError(f"shipment {self.pickup.id}: priority must be in [0, 100]")


@dataclass(frozen=True, eq=False)
class ProfileMatrices:
    """Square matrices for one profile: travel ``durations``, ``distances`` and ``costs``."""

    durations: FloatMatrix | None = None
    distances: FloatMatrix | None = None
    costs: FloatMatrix | None = None

    def __post_init__(self) -> None:
        size: int | None = None
        for name in ("durations", "distances", "costs"):
            raw = getattr(self, name)
            if raw is None:
                continue
            try:
                arr = np.array(raw, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ProblemError(f"matrix {name}: not a matrix of numbers") from exc
            if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
                raise ProblemError(f"matrix {name}: must be square, got shape {arr.shape}")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ProblemError(f"matrix {name}: values must be finite and >= 0")
            if size is not None and arr.shape[0] != size:
                raise ProblemError(
                    f"matrix {name}: size {arr.shape[0]} differs from the other matrices ({size})"
                )
            size = arr.shape[0]
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if size is None:
            raise ProblemError("a profile's matrices need at least one of durations/distances")

    @property
    def size(self) -> int:
        for arr in (self.durations, self.distances, self.costs):
            if arr is not None:
                return int(arr.shape[0])
        return 0


@dataclass(frozen=True, eq=False)
class Problem:
    """Vehicles, jobs and shipments, plus optional matrices per vehicle profile.

    Without matrices every location needs coordinates; ``louise.routing.matrix`` fills them
    (``with_matrices``). With matrices every location needs an index into them.
    """

    vehicles: Sequence[Vehicle]
    jobs: Sequence[Task] = ()
    shipments: Sequence[Shipment] = ()
    matrices: Mapping[str, ProfileMatrices] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "jobs", tuple(self.jobs))
        object.__setattr__(self, "shipments", tuple(self.shipments))
        object.__setattr__(self, "matrices", dict(self.matrices))
        if not self.vehicles:
            raise ProblemError("the problem has no vehicles")
        self._check_ids()
        self._check_amounts()
        self._check_locations()

    # -- validation -------------------------------------------------------------------------
    def _check_ids(self) -> None:
        def unique(ids: list[int], what: str) -> None:
            seen: set[int] = set()
            for i in ids:
                if isinstance(i, bool) or not isinstance(i, int):
                    raise ProblemError(f"{what} id must be an integer, got {i!r}")
                if i in seen:
                    raise ProblemError(f"duplicate {what} id {i}")
                seen.add(i)

        unique([v.id for v in self.vehicles], "vehicle")
        unique([j.id for j in self.jobs], "job")
        unique([s.pickup.id for s in self.shipments], "pickup")
        unique([s.delivery.id for s in self.shipments], "delivery")

    def _check_amounts(self) -> None:
        dims = {len(v.capacity) for v in self.vehicles}
        dims |= {len(j.delivery) for j in self.jobs if j.delivery}
        dims |= {len(j.pickup) for j in self.jobs if j.pickup}
        dims |= {len(s.amount) for s in self.shipments if s.amount}
        if len(dims - {0}) > 1:
            raise ProblemError(
                "capacity/amount arrays have different lengths: "
                + ", ".join(str(d) for d in sorted(dims))
            )

    def _check_locations(self) -> None:
        locations: list[tuple[str, Location]] = []
        for v in self.vehicles:
            if v.start is not None:
                locations.append((f"vehicle {v.id} start", v.start))
            if v.end is not None:
                locations.append((f"vehicle {v.id} end", v.end))
        for j in self.jobs:
            locations.append((f"job {j.id}", j.location))
        for s in self.shipments:
            locations.append((f"pickup {s.pickup.id}", s.pickup.location))
            locations.append((f"delivery {s.delivery.id}", s.delivery.location))
        profiles = {v.profile for v in self.vehicles}
        if self.matrices:
            missing = profiles - set(self.matrices)
            if missing:
                raise ProblemError(f"no matrices for profile(s): {', '.join(sorted(missing))}")
            sizes = {self.matrices[p].size for p in profiles}
            if len(sizes) != 1:
                raise ProblemError("matrices of different profiles have different sizes")
            size = sizes.pop()
            for p in profiles:
                m = self.matrices[p]
                if m.durations is None:
                    raise ProblemError(f"profile {p}: a durations matrix is required")
            for what, loc in locations:
                if loc.index is None:
                    raise ProblemError(f"{what}: matrices are given, so a location_index is needed")
                if loc.index >= size:
                    raise ProblemError(
                        f"{what}: location_index {loc.index} out of range for {size}x{size} matrix"
                    )
        else:
            for what, loc in locations:
                if loc.coordinates is None:
                    raise ProblemError(f"{what}: without matrices, coordinates are needed")

    # -- helpers ----------------------------------------------------------------------------
    @property
    def dimensions(self) -> int:
        """Number of capacity dimensions (0 when nobody carries anything)."""
        dims = [len(v.capacity) for v in self.vehicles]
        dims += [len(j.delivery) for j in self.jobs] + [len(j.pickup) for j in self.jobs]
        dims += [len(s.amount) for s in self.shipments]
        return max(dims, default=0)

    @property
    def has_matrices(self) -> bool:
        return bool(self.matrices)

    def task_count(self) -> int:
        return len(self.jobs) + 2 * len(self.shipments)

    @classmethod
    def from_vroom(cls, data: Mapping[str, Any] | str) -> Problem:
        """Read VROOM's JSON input (a dict or a JSON string); raise ProblemError if malformed."""
        from louise.routing.vroom_json import problem_from_vroom

        return problem_from_vroom(data)

    def to_vroom(self) -> dict[str, Any]:
        """Write VROOM's JSON input (a dict ready for ``json.dumps``)."""
        from louise.routing.vroom_json import problem_to_vroom

        return problem_to_vroom(self)


def pad(values: tuple[float, ...], dims: int) -> tuple[float, ...]:
    """Amounts with missing dimensions as zero (VROOM allows empty amount arrays)."""
    return values + (0.0,) * (dims - len(values))


def capacity_of(vehicle: Vehicle, dims: int) -> tuple[float, ...]:
    """A vehicle's capacity per dimension; no capacity given means unlimited."""
    if not vehicle.capacity:
        return (math.inf,) * dims
    return pad(vehicle.capacity, dims)
