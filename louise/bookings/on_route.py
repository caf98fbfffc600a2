"""What the booking rules need to know about published routes, without importing dispatch.

Bookings sit below dispatch (docs/architecture.md), so they cannot read routes themselves.
Dispatch registers its :class:`RouteBoard` when the app is built (``create_app``); with none
registered — bookings on their own — no leg is on a route.

Why it matters: a leg that leaves the day while its stops are on a courier's published route
(received early at the shop, cancelled, rescheduled, rejected) must take those stops off the
route, or the courier is sent to a door for nothing and cannot close the stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from louise.bookings.models import Leg

#: Why a leg left the route (``plan_stops.failure_reason`` of its skipped stops).
RECEIVED_AT_SHOP = "received_at_shop"
BOOKING_CANCELLED = "booking_cancelled"
RESCHEDULED = "rescheduled"


@dataclass(frozen=True)
class StopOnRoute:
    """An open (pending or arrived) stop of a leg on a published route."""

    route_id: int
    stop_id: int
    type: str  # pickup | delivery
    eta: datetime


class RouteBoard(Protocol):
    def open_stops(self, session: Session, leg: Leg) -> list[StopOnRoute]:
        """The leg's open stops on the published plan of its day, in route order."""
        ...

    def withdraw(
        self, session: Session, legs: Sequence[Leg], reason: str, text: str, now: datetime
    ) -> None:
        """Take the legs' open stops off their published routes (no commit)."""
        ...


class _NoRoutes:
    def open_stops(self, session: Session, leg: Leg) -> list[StopOnRoute]:
        return []

    def withdraw(
        self, session: Session, legs: Sequence[Leg], reason: str, text: str, now: datetime
    ) -> None:
        return None


_board: RouteBoard = _NoRoutes()


def register(board: RouteBoard) -> None:
    """Dispatch's implementation; registering again replaces it."""
    global _board
    _board = board


def board() -> RouteBoard:
    return _board
