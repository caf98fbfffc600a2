"""Accounts, roles and revoked tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from louise.db import Base, TimestampMixin, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    COURIER = "courier"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"
    CITY = "city"  # the city's read-only view: aggregates only (docs/impact.md)


#: the roles that run the service: plans, fleet, hotline, Points and lockers
STAFF: tuple[Role, ...] = (Role.DISPATCHER, Role.ADMIN)

#: the roles that read the impact aggregates (no personal data): the city, dispatchers, admins
AGGREGATE_READERS: tuple[Role, ...] = (Role.CITY, Role.DISPATCHER, Role.ADMIN)


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # waiting for an admin's approval
    DISABLED = "disabled"


class User(TimestampMixin, Base):
    """A person known to louise. Hotline customers have no e-mail and no password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[Role] = mapped_column(
        str_enum(Role, "user_role"),
        nullable=False,
    )
    status: Mapped[AccountStatus] = mapped_column(
        str_enum(AccountStatus, "account_status"),
        nullable=False,
        default=AccountStatus.ACTIVE,
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="de")

    @property
    def can_log_in(self) -> bool:
        return self.status == AccountStatus.ACTIVE and self.password_hash is not None


class RevokedToken(Base):
    """A JWT that must no longer be accepted (logout). Stored, so revocation survives restarts
    and holds across every worker."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_type: Mapped[str] = mapped_column(String(10), nullable=False)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
