"""What to ask of the search: ``SolveOptions`` and the objective names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Objective = Literal["cost", "duration", "distance"]
Start = Literal["auto", "construction", "ortools", "lns", "construction_only"]
BreakReading = Literal["at_stop", "on_road"]
Engine = Literal["auto", "ortools", "pyvrp+ortools"]


@dataclass(frozen=True)
class SolveOptions:
    """How to search: time limit (seconds, wall clock, all-inclusive except the first plan,
    which tries every task once), seed, threads, objective."""

    time_limit: float = 10.0
    seed: int = 0
    threads: int = 1
    objective: Objective = "cost"
    fleet_reduction: bool = True
    iteration_limit: int | None = None
    # where the search starts: "construction" (our insertion, then guided local search from
    # it), "ortools" (OR-Tools' iterated local search from scratch, our construction kept as
    # the fallback), "lns" (our ruin and recreate from the construction, see solver/lns.py),
    # "auto" (lns with breaks; without breaks ortools up to 500 jobs/shipments, else
    # construction), "construction_only" (the first plan, no search)
    start: Start = "auto"
    # how a break sits in a route: "at_stop" (a break is taken at a stop: it starts after the
    # previous stop's departure, and the ride to the next stop follows the break), or
    # "on_road" (a courier may also pause during a ride, so the next stop may be reached
    # earlier); the solution states which it was planned under (``Summary.break_reading``)
    break_reading: BreakReading = "at_stop"
    # who makes the starting plan: "ortools" (the construction / OR-Tools' own, as ``start``
    # says), "pyvrp+ortools" (PyVRP on the relaxed problem for ``pyvrp_share`` of the limit,
    # its plan repaired on the full model; OR-Tools goes on from the better of it and the
    # construction), "auto" (with 2+ threads both side by side, the better plan wins; with
    # one thread pyvrp+ortools where it measured better: no breaks, see docs/routing.md).
    # Without pyvrp installed: OR-Tools alone.
    engine: Engine = "auto"
    # PyVRP's share of the limit; None: 0.8 without breaks (OR-Tools rarely improves PyVRP's
    # Li & Lim plans; 200-task instances want PyVRP's time for vehicles), 0.4 with breaks (the
    # relaxed plan needs OR-Tools' repair)
    pyvrp_share: float | None = None

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise ValueError("time_limit must be > 0")
        if self.threads < 1:
            raise ValueError("threads must be >= 1")
        if self.iteration_limit is not None and self.iteration_limit < 1:
            raise ValueError("iteration_limit must be >= 1")
        if self.start not in ("auto", "construction", "ortools", "lns", "construction_only"):
            raise ValueError(f"unknown start {self.start!r}")
        if self.break_reading not in ("at_stop", "on_road"):
            raise ValueError(f"unknown break_reading {self.break_reading!r}")
        if self.engine not in ("auto", "ortools", "pyvrp+ortools"):
            raise ValueError(f"unknown engine {self.engine!r}")
        if self.pyvrp_share is not None and not 0 < self.pyvrp_share < 1:
            raise ValueError("pyvrp_share must be in (0, 1)")
        if self.objective not in ("cost", "duration", "distance"):
            raise ValueError(f"unknown objective {self.objective!r}")
