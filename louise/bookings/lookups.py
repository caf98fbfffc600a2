"""Reads one use case needs more than once, made once: the districts, each day's fleet and
the ids of the capacity counters it touches.

A :class:`Lookups` lives for one use case (one request) and one transaction: it is never
kept between requests, so nothing it holds can go stale for another caller. Every rule that
takes one also works without it (``None``: it reads for itself, as before).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.bookings import availability
from louise.fleet.models import District

_DISTRICTS = select(District)


class Lookups:
    """What the checks of one use case share (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._districts: Sequence[District] | None = None
        self._fleets: dict[date, availability.DayFleet] = {}
        #: capacity counter ids by (scope, key, day): a counter row, once there, stays
        self.counters: dict[tuple[str, str, date], int] = {}

    def districts(self) -> Sequence[District]:
        """Every district (active or not), read once."""
        if self._districts is None:
            self._districts = self.session.scalars(_DISTRICTS).all()
        return self._districts

    def fleet(self, day: date) -> availability.DayFleet:
        """Who works on ``day``, read once per day."""
        if day not in self._fleets:
            self._fleets[day] = availability.day_fleet(self.session, day)
        return self._fleets[day]
