"""Splitting a whole number by shares so that the parts add up to it exactly.

The rule of the ledger (docs/impact.md, "Allocation"): a route's metres go to its legs in
proportion to the leg's stops on the route (largest-remainder rounding, ties to the earlier
leg id), so that the rows of a route — and of a day — add up to its metres to the metre.
"""

from __future__ import annotations

from collections.abc import Mapping


def largest_remainder(total: int, shares: Mapping[int, int]) -> dict[int, int]:
    """``total`` split over the keys of ``shares`` in proportion to their (integer, >= 0)
    shares; the parts are integers and add up to ``total``. The units left after rounding
    down go to the largest remainders, ties to the smaller key. All shares zero: all parts
    zero (and ``total`` must be zero then)."""
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    if any(share < 0 for share in shares.values()):
        raise ValueError("shares must be >= 0")
    weight = sum(shares.values())
    if weight == 0:
        if total:
            raise ValueError(f"cannot split {total} over no shares")
        return dict.fromkeys(shares, 0)
    parts = {key: total * share // weight for key, share in shares.items()}
    left = total - sum(parts.values())
    by_remainder = sorted(shares, key=lambda key: (-(total * shares[key] % weight), key))
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts
