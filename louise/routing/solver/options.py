"""What to ask of the search: ``SolveOptions`` and the objective names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Objective = Literal["cost", "duration", "distance"]
Start = Literal["auto", "construction", "ortools", "construction_only"]


@dataclass(frozen=True)
class SolveOptions:
    """How to search: time limit (seconds, wall clock, all-inclusive), seed, threads, objective."""

    time_limit: float = 10.0
    seed: int = 0
    threads: int = 1
    objective: Objective = "cost"
    fleet_reduction: bool = True
    iteration_limit: int | None = None
    # where the search starts: "construction" (our insertion, then guided local search from
    # it), "ortools" (OR-Tools' iterated local search from scratch, our construction kept as
    # the fallback), "auto" (ortools up to 150 jobs/shipments, and without breaks up to 500;
    # else construction), "construction_only" (the first plan, no search)
    start: Start = "auto"

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise ValueError("time_limit must be > 0")
        if self.threads < 1:
            raise ValueError("threads must be >= 1")
        if self.iteration_limit is not None and self.iteration_limit < 1:
            raise ValueError("iteration_limit must be >= 1")
        if self.start not in ("auto", "construction", "ortools", "construction_only"):
            raise ValueError(f"unknown start {self.start!r}")
        if self.objective not in ("cost", "duration", "distance"):
            raise ValueError(f"unknown objective {self.objective!r}")
