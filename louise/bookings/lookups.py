"""Reads one use case needs more than once, made once: the offer, the districts, each day's
fleet and the ids of the capacity counters it touches.

A :class:`Lookups` lives for one use case (one request) and one transaction. What it reads of
the reference data (the offer with its shop and hours, the districts, a day's fleet) it may
also take from, and leave in, a :class:`ReferenceSnapshot`: a worker's copy of those rows as
they were under one reference version (louise.reference_version). The copy is only used
while the version a request read at its start is the same, and every change of those rows
changes the version (database triggers), so nothing in it is ever older than what the
request would have read itself. The capacity counters are never kept: bookings change them.
Every rule that takes a :class:`Lookups` also works without it (``None``: it reads for
itself, as before).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.bookings import availability
from louise.bookings.checks import load_offer
from louise.fleet.models import District
from louise.merchants.models import Offer

_DISTRICTS = select(District)


class ReferenceSnapshot:
    """Reference rows as they were under reference version ``version``: fully loaded ORM
    objects detached from any session (read in a session of their own, closed at once, so
    that no request's rollback expires them and no test's session holds them), and plain
    fleet rows. Only read, never added to a session."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.offers: dict[int, Offer] = {}  # active offers only (an inactive one is a 422)
        self.districts: Sequence[District] | None = None
        self.fleets: dict[date, availability.DayFleet] = {}


class VersionedReference:
    """A worker's (an app's) latest :class:`ReferenceSnapshot`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: ReferenceSnapshot | None = None

    def snapshot(self, version: int | None) -> ReferenceSnapshot | None:
        """The copy for ``version``, empty when the version has changed (the old copy is
        dropped); None for no version (nothing is kept)."""
        if version is None:
            return None
        with self._lock:
            if self._latest is None or self._latest.version != version:
                self._latest = ReferenceSnapshot(version)
            return self._latest


class Lookups:
    """What the checks of one use case share (see the module docstring)."""

    def __init__(self, session: Session, snapshot: ReferenceSnapshot | None = None) -> None:
        self.session = session
        self.snapshot = snapshot
        self._districts: Sequence[District] | None = None
        self._fleets: dict[date, availability.DayFleet] = {}
        #: capacity counter ids by (scope, key, day): a counter row, once there, stays
        self.counters: dict[tuple[str, str, date], int] = {}

    def offer(self, offer_id: int) -> Offer:
        """The offer with its shop and hours (:func:`load_offer`: unknown or inactive → 422
        naming ``offer_id``)."""
        if self.snapshot is None:
            return load_offer(self.session, offer_id)
        kept = self.snapshot.offers.get(offer_id)
        if kept is None:
            with self._detached() as reader:
                kept = load_offer(reader, offer_id)
            self.snapshot.offers[offer_id] = kept
        return kept

    def districts(self) -> Sequence[District]:
        """Every district (active or not), read once."""
        if self._districts is None:
            if self.snapshot is None:
                self._districts = self.session.scalars(_DISTRICTS).all()
            else:
                if self.snapshot.districts is None:
                    with self._detached() as reader:
                        self.snapshot.districts = reader.scalars(_DISTRICTS).all()
                self._districts = self.snapshot.districts
        return self._districts

    def fleet(self, day: date) -> availability.DayFleet:
        """Who works on ``day``, read once per day."""
        if day not in self._fleets:
            kept = self.snapshot.fleets.get(day) if self.snapshot is not None else None
            if kept is None:
                kept = availability.day_fleet(self.session, day)
                if self.snapshot is not None:
                    self.snapshot.fleets[day] = kept
            self._fleets[day] = kept
        return self._fleets[day]

    @contextmanager
    def _detached(self) -> Iterator[Session]:
        """A session of its own on the use case's connection and transaction (no round
        trip more), closed at the end: what it loaded stays loaded and belongs to no
        session (a rollback of the use case's session cannot expire it)."""
        reader = Session(bind=self.session.connection(), expire_on_commit=False)
        try:
            yield reader
        finally:
            reader.close()
