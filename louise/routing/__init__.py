"""The routing core: a pure library (standard library, numpy, OR-Tools).

    from louise.routing import Problem, solve, validate
    solution = solve(Problem.from_vroom(data), time_limit=5)
    assert validate(problem, solution).ok
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
    "SolveOptions",
    "Solution",
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
