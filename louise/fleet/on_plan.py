"""What the fleet rules need to know about plans, without importing dispatch.

Fleet sits below dispatch (docs/architecture.md): dispatch plans shifts, fleet does not read
plans. Dispatch registers its :class:`ShiftPlans` when the app is built (``create_app``); with
none registered — fleet on its own — no shift is on a plan.

Why it matters: a shift on the published plan carries couriers' routes and must not be
deleted; drafts and older plans only let go of it.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session


class ShiftPlans(Protocol):
    def published_plan(self, session: Session, shift_id: int) -> int | None:
        """The id of the published plan that routes this shift, if any."""
        ...

    def release(self, session: Session, shift_id: int) -> None:
        """Let draft and older plans forget the shift before it is deleted (no commit)."""
        ...


class _NoPlans:
    def published_plan(self, session: Session, shift_id: int) -> int | None:
        return None

    def release(self, session: Session, shift_id: int) -> None:
        return None


_plans: ShiftPlans = _NoPlans()


def register(plans: ShiftPlans) -> None:
    """Dispatch's implementation; registering again replaces it."""
    global _plans
    _plans = plans


def plans() -> ShiftPlans:
    return _plans
