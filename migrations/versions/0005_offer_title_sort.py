"""Offers keep their title's DIN 5007 order key (``offers.title_sort``), so that the
catalogue orders and pages in the database instead of reading every offer.

The key is ``louise.collation.sort_string(title)``; the existing offers get it here. If the
collation rules ever change, a new revision must compute the keys again.

No index: a key can be longer than a PostgreSQL B-tree entry may be (about 2.7 kB; a 200
character title of emoji gives four parts of 800 bytes), and a town's catalogue (hundreds
of offers) is ordered faster than it is read.

Revision ID: 0005_offer_title_sort
Revises: 0004_privacy_erasures
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from louise.collation import sort_string

revision = "0005_offer_title_sort"
down_revision = "0004_privacy_erasures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.add_column(sa.Column("title_sort", sa.Text(), nullable=True))
    offers = sa.table(
        "offers",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.String()),
        sa.column("title_sort", sa.Text()),
    )
    conn = op.get_bind()
    for offer_id, title in conn.execute(sa.select(offers.c.id, offers.c.title)).all():
        conn.execute(
            offers.update().where(offers.c.id == offer_id).values(title_sort=sort_string(title))
        )
    with op.batch_alter_table("offers") as batch:
        batch.alter_column("title_sort", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("title_sort")
