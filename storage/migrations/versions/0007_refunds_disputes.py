"""refunds through the gateway, disputes: a ledger row's processor charge, the refunds table,
the `dispute` and `dispute_won` kinds

Only additions: every existing row keeps its meaning. A `refund` row written before this
revision has no `refunds` row and no `processor_id`: it was paid back outside the processor
(credit refunded by hand), and stays a completed refund. Payments recorded before it have no
`processor_id` either, so their credit cannot go back through the gateway.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.BigInteger()  # cents (storage.types.Money)
WHEN = sa.DateTime(timezone=True)
KINDS = "('charge', 'payment', 'credit', 'credit_applied', 'refund'"
OLD_KINDS = f"kind in {KINDS})"
NEW_KINDS = f"kind in {KINDS}, 'dispute', 'dispute_won')"


def _kinds(old: str, new: str) -> None:
    """The ledger's kinds. SQLite cannot alter a CHECK constraint, and copying the table (a
    batch) would break the foreign keys of `allocations` and `refunds` that point at it: its
    definition is rewritten in place instead, as SQLite documents for changes that leave the
    stored rows as they are (every existing kind stays valid)."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_transactions_kind"), "transactions", type_="check")
        op.create_check_constraint(op.f("ck_transactions_kind"), "transactions", new)
        return
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = replace(sql, :old, :new)"
            " WHERE type = 'table' AND name = 'transactions'"
        ),
        {"old": old, "new": new},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    op.add_column("transactions", sa.Column("processor_id", sa.String(length=100), nullable=True))
    _kinds(OLD_KINDS, NEW_KINDS)
    op.create_index("ix_transactions_processor_id", "transactions", ["processor_id"], unique=False)
    op.create_table(
        "refunds",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("transaction_id", ID, nullable=False),
        sa.Column("charge_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("occasion", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("refund_id", sa.String(length=100), nullable=True),
        sa.Column("settled_at", WHEN, nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", WHEN, nullable=False),
        sa.Column("notify", sa.String(length=30), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_refunds_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_refunds_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("key", name=op.f("uq_refunds_key")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_refunds_transaction_id")),
    )
    op.create_index(op.f("ix_refunds_customer_id"), "refunds", ["customer_id"], unique=False)
    op.create_index(op.f("ix_refunds_charge_id"), "refunds", ["charge_id"], unique=False)
    op.create_index(
        "ix_refunds_waiting",
        "refunds",
        ["next_try_at"],
        unique=False,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_refunds_waiting", table_name="refunds")
    op.drop_index(op.f("ix_refunds_charge_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_customer_id"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index("ix_transactions_processor_id", table_name="transactions")
    _kinds(NEW_KINDS, OLD_KINDS)
    op.drop_column("transactions", "processor_id")
