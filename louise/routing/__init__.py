"""The routing core: a pure library (standard library, numpy, OR-Tools).

Typical use: ``problem = Problem.from_vroom(data)``, ``solution = solve(problem,
time_limit=5)``, ``validate(problem, solution).ok``. See docs/routing.md.
"""

from louise.routing.matrix import HaversineProvider, OsrmProvider, ProfileSpeed, with_matrices
from louise.routing.problem import (
    Break,
    Costs,
    Job,
    Location,
    Problem,
    ProblemError,
    ProfileMatrices,
    Shipment,
    ShipmentStep,
    Task,
    TimeWindow,
    Vehicle,
)
from louise.routing.solution import Reason, Route, Solution, Step, Summary, Unassigned
from louise.routing.solver import SolveOptions, solve
from louise.routing.validate import ValidationReport, Violation, validate

__all__ = [
    "Break",
    "Costs",
    "HaversineProvider",
    "Job",
    "Location",
    "OsrmProvider",
    "Problem",
    "ProblemError",
    "ProfileMatrices",
    "ProfileSpeed",
    "Reason",
    "Route",
    "Shipment",
    "ShipmentStep",
    "Solution",
    "SolveOptions",
    "Step",
    "Summary",
    "Task",
    "TimeWindow",
    "Unassigned",
    "ValidationReport",
    "Vehicle",
    "Violation",
    "solve",
    "validate",
    "with_matrices",
]
