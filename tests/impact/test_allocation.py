"""Largest-remainder allocation: integer parts that add up to the whole, exactly."""

from __future__ import annotations

import pytest

from louise.impact.allocation import largest_remainder


@pytest.mark.parametrize(
    ("total", "shares", "parts"),
    [
        (10, {1: 1, 2: 1, 3: 1}, {1: 4, 2: 3, 3: 3}),
        (7, {1: 1, 2: 2}, {1: 2, 2: 5}),
        (1000, {5: 2, 7: 2, 9: 1}, {5: 400, 7: 400, 9: 200}),
        (1, {4: 2, 3: 2}, {3: 1, 4: 0}),  # a tie goes to the smaller leg id
        (2345, {11: 2}, {11: 2345}),
        (0, {1: 2, 2: 2}, {1: 0, 2: 0}),
    ],
)
def test_parts_are_whole_metres_that_add_up_to_the_route(total, shares, parts):
    assert largest_remainder(total, shares) == parts
    assert sum(largest_remainder(total, shares).values()) == total


def test_many_odd_shares_still_add_up_exactly():
    shares = {leg: 1 + leg % 3 for leg in range(1, 38)}
    parts = largest_remainder(12_347, shares)
    assert sum(parts.values()) == 12_347
    assert max(parts.values()) - min(parts.values()) <= 3 * 12_347 // sum(shares.values())


def test_metres_cannot_be_split_over_no_stops():
    with pytest.raises(ValueError):
        largest_remainder(5, {1: 0})
    assert largest_remainder(0, {1: 0}) == {1: 0}
