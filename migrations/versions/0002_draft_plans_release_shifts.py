"""Drafts do not pin shifts: plan_routes.shift_id becomes nullable, ON DELETE SET NULL.

Revision ID: 0002_draft_plans_release_shifts
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_draft_plans_release_shifts"
down_revision = "0001"
branch_labels = None
depends_on = None

FK = "fk_plan_routes_shift_id_shifts"


def upgrade() -> None:
    with op.batch_alter_table("plan_routes", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.alter_column("shift_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(FK, "shifts", ["shift_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    op.execute("DELETE FROM plan_routes WHERE shift_id IS NULL")
    with op.batch_alter_table("plan_routes", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.alter_column("shift_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(FK, "shifts", ["shift_id"], ["id"])
