"""one name per order, approvals decided with their outcome, the person an alert tells

- alerts.notify_user: the Slack user an alert also goes to, moved out of facts["actor"];
- audit_log: an index finding a customer's latest row (the stamp a cached overview checks);
- approvals: a request key is unique per customer; the reason a request failed is kept as
  a refusal (template and values, shown in each reader's language) instead of a sentence
  in one language, older sentences kept as they were written; the order once called
  "refund" is "refund_credit".

Requests that release 1f2cbf2 approved but never applied are applied when this release
starts (services.approvals), with the rules, which a migration must not run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SLACK = "slack:"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_user", sa.String(length=20), nullable=True))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_customer_latest", ["customer_id", "id"], unique=False)
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure", sa.JSON(), nullable=True))
        batch_op.drop_constraint("uq_approvals_request_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_approvals_customer_id", ["customer_id", "request_key"]
        )
    connection = op.get_bind()
    _move_actors(connection)
    _keep_failures(connection)
    connection.execute(
        sa.text("UPDATE approvals SET action = 'refund_credit' WHERE action = 'refund'")
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_column("outcome")


def _move_actors(connection: sa.Connection) -> None:
    alerts = sa.table(
        "alerts", sa.column("id"), sa.column("facts", sa.JSON()), sa.column("notify_user")
    )
    for row in connection.execute(sa.select(alerts.c.id, alerts.c.facts)).all():
        facts = dict(_json(row.facts) or {})
        actor = facts.pop("actor", None)
        if actor is None:
            continue
        user = actor.removeprefix(SLACK) if str(actor).startswith(SLACK) else None
        connection.execute(
            alerts.update().where(alerts.c.id == row.id).values(facts=facts, notify_user=user)
        )


def _keep_failures(connection: sa.Connection) -> None:
    """A failed request's reason was written as a sentence: it is kept, word for word."""
    approvals = sa.table(
        "approvals",
        sa.column("id"),
        sa.column("status"),
        sa.column("outcome"),
        sa.column("failure", sa.JSON()),
    )
    rows = connection.execute(
        sa.select(approvals.c.id, approvals.c.outcome).where(
            approvals.c.status == "failed", approvals.c.outcome.is_not(None)
        )
    ).all()
    for row in rows:
        failure = {"template": "{text}", "params": {"text": row.outcome}, "amounts": []}
        connection.execute(
            approvals.update().where(approvals.c.id == row.id).values(failure=failure)
        )


def downgrade() -> None:
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.Text(), nullable=True))
    connection = op.get_bind()
    connection.execute(
        sa.text("UPDATE approvals SET action = 'refund' WHERE action = 'refund_credit'")
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_constraint("uq_approvals_customer_id", type_="unique")
        batch_op.create_unique_constraint("uq_approvals_request_key", ["request_key"])
        batch_op.drop_column("failure")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_customer_latest")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("notify_user")
