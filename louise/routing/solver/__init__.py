"""The engine: OR-Tools routing behind ``solve(problem) -> Solution``, one module per stage.

- ``precheck``: jobs and shipments as units; who could serve each alone, and why not;
- ``model``: the OR-Tools model (nodes, matrices, dimensions, breaks, disjunctions);
- ``construction``: a first plan to start from;
- ``seeding``: PyVRP's plan of the relaxed problem as another first plan (engine pyvrp+ortools);
- ``search``: the OR-Tools runs (iterated local search, guided local search from a plan);
- ``extract``: from the assignment to a ``Solution`` with times, loads and reasons;
- ``run``: ``solve`` — the stages on one shared deadline, N processes if asked.

Objective (documented in docs/routing.md): every task not served costs a penalty larger than
any plan's travel and fixed costs together, so serving tasks comes first (higher priority,
higher penalty); then the vehicles' fixed costs; then travel, measured as ``objective`` says:
``"cost"`` (VROOM's: the profile's cost matrix, else per_hour × time + per_km × distance),
``"duration"`` or ``"distance"``. How the search went is in ``Solution.stats``.
"""

from louise.routing.solver.options import Engine, Objective, SolveOptions
from louise.routing.solver.run import solve

__all__ = ["Engine", "Objective", "SolveOptions", "solve"]
