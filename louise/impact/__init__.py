"""Impact: the km the bikes rode, the km a van fleet would have driven for the same legs, and
the CO2e of both (docs/impact.md).

Services (no Flask): ``factors`` (the versioned emission factors), ``counterfactual`` (the
van plan of a day), ``ledger`` (building the append-only ledger), ``reading`` (what later
consumers read: day totals, rows, a booking's avoided grams).
"""
