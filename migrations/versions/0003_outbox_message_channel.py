"""Outbox messages have a channel: ``email`` (every message so far) or ``sms`` (the hotline
sends a caller their tracking link by SMS).

Revision ID: 0003_outbox_message_channel
Revises: 0002_draft_plans_release_shifts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_outbox_message_channel"
down_revision = "0002_draft_plans_release_shifts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel",
                sa.Enum(
                    "email",
                    "sms",
                    name="message_channel",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="email",
                nullable=False,
            )
        )


def downgrade() -> None:
    # An SMS cannot become a mail: the messages that were to go by SMS are dropped.
    op.execute("DELETE FROM outbox_messages WHERE channel = 'sms'")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_messages_message_channel"), type_="check")
        batch_op.drop_column("channel")
