"""The impact ledger (docs/impact.md): versioned emission-factor sets with their rows, the
built days (with the van counterfactual's metres) and one append-only row per leg per day and
ledger version.

Revision ID: 0006_impact_ledger
Revises: 0005_offer_title_sort
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import louise.db

revision = "0006_impact_ledger"
down_revision = "0005_offer_title_sort"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "impact_factor_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", louise.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_factor_sets")),
        sa.UniqueConstraint("digest", name=op.f("uq_impact_factor_sets_digest")),
    )
    op.create_table(
        "impact_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["impact_factor_sets.id"],
            name=op.f("fk_impact_factors_set_id_impact_factor_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_factors")),
        sa.UniqueConstraint("set_id", "key", name="uq_impact_factors_set_id_key"),
    )
    op.create_index(op.f("ix_impact_factors_set_id"), "impact_factors", ["set_id"])
    op.create_table(
        "impact_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ledger_version", sa.Integer(), nullable=False),
        sa.Column("factor_set_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("legs", sa.Integer(), nullable=False),
        sa.Column("bike_m", sa.BigInteger(), nullable=False),
        sa.Column("ecar_m", sa.BigInteger(), nullable=False),
        sa.Column("van_m", sa.BigInteger(), nullable=False),
        sa.Column("vans", sa.Integer(), nullable=False),
        sa.Column("built_at", louise.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["factor_set_id"],
            ["impact_factor_sets.id"],
            name=op.f("fk_impact_days_factor_set_id_impact_factor_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_days")),
        sa.UniqueConstraint("day", "ledger_version", name="uq_impact_days_day_ledger_version"),
    )
    op.create_index(op.f("ix_impact_days_day"), "impact_days", ["day"])
    op.create_table(
        "impact_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ledger_version", sa.Integer(), nullable=False),
        sa.Column("factor_set_id", sa.Integer(), nullable=False),
        sa.Column("leg_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("km_source", sa.String(length=10), nullable=False),
        sa.Column("bike_m", sa.BigInteger(), nullable=False),
        sa.Column("ecar_m", sa.BigInteger(), nullable=False),
        sa.Column("van_m", sa.BigInteger(), nullable=False),
        sa.Column("avoided_m", sa.BigInteger(), nullable=False),
        sa.Column("electric_co2e_mg", sa.BigInteger(), nullable=False),
        sa.Column("van_co2e_mg", sa.BigInteger(), nullable=False),
        sa.Column("avoided_co2e_mg", sa.BigInteger(), nullable=False),
        sa.Column("built_at", louise.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_impact_ledger_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["factor_set_id"],
            ["impact_factor_sets.id"],
            name=op.f("fk_impact_ledger_factor_set_id_impact_factor_sets"),
        ),
        sa.ForeignKeyConstraint(["leg_id"], ["legs.id"], name=op.f("fk_impact_ledger_leg_id_legs")),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_impact_ledger_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_ledger")),
        sa.UniqueConstraint(
            "day", "ledger_version", "leg_id", name="uq_impact_ledger_day_ledger_version_leg_id"
        ),
    )
    op.create_index(op.f("ix_impact_ledger_day"), "impact_ledger", ["day"])
    op.create_index(op.f("ix_impact_ledger_booking_id"), "impact_ledger", ["booking_id"])
    op.create_index(op.f("ix_impact_ledger_merchant_id"), "impact_ledger", ["merchant_id"])


def downgrade() -> None:
    op.drop_table("impact_ledger")
    op.drop_table("impact_days")
    op.drop_table("impact_factors")
    op.drop_table("impact_factor_sets")
