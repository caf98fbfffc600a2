"""The read-only ``city`` role (docs/impact.md): the role column's CHECK constraint admits it.

``user_role`` is no native enum type (``louise.db.str_enum``: a VARCHAR with a CHECK
constraint, the same on SQLite and PostgreSQL), so there is no ``ALTER TYPE ... ADD VALUE``:
the constraint is replaced. PostgreSQL does that in place. SQLite cannot alter a constraint
and rebuilds the table (batch mode); ``users`` is referenced by most tables, so foreign keys
are switched off for the rebuild (a PRAGMA that only works outside a transaction) and every
reference is checked before they are switched on again.

Revision ID: 0007_city_role
Revises: 0006_impact_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_city_role"
down_revision = "0006_impact_ledger"
branch_labels = None
depends_on = None

BEFORE = ("customer", "merchant", "courier", "dispatcher", "admin")
AFTER = (*BEFORE, "city")
NAME = "ck_users_user_role"


def _check(roles: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def _replace_check(roles: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(NAME), "users", type_="check")
        op.create_check_constraint(op.f(NAME), "users", _check(roles))
        return
    _sqlite_foreign_keys(False)
    try:
        with op.batch_alter_table("users", recreate="always") as batch:
            batch.drop_constraint(op.f(NAME), type_="check")
            batch.create_check_constraint(op.f(NAME), _check(roles))
        broken = bind.execute(sa.text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by rebuilding users: {broken[:5]}")
    finally:
        _sqlite_foreign_keys(True)


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite ignores ``PRAGMA foreign_keys`` inside a transaction, and louise's engine opens
    one at every begin (``BEGIN IMMEDIATE``, louise.db), even in Alembic's autocommit block:
    there the PRAGMA goes to the driver's connection between a COMMIT and a new BEGIN."""
    with op.get_context().autocommit_block():
        raw = op.get_bind().connection.dbapi_connection
        assert raw is not None
        if raw.in_transaction:
            raw.execute("COMMIT")
        raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
        raw.execute("BEGIN IMMEDIATE")


def upgrade() -> None:
    _replace_check(AFTER)


def downgrade() -> None:
    city = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE role = 'city'"))
    if city:
        raise RuntimeError(
            f"{city} city account(s) exist: delete them before downgrading below 0007_city_role"
        )
    _replace_check(BEFORE)
