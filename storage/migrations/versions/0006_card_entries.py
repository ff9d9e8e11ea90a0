"""card entries: single-use, expiring links to the processor's hosted card page

Each `/license billing` or `/license card` makes one; the state it carries comes back with
the completed set-up and names the account and the Slack user who asked. No existing row
changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "card_entries",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("requested_by", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "purpose in ('setup_billing', 'update_card')", name=op.f("ck_card_entries_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_card_entries_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_card_entries")),
    )
    op.create_index(
        op.f("ix_card_entries_customer_id"), "card_entries", ["customer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_card_entries_customer_id"), table_name="card_entries")
    op.drop_table("card_entries")
