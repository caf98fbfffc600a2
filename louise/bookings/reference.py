"""A worker's short-lived copy of the reference data that every slots request reads: an offer
with its shop and the shop's opening hours, and the districts.

The slots are the busiest read of the API (every resident who picks a window asks for them,
several times) and these rows change a few times a day, by a shop or an administrator. So a
worker keeps what it read for ``REFERENCE_CACHE_SECONDS`` (default 10 s; 0 turns it off):

- a change committed in the same worker clears its copy at once (an ``after_commit`` hook
  sees offers, shops, opening hours and districts in the flush);
- the other workers see it when their copy expires, at most that many seconds later.

Only the slots read through it: what they show is advice. Booking create is checked against
the rows as they are: it reads them in its own transaction, or takes the worker's copy kept
under the reference version (``louise.bookings.lookups.ReferenceSnapshot``), which is used
only while no row of them has changed since the request began.

What the copy holds are the ORM objects as the request that read them left them: fully
loaded, detached from their session when it closed. They are only read, never added to
another session.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence

from cachetools import TTLCache
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from louise.bookings.checks import load_offer
from louise.bookings.lookups import Lookups
from louise.fleet.models import District
from louise.geo.models import Address
from louise.merchants.models import Merchant, Offer, OpeningException, OpeningInterval

#: the kinds of rows whose change clears the copies (in the worker that commits it)
WATCHED = (Offer, Merchant, OpeningInterval, OpeningException, District)

_CACHES: weakref.WeakSet[ReferenceCache] = weakref.WeakSet()


class ReferenceCache:
    """One app's copies (see the module docstring). ``seconds`` 0: no copies at all."""

    def __init__(
        self, seconds: float, maxsize: int = 4096, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._offers: TTLCache[int, Offer] | None = None
        self._districts: TTLCache[str, Sequence[District]] | None = None
        if seconds > 0:
            self._offers = TTLCache(maxsize=maxsize, ttl=seconds, timer=timer)
            self._districts = TTLCache(maxsize=1, ttl=seconds, timer=timer)
            _CACHES.add(self)

    def offer(self, session: Session, offer_id: int) -> Offer:
        """The offer with its shop and hours (:func:`load_offer`: unknown or inactive → 422
        naming the query's ``offer_id``, never kept)."""
        if self._offers is None:
            return load_offer(session, offer_id, "query")
        with self._lock:
            kept = self._offers.get(offer_id)
        if kept is not None:
            return kept
        offer = load_offer(session, offer_id, "query")
        with self._lock:
            self._offers[offer_id] = offer
        return offer

    def districts(self, lookups: Lookups) -> Sequence[District]:
        """Every district (as :meth:`Lookups.districts` reads them)."""
        if self._districts is None:
            return lookups.districts()
        with self._lock:
            kept = self._districts.get("all")
        if kept is not None:
            return kept
        districts = lookups.districts()
        with self._lock:
            self._districts["all"] = districts
        return districts

    def clear(self) -> None:
        with self._lock:
            if self._offers is not None:
                self._offers.clear()
            if self._districts is not None:
                self._districts.clear()


@event.listens_for(Session, "after_flush")
def _note_reference_change(session: Session, _flush: UOWTransaction) -> None:
    changed = (*session.dirty, *session.deleted)
    # a new address is nobody's shop yet (a shop that moves to it is a changed Merchant)
    if any(isinstance(obj, WATCHED) for obj in session.new) or any(
        isinstance(obj, (*WATCHED, Address)) for obj in changed
    ):
        session.info["louise_reference_changed"] = True


@event.listens_for(Session, "after_commit")
def _clear_on_commit(session: Session) -> None:
    if session.info.pop("louise_reference_changed", False):
        for cache in list(_CACHES):
            cache.clear()


def no_cache() -> ReferenceCache:
    """A cache that keeps nothing (services called without an app)."""
    return ReferenceCache(0)
