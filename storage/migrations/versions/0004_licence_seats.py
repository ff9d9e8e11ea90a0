"""licence seats: who holds each licence of a subscription

A new table; every subscription starts with no named seat, so its licences and every
invoice keep their meaning (seats only name who holds what is already counted).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "seats",
        sa.Column("id", ID, nullable=False),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("holder", sa.String(length=300), nullable=False),
        sa.Column("perpetual", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reclaim_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_seats_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seats")),
    )
    op.create_index(
        "ix_seats_held",
        "seats",
        ["subscription_id", "holder"],
        unique=True,
        sqlite_where=sa.text("released_at IS NULL"),
        postgresql_where=sa.text("released_at IS NULL"),
    )
    op.create_index("ix_seats_holder", "seats", ["holder"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_seats_holder", table_name="seats")
    op.drop_index("ix_seats_held", table_name="seats")
    op.drop_table("seats")
