"""The reference version: one number that changes whenever reference data changes.

Reference data are the rows every booking is checked against and that change a few times a
day: offers, shops, their opening hours (and a shop's address), districts, vehicles, shifts
and a courier's account status. Database triggers (migration ``0008_reference_version``)
set ``reference_versions.version`` to a new random number in the transaction of every
INSERT, UPDATE or DELETE of those rows (on PostgreSQL once per statement, TRUNCATE too; on
SQLite once per row), so the number becomes visible together with the change, whoever makes
it: the app, a worker, a migration or an operator in ``psql``.

A worker that read the rows while the version was V may use its copy as long as the version
it reads is still V (``louise.bookings.lookups.ReferenceSnapshot``). Every authenticated
request reads the version for free, in the statement that loads the token's user
(``louise.auth.service.token_holder``). The number is random, not counted up: a test's
rolled-back change must never bring back a number that a copy of other rows was kept under.

SQLite drops a table's triggers with the table: a later migration that rebuilds a watched
table there (``batch_alter_table``) must create its triggers again (the suite checks that
every watched table has them, tests/core/test_reference_version.py).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, ScalarSelect, select
from sqlalchemy.orm import Mapped, mapped_column

from louise.db import Base

#: the watched tables and the changes that set a new version (the migration's triggers)
WATCHED: dict[str, tuple[str, ...]] = {
    "offers": ("INSERT", "UPDATE", "DELETE"),
    "merchants": ("INSERT", "UPDATE", "DELETE"),
    "merchant_opening_intervals": ("INSERT", "UPDATE", "DELETE"),
    "merchant_opening_exceptions": ("INSERT", "UPDATE", "DELETE"),
    "districts": ("INSERT", "UPDATE", "DELETE"),
    "vehicles": ("INSERT", "UPDATE", "DELETE"),
    "shifts": ("INSERT", "UPDATE", "DELETE"),
    # a new address is nobody's shop yet; a shop that moves to one is a changed merchant
    "addresses": ("UPDATE", "DELETE"),
    # the fleet counts a shift only while its courier's account is active
    "users": ("UPDATE OF status", "DELETE"),
}


class ReferenceVersion(Base):
    """One row (id 1): the current reference version."""

    __tablename__ = "reference_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)


def current() -> ScalarSelect[int]:
    """The version as a scalar subquery, to be read along with another statement (None
    when the row is missing: then nothing is kept)."""
    return select(ReferenceVersion.version).where(ReferenceVersion.id == 1).scalar_subquery()
