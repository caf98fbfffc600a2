"""Second engines next to OR-Tools: they seed the OR-Tools model, which stays the model of record.

``pyvrp_seed``: PyVRP 0.14 on the relaxed problem (no breaks; see docs/routing.md, "PyVRP as a
seed engine"); its routes become OR-Tools' initial routes on the full model.
"""

from louise.routing.engines.pyvrp_seed import SeedResult, seed_routes
from louise.routing.engines.pyvrp_solution import seed_to_solution

__all__ = ["SeedResult", "seed_routes", "seed_to_solution"]
