"""payment gateway: charges submitted after commit, processor customers and events, the
sandbox's books

Every charge so far was taken inside the transaction that recorded it, so no charge is
waiting: the new `charges` table starts empty and every ledger row keeps its meaning. Cards
saved before there was a processor keep their reference and get no processor payment-method
id (`processor_method` NULL): in sandbox mode they keep working, in Stripe mode they are to
be re-entered (SPEC "Payments through a processor" 2).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.BigInteger()  # cents (storage.types.Money)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("payment_methods") as batch:
        batch.add_column(sa.Column("processor_method", sa.String(length=100), nullable=True))
    op.create_table(
        "charges",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("occasion", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("processor_id", sa.String(length=100), nullable=True),
        sa.Column("settled_at", WHEN, nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", WHEN, nullable=False),
        sa.Column("first_sent_at", WHEN, nullable=True),
        sa.Column("notify", sa.String(length=30), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_charges_amount")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_charges_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_charges_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charges")),
        sa.UniqueConstraint("key", name=op.f("uq_charges_key")),
        sa.UniqueConstraint("invoice_id", "attempt", name=op.f("uq_charges_invoice_id")),
    )
    op.create_index(op.f("ix_charges_customer_id"), "charges", ["customer_id"], unique=False)
    op.create_index(
        "ix_charges_waiting",
        "charges",
        ["next_try_at"],
        unique=False,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "processor_customers",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("processor_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_processor_customers_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", "gateway", name=op.f("pk_processor_customers")),
    )
    op.create_table(
        "processor_events",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("received_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_processor_events_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processor_events")),
    )
    op.create_table(
        "sandbox_charges",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("charge_id", sa.String(length=40), nullable=False),
        sa.Column("processor_customer", sa.String(length=100), nullable=False),
        sa.Column("payment_method", sa.String(length=100), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sandbox_charges")),
        sa.UniqueConstraint("charge_id", name=op.f("uq_sandbox_charges_charge_id")),
    )
    op.create_table(
        "sandbox_refunds",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("refund_id", sa.String(length=40), nullable=False),
        sa.Column("charge_id", sa.String(length=40), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sandbox_refunds")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_sandbox_refunds_refund_id")),
    )
    op.create_index(
        op.f("ix_sandbox_refunds_charge_id"), "sandbox_refunds", ["charge_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sandbox_refunds_charge_id"), table_name="sandbox_refunds")
    op.drop_table("sandbox_refunds")
    op.drop_table("sandbox_charges")
    op.drop_table("processor_events")
    op.drop_table("processor_customers")
    op.drop_index("ix_charges_waiting", table_name="charges")
    op.drop_index(op.f("ix_charges_customer_id"), table_name="charges")
    op.drop_table("charges")
    with op.batch_alter_table("payment_methods") as batch:
        batch.drop_column("processor_method")
