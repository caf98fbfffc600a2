"""The erasure log: who erased which account, when, and how much was removed or kept.

It holds no personal data: the account's id (its row is anonymised, not deleted, because the
bookings kept for accounting point at it), the actor's id and role, and counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from louise.db import Base, UTCDateTime, utcnow


class Erasure(Base):
    """One erasure of one account (at most one: an erased account is not erased again)."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, unique=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_role: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    bookings_kept: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    addresses_deleted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    messages_deleted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    proofs_deleted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
