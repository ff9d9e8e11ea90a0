"""The tables. Balances are not stored: they are sums over `transactions`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import Money, Price, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        Decimal: Money(),
        dict[str, Any]: JSON(),
    }


def table_of(model: type[Base]) -> Table:
    """The model's Table: SQLAlchemy types `__table__` as any FromClause, but a model
    declared with `__tablename__` always maps a Table, which insert() and update() need."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class CustomerRow(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), index=True)
    """Shown, not a key: two installations may share one."""
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime]
    reseller: Mapped[str | None] = mapped_column(String(100))
    transferred_at: Mapped[datetime | None]
    team_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    """The installation this customer is: a workspace's id (T…), or an Enterprise Grid org's
    (E…) when the bot is installed org-wide."""


class WorkspaceRow(Base):
    """An installation through OAuth (one per customer): where its alerts and requests go,
    who installed it, and whether it still is. Single-workspace mode has none: its settings
    are the environment's."""

    __tablename__ = "workspaces"
    __table_args__ = (CheckConstraint("channel_language in ('en', 'fr')", name="language"),)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(20))
    """None for an org-wide install."""
    enterprise_id: Mapped[str | None] = mapped_column(String(20))
    org_install: Mapped[bool]
    name: Mapped[str] = mapped_column(String(200))
    installer: Mapped[str] = mapped_column(String(20))
    installed_at: Mapped[datetime]
    uninstalled_at: Mapped[datetime | None]
    """Set while the app is uninstalled: nothing is delivered, the books go on."""
    billing_channel: Mapped[str | None] = mapped_column(String(20))
    approvals_channel: Mapped[str | None] = mapped_column(String(20))
    channel_language: Mapped[str] = mapped_column(String(2), default="en")


class WorkspaceAdminRow(Base):
    """Who may act for an installed customer: its super-admins and admins, set from Slack."""

    __tablename__ = "workspace_admins"
    __table_args__ = (
        UniqueConstraint("customer_id", "user_id"),
        CheckConstraint("role in ('super_admin', 'admin')", name="role"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    user_id: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(12))
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(60))


class ProductRow(Base):
    """The catalogue a new subscription starts from; super-admins edit its prices."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    annual_price: Mapped[Decimal] = mapped_column(Price())
    flexible_price: Mapped[Decimal] = mapped_column(Price())
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    updated_at: Mapped[datetime]


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("customer_id", "key"),
        Index("ix_subscriptions_status_trial_ends_at", "status", "trial_ends_at"),
        Index("ix_subscriptions_status_term_end", "status", "term_end"),
        CheckConstraint("plan in ('annual', 'flexible')", name="plan"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    product: Mapped[str] = mapped_column(String(100))
    plan: Mapped[str] = mapped_column(String(10))
    price: Mapped[Decimal] = mapped_column(Price())
    signed_up_at: Mapped[datetime]
    trial_ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12))
    renewal_mode: Mapped[str] = mapped_column(String(20))
    renewal_licences: Mapped[int | None]
    renewal_booked: Mapped[bool] = mapped_column(default=False)
    paid_from: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    reseller: Mapped[str | None] = mapped_column(String(100))
    cancel_reason: Mapped[str | None] = mapped_column(String(40))


class QuantityChangeRow(Base):
    __tablename__ = "quantity_changes"
    __table_args__ = (
        Index("ix_quantity_changes_subscription_at", "subscription_id", "at"),
        CheckConstraint("quantity >= 0", name="quantity"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    at: Mapped[datetime]
    quantity: Mapped[int]


class SeatRow(Base):
    """A licence given to a holder; a released seat is kept as history. A holder has at
    most one seat held per subscription: a unique index over the seats not released."""

    __tablename__ = "seats"
    __table_args__ = (
        Index(
            "ix_seats_held",
            "subscription_id",
            "holder",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
        Index("ix_seats_holder", "holder"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    holder: Mapped[str] = mapped_column(String(300))
    perpetual: Mapped[bool] = mapped_column(default=False)
    assigned_at: Mapped[datetime]
    reclaim_since: Mapped[datetime | None]
    released_at: Mapped[datetime | None]


class SuspensionRow(Base):
    __tablename__ = "suspensions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class PaymentMethodRow(Base):
    """A card by reference only: brand, last 4 digits and expiry; never a number or code."""

    __tablename__ = "payment_methods"
    __table_args__ = (
        CheckConstraint("length(last4) = 4", name="last4"),
        CheckConstraint("exp_month between 1 and 12", name="exp_month"),
        Index(
            "uq_payment_methods_current",
            "customer_id",
            unique=True,
            sqlite_where=text("replaced_at IS NULL"),
            postgresql_where=text("replaced_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    brand: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    exp_year: Mapped[int]
    exp_month: Mapped[int]
    saved_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]
    processor_method: Mapped[str | None] = mapped_column(String(100))
    """The processor's payment-method id; None for a card saved before there was one."""


class InvoiceRow(Base):
    """An issued invoice; its total is the sum of its lines, its payments are allocations."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("customer_id", "key"),
        Index("ix_invoices_unpaid", "paid_at", "due_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(120))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime]
    due_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"))
    description: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    quantity_days: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[Decimal]


class TransactionRow(Base):
    """The ledger: charge, payment, credit, credit_applied, refund, dispute, dispute_won;
    amounts always positive."""

    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(
            "kind in ('charge', 'payment', 'credit', 'credit_applied', 'refund', 'dispute',"
            " 'dispute_won')",
            name="kind",
        ),
        Index("ix_transactions_customer_at", "customer_id", "at"),
        Index("ix_transactions_processor_id", "processor_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    memo: Mapped[str] = mapped_column(String(100), default="")
    processor_id: Mapped[str | None] = mapped_column(String(100))
    """The processor's charge a payment, refund or dispute is about (NULL: before there was
    a processor, or a movement of credit)."""


class AllocationRow(Base):
    """How much of a payment or applied credit settled which invoice."""

    __tablename__ = "allocations"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal]


class AlertRow(Base):
    """The outbox: an alert is written with the change that causes it, once per occasion."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "subject", "occasion", name="once"),
        Index("ix_alerts_undelivered", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(60))
    occasion: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    facts: Mapped[dict[str, Any]]
    notify_user: Mapped[str | None] = mapped_column(String(20))
    """The Slack user told directly besides the channel: whoever caused the alert."""
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class RetryRow(Base):
    __tablename__ = "charge_retries"
    __table_args__ = (
        UniqueConstraint("customer_id", "occasion"),
        Index("ix_charge_retries_due", "done_at", "due_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    due_at: Mapped[datetime]
    occasion: Mapped[str] = mapped_column(String(80))
    done_at: Mapped[datetime | None]


class ChargeRow(Base):
    """Money requested through the payment gateway, submitted after its transaction commits;
    `key` is the processor's idempotency key, so a resent attempt never charges twice."""

    __tablename__ = "charges"
    __table_args__ = (
        UniqueConstraint("key"),
        UniqueConstraint("invoice_id", "attempt"),
        CheckConstraint("amount > 0", name="amount"),
        Index(
            "ix_charges_waiting",
            "next_try_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    attempt: Mapped[int]
    key: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    requested_at: Mapped[datetime]
    occasion: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(40))
    processor_id: Mapped[str | None] = mapped_column(String(100))
    settled_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(default=0)
    """Submissions that got no answer (timeouts, outages): the back-off grows with them."""
    next_try_at: Mapped[datetime]
    first_sent_at: Mapped[datetime | None]
    """When the key was first sent: past the processor's key lifetime, look it up first."""
    notify: Mapped[str | None] = mapped_column(String(30))
    """The Slack user whose order asked for it, told of the outcome directly."""


class RefundRow(Base):
    """Credit paid back through the payment gateway, one per `refund` ledger row, submitted
    after its transaction commits; `key` (refund:<transaction id>) is the processor's
    idempotency key. A `refund` row without one was paid back before there was a processor."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("key"),
        UniqueConstraint("transaction_id"),
        CheckConstraint("amount > 0", name="amount"),
        Index(
            "ix_refunds_waiting",
            "next_try_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"))
    charge_id: Mapped[str] = mapped_column(String(100), index=True)
    key: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    requested_at: Mapped[datetime]
    occasion: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(100))
    refund_id: Mapped[str | None] = mapped_column(String(100))
    settled_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime]
    notify: Mapped[str | None] = mapped_column(String(30))


class ProcessorCustomerRow(Base):
    """The payment processor's customer for an account, one per gateway."""

    __tablename__ = "processor_customers"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20), primary_key=True)
    processor_id: Mapped[str] = mapped_column(String(100))


class ProcessorEventRow(Base):
    """A processor's notification, applied once: its id is the key (a redelivery, or two
    replicas receiving it, meets this row and changes nothing)."""

    __tablename__ = "processor_events"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    received_at: Mapped[datetime]


class CardEntryRow(Base):
    """A link to the processor's hosted card page, asked for in Slack: single use (`used_at`)
    and expiring; its random `state` comes back with the completed set-up and says whose
    account the card is for and who asked."""

    __tablename__ = "card_entries"
    __table_args__ = (
        CheckConstraint("purpose in ('setup_billing', 'update_card')", name="purpose"),
    )
    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SandboxChargeRow(Base):
    """The sandbox gateway's own books: one row per idempotency key, as a processor keeps
    them, so that tests can count what was really charged."""

    __tablename__ = "sandbox_charges"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    charge_id: Mapped[str] = mapped_column(String(40), unique=True)
    processor_customer: Mapped[str] = mapped_column(String(100))
    payment_method: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    succeeded: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class SandboxRefundRow(Base):
    __tablename__ = "sandbox_refunds"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(40), unique=True)
    charge_id: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    succeeded: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class DomainRegistrationRow(Base):
    __tablename__ = "domain_registrations"
    __table_args__ = (UniqueConstraint("customer_id", "domain"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    domain: Mapped[str] = mapped_column(String(253))
    price: Mapped[Decimal] = mapped_column(Price())
    registered_at: Mapped[datetime]
    next_renewal_on: Mapped[date] = mapped_column(Date, index=True)


class AuditRow(Base):
    """Who changed what, when, before and after; also the record of idempotency keys."""

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("customer_id", "idempotency_key"),
        Index("ix_audit_log_customer_at", "customer_id", "at"),
        Index("ix_audit_log_customer_latest", "customer_id", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(60))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(253))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))


class ApprovalRow(Base):
    """A change an admin asked for, waiting for a super-admin; decided once, in the database."""

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(
            "status in ('pending', 'approved', 'denied', 'applied', 'failed')", name="status"
        ),
        Index("ix_approvals_customer_status", "customer_id", "status"),
        UniqueConstraint("customer_id", "request_key"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    requested_by: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime]
    request_key: Mapped[str] = mapped_column(String(200))
    """The form submission it came from: a double submission makes one request."""
    action: Mapped[str] = mapped_column(String(40))
    order: Mapped[dict[str, Any]]
    locale: Mapped[str] = mapped_column(String(10), default="en")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(20))
    decided_at: Mapped[datetime | None]
    failure: Mapped[dict[str, Any] | None]
    """Why an approved order could not be applied: a refusal's template and values."""
    channel: Mapped[str | None] = mapped_column(String(20))
    message_ts: Mapped[str | None] = mapped_column(String(30))


class JobRunRow(Base):
    """One row per scheduled job occurrence: the claim that makes it run once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "occurrence"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    occurrence: Mapped[datetime]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


# slack-sdk's own tables for OAuth (installations, bots, OAuth states), in the same metadata
# so that the migrations are checked against them and tests create them.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(
    Base.metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, SQLAlchemyOAuthStateStore.default_table_name
)
