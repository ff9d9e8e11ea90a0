"""many workspaces: slack-sdk's OAuth tables, each installation's settings and admins, the
domain no longer a key

Only additions, and one constraint dropped: a customer's domain is shown, no longer unique
(two installations may share one). The single-workspace customer keeps its `team_id` and
every row; it has no `workspaces` row (its settings stay in the environment). The three
`slack_*` tables are slack-sdk's own (SQLAlchemyInstallationStore, SQLAlchemyOAuthStateStore,
slack-sdk 3.48), written out here so that this revision never changes with the library.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _slack_installations() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("enterprise_url", sa.String(length=200), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        sa.Column("bot_token", sa.String(length=200), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_scopes", sa.String(length=1000), nullable=True),
        sa.Column("bot_refresh_token", sa.String(length=200), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("user_token", sa.String(length=200), nullable=True),
        sa.Column("user_scopes", sa.String(length=1000), nullable=True),
        sa.Column("user_refresh_token", sa.String(length=200), nullable=True),
        sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("incoming_webhook_url", sa.String(length=200), nullable=True),
        sa.Column("incoming_webhook_channel", sa.String(length=200), nullable=True),
        sa.Column("incoming_webhook_channel_id", sa.String(length=200), nullable=True),
        sa.Column("incoming_webhook_configuration_url", sa.String(length=200), nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("token_type", sa.String(length=32), nullable=True),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
        unique=False,
    )


def _slack_bots() -> None:
    op.create_table(
        "slack_bots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        sa.Column("bot_token", sa.String(length=200), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_scopes", sa.String(length=1000), nullable=True),
        sa.Column("bot_refresh_token", sa.String(length=200), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_bots")),
    )
    op.create_index(
        "slack_bots_idx",
        "slack_bots",
        ["client_id", "enterprise_id", "team_id", "installed_at"],
        unique=False,
    )


def _slack_oauth_states() -> None:
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=200), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_oauth_states")),
    )


def _workspaces() -> None:
    op.create_table(
        "workspaces",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("team_id", sa.String(length=20), nullable=True),
        sa.Column("enterprise_id", sa.String(length=20), nullable=True),
        sa.Column("org_install", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("installer", sa.String(length=20), nullable=False),
        sa.Column("installed_at", WHEN, nullable=False),
        sa.Column("uninstalled_at", WHEN, nullable=True),
        sa.Column("billing_channel", sa.String(length=20), nullable=True),
        sa.Column("approvals_channel", sa.String(length=20), nullable=True),
        sa.Column("channel_language", sa.String(length=2), nullable=False),
        sa.CheckConstraint("channel_language in ('en', 'fr')", name=op.f("ck_workspaces_language")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_workspaces_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_workspaces")),
    )
    op.create_table(
        "workspace_admins",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("user_id", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("added_at", WHEN, nullable=False),
        sa.Column("added_by", sa.String(length=60), nullable=False),
        sa.CheckConstraint(
            "role in ('super_admin', 'admin')", name=op.f("ck_workspace_admins_role")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_workspace_admins_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_admins")),
        sa.UniqueConstraint("customer_id", "user_id", name=op.f("uq_workspace_admins_customer_id")),
    )


def upgrade() -> None:
    _slack_installations()
    _slack_bots()
    _slack_oauth_states()
    _workspaces()
    with op.batch_alter_table("customers") as batch:
        batch.drop_constraint(op.f("uq_customers_domain"), type_="unique")
    op.create_index(op.f("ix_customers_domain"), "customers", ["domain"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_customers_domain"), table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.create_unique_constraint(op.f("uq_customers_domain"), ["domain"])
    op.drop_table("workspace_admins")
    op.drop_table("workspaces")
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
