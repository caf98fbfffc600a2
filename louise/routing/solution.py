"""The solution: routes of steps with times and loads, unassigned tasks with reasons.

Shaped like VROOM's output (see docs/routing.md). Times are those of the plan: ``arrival``
at the step's location, ``waiting_time`` before the task starts (arrival + waiting lies in a
time window), then ``setup`` and ``service``. ``duration`` and ``distance`` are cumulated
travel up to the step, ``load`` is the vehicle's load after the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from louise.routing.problem import Location, ProblemError

STEP_TYPES = ("start", "job", "pickup", "delivery", "break", "end")
# how breaks are read (see docs/routing.md): "at_stop" (a break is taken at a stop: it starts
# after the previous stop's departure and the ride to the next stop follows it), "on_road"
# (a courier may also pause during a ride; VROOM plans breaks this way, VROOM issue #568)
BREAK_READINGS = ("at_stop", "on_road")


class Reason(StrEnum):
    """Why a task is unassigned (the ``reason`` code in the output)."""

    NO_VEHICLE_WITH_SKILLS = "no_vehicle_with_skills"
    OVER_CAPACITY = "over_capacity"
    OUTSIDE_TIME_WINDOWS = "outside_time_windows"
    MAX_TRAVEL_TIME = "max_travel_time"
    MAX_DISTANCE = "max_distance"
    MAX_TASKS = "max_tasks"
    FLEET_SATURATED = "fleet_saturated"
    NO_SOLUTION_IN_TIME = "no_solution_in_time"


REASON_TEXT: dict[str, str] = {
    Reason.NO_VEHICLE_WITH_SKILLS: "no vehicle has all the skills the task needs",
    Reason.OVER_CAPACITY: "the amount exceeds the capacity of every vehicle that could serve it",
    Reason.OUTSIDE_TIME_WINDOWS: (
        "no vehicle can reach it within one of its time windows and still get back in its shift"
    ),
    Reason.MAX_TRAVEL_TIME: (
        "serving it alone would exceed every suitable vehicle's max travel time"
    ),
    Reason.MAX_DISTANCE: "serving it alone would exceed every suitable vehicle's max distance",
    Reason.MAX_TASKS: "every suitable vehicle has max_tasks too small",
    Reason.FLEET_SATURATED: (
        "feasible on its own, but no room was found next to the other tasks (time or capacity)"
    ),
    Reason.NO_SOLUTION_IN_TIME: "the solver found no plan within the time limit",
}


@dataclass(frozen=True)
class Step:
    """One step of a route."""

    type: str
    id: int | None = None
    location: Location | None = None
    arrival: float = 0
    duration: float = 0
    setup: float = 0
    service: float = 0
    waiting_time: float = 0
    load: tuple[float, ...] = ()
    distance: float = 0
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in STEP_TYPES:
            raise ProblemError(f"unknown step type {self.type!r}")
        object.__setattr__(self, "load", tuple(self.load))

    @property
    def start_time(self) -> float:
        """When the task (or break) starts: arrival plus waiting."""
        return self.arrival + self.waiting_time


@dataclass(frozen=True)
class Route:
    """The steps of one vehicle, from ``start`` to ``end``, and its totals."""

    vehicle: int
    steps: tuple[Step, ...]
    cost: float = 0
    setup: float = 0
    service: float = 0
    duration: float = 0
    waiting_time: float = 0
    priority: int = 0
    delivery: tuple[float, ...] = ()
    pickup: tuple[float, ...] = ()
    distance: float = 0
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "delivery", tuple(self.delivery))
        object.__setattr__(self, "pickup", tuple(self.pickup))

    @property
    def tasks(self) -> tuple[Step, ...]:
        """The job, pickup and delivery steps (no start, end or breaks)."""
        return tuple(s for s in self.steps if s.type in ("job", "pickup", "delivery"))


@dataclass(frozen=True)
class Unassigned:
    """A task left out of every route, with a reason code."""

    id: int
    type: str
    reason: str
    location: Location | None = None
    description: str = ""

    @property
    def message(self) -> str:
        return REASON_TEXT.get(self.reason, self.reason)


@dataclass(frozen=True)
class Summary:
    """Totals over all routes, and where the time went (milliseconds, as VROOM)."""

    cost: float = 0
    routes: int = 0
    unassigned: int = 0
    setup: float = 0
    service: float = 0
    duration: float = 0
    waiting_time: float = 0
    priority: int = 0
    delivery: tuple[float, ...] = ()
    pickup: tuple[float, ...] = ()
    distance: float = 0
    computing_times: Mapping[str, int] = field(default_factory=dict)
    break_reading: str = "at_stop"  # the reading the plan's times follow (BREAK_READINGS)

    def __post_init__(self) -> None:
        if self.break_reading not in BREAK_READINGS:
            raise ProblemError(f"unknown break_reading {self.break_reading!r}")


@dataclass(frozen=True)
class Solution:
    """What the planner answers: routes, unassigned tasks and a summary."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...] = ()
    summary: Summary = field(default_factory=Summary)
    code: int = 0
    # how the search went (not part of VROOM's output): ``first_feasible`` (seconds to the
    # first plan), ``history`` [(seconds, objective)], ``penalty_base``; empty when read
    stats: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", tuple(self.routes))
        object.__setattr__(self, "unassigned", tuple(self.unassigned))
        vehicles = [r.vehicle for r in self.routes]
        if len(set(vehicles)) != len(vehicles):
            raise ProblemError("a vehicle appears in more than one route")

    @property
    def vehicles_used(self) -> int:
        return sum(1 for r in self.routes if r.tasks)

    @classmethod
    def from_vroom(cls, data: Mapping[str, Any] | str) -> Solution:
        """Read VROOM's JSON output (ours or VROOM's own)."""
        from louise.routing.vroom_json import solution_from_vroom

        return solution_from_vroom(data)

    def to_vroom(self) -> dict[str, Any]:
        """Write VROOM's JSON output (plus a ``reason`` for each unassigned task)."""
        from louise.routing.vroom_json import solution_to_vroom

        return solution_to_vroom(self)
