"""The erasure log (GDPR, docs/privacy.md): who erased which account id when, without the
personal data.

Revision ID: 0004_privacy_erasures
Revises: 0003_outbox_message_channel
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import louise.db

revision = "0004_privacy_erasures"
down_revision = "0003_outbox_message_channel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("at", louise.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("bookings_kept", sa.Integer(), nullable=False),
        sa.Column("addresses_deleted", sa.Integer(), nullable=False),
        sa.Column("messages_deleted", sa.Integer(), nullable=False),
        sa.Column("proofs_deleted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_erasures_actor_id_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_erasures_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("user_id", name=op.f("uq_erasures_user_id")),
    )


def downgrade() -> None:
    op.drop_table("erasures")
