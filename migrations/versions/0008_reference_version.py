"""The reference version (louise/reference_version.py): one row whose number triggers set to
a new random value whenever offers, shops, opening hours, districts, vehicles, shifts, a
shop's address or a courier's account status change.

PostgreSQL: one trigger function and a statement-level trigger per table (TRUNCATE
included). SQLite: row-level triggers, one per table and kind of change (SQLite has no
statement-level triggers and no TRUNCATE).

Revision ID: 0008_reference_version
Revises: 0007_city_role
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_reference_version"
down_revision = "0007_city_role"
branch_labels = None
depends_on = None

#: as louise.reference_version.WATCHED when this migration was written (a migration keeps
#: its own copy: the module may change later, this revision may not)
WATCHED: dict[str, tuple[str, ...]] = {
    "offers": ("INSERT", "UPDATE", "DELETE"),
    "merchants": ("INSERT", "UPDATE", "DELETE"),
    "merchant_opening_intervals": ("INSERT", "UPDATE", "DELETE"),
    "merchant_opening_exceptions": ("INSERT", "UPDATE", "DELETE"),
    "districts": ("INSERT", "UPDATE", "DELETE"),
    "vehicles": ("INSERT", "UPDATE", "DELETE"),
    "shifts": ("INSERT", "UPDATE", "DELETE"),
    "addresses": ("UPDATE", "DELETE"),
    "users": ("UPDATE OF status", "DELETE"),
}
FUNCTION = "louise_new_reference_version"


def _name(table: str, event: str = "") -> str:
    suffix = "_" + event.split()[0].lower() if event else ""
    return f"trg_{table}{suffix}_reference_version"


def upgrade() -> None:
    op.create_table(
        "reference_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_versions")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO reference_versions (id, version)"
            " VALUES (1, floor(random() * 9.0e18)::bigint)"
        )
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN"
            " UPDATE reference_versions SET version = floor(random() * 9.0e18)::bigint"
            " WHERE id = 1;"
            " RETURN NULL;"
            " END $$"
        )
        for table, events in WATCHED.items():
            changes = " OR ".join((*events, "TRUNCATE"))
            op.execute(
                f"CREATE TRIGGER {_name(table)} AFTER {changes} ON {table}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
        return
    op.execute("INSERT INTO reference_versions (id, version) VALUES (1, random())")
    for table, events in WATCHED.items():
        for event in events:
            op.execute(
                f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table}"
                " BEGIN UPDATE reference_versions SET version = random() WHERE id = 1; END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, events in WATCHED.items():
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {_name(table)} ON {table}")
        else:
            for event in events:
                op.execute(f"DROP TRIGGER IF EXISTS {_name(table, event)}")
    if postgres:
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.drop_table("reference_versions")
