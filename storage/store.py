"""The SQL implementation of the billing store, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, exists, select
from sqlalchemy.exc import IntegrityError

from billing.account import Account, Retry
from billing.calendar import day_start, pacific_day
from billing.errors import NotFound
from billing.model import Customer, Invoice, Plan, Status
from billing.reminders import CARD_WARNING, DOMAIN_REMINDER, RENEWAL_REMINDERS, TRIAL_REMINDERS
from billing.store import Due
from storage.db import session_factory
from storage.loading import billable_in, customer_of, invoices_of, load_accounts
from storage.models import (
    AlertRow,
    AuditRow,
    CustomerRow,
    DomainRegistrationRow,
    InvoiceRow,
    JobRunRow,
    PaymentMethodRow,
    RetryRow,
    SubscriptionRow,
    TransactionRow,
)
from storage.saving import save_accounts

SERVICE = [Status.ACTIVE.value, Status.SUSPENDED.value]


@dataclass(frozen=True)
class LedgerRow:
    at: datetime
    kind: str
    amount: Decimal
    invoice: str | None


@dataclass(frozen=True)
class AlertRecord:
    id: int
    at: datetime
    kind: str
    subscription: str | None
    invoice: str | None
    facts: dict[str, Any]
    status: str


class SqlStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    # ---- the billing.store.Store protocol ------------------------------------------
    def create_customer(self, domain: str, at: datetime) -> Customer:
        with self.sessions() as session:
            found = session.scalars(select(CustomerRow).where(CustomerRow.domain == domain)).first()
            if found is not None:
                return customer_of(found)
            row = CustomerRow(domain=domain, currency="USD", created_at=at)
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # another replica created it first
                session.rollback()
                row = session.scalars(select(CustomerRow).where(CustomerRow.domain == domain)).one()
            return customer_of(row)

    @contextmanager
    def account(self, customer_id: int, replay_key: str | None = None) -> Iterator[Account]:
        with self.sessions() as session, session.begin():
            row = session.get(CustomerRow, customer_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no customer {customer_id}", field="customer")
            (account,) = load_accounts(session, [row], replay_key=replay_key)
            yield account
            save_accounts(session, [account])

    def monthly_batches(self, month: date, size: int) -> Iterator[Any]:
        last_ids: list[int | None] = []
        after = 0
        while True:
            yield self._monthly_batch(month, size, after, last_ids)
            last = last_ids[-1] if last_ids else None
            if last is None:
                return
            after = last

    @contextmanager
    def _monthly_batch(
        self, month: date, size: int, after: int, last_ids: list[int | None]
    ) -> Iterator[list[Account]]:
        with self.sessions() as session, session.begin():
            billable = exists().where(
                SubscriptionRow.customer_id == CustomerRow.id, billable_in(month)
            )
            query = (
                select(CustomerRow)
                .where(CustomerRow.id > after, billable)
                .order_by(CustomerRow.id)
                .limit(size)
            )
            rows = session.scalars(query.with_for_update() if self.postgres else query).all()
            accounts = load_accounts(session, rows, month=month)
            yield accounts
            save_accounts(session, accounts)
            last_ids.append(rows[-1].id if rows else None)

    def due(self, question: Due, at: datetime) -> list[int]:
        with self.sessions() as session:
            query = _DUE[question](at)
            return sorted(set(session.scalars(query)))

    def due_retries(self, until: datetime) -> list[Retry]:
        with self.sessions() as session:
            rows = session.scalars(
                select(RetryRow)
                .where(RetryRow.done_at.is_(None), RetryRow.due_at <= until)
                .order_by(RetryRow.due_at, RetryRow.id)
            )
            return [Retry(r.customer_id, r.due_at, r.occasion, r.done_at, r.id) for r in rows]

    def next_retry_at(self) -> datetime | None:
        with self.sessions() as session:
            return session.scalars(
                select(RetryRow.due_at)
                .where(RetryRow.done_at.is_(None))
                .order_by(RetryRow.due_at)
                .limit(1)
            ).first()

    # ---- reading -------------------------------------------------------------------
    def find_customer(self, domain: str) -> Customer | None:
        with self.sessions() as session:
            row = session.scalars(select(CustomerRow).where(CustomerRow.domain == domain)).first()
            return customer_of(row) if row else None

    def invoices(self, customer_id: int) -> list[Invoice]:
        with self.sessions() as session:
            rows = session.scalars(
                select(InvoiceRow)
                .where(InvoiceRow.customer_id == customer_id)
                .order_by(InvoiceRow.issued_at, InvoiceRow.id)
            ).all()
            return invoices_of(session, rows)

    def ledger(self, customer_id: int) -> list[LedgerRow]:
        with self.sessions() as session:
            query = (
                select(TransactionRow.at, TransactionRow.kind, TransactionRow.amount, InvoiceRow.id)
                .outerjoin(InvoiceRow, InvoiceRow.id == TransactionRow.invoice_id)
                .where(TransactionRow.customer_id == customer_id)
                .order_by(TransactionRow.at, TransactionRow.id)
            )
            return [
                LedgerRow(at, kind, amount, f"INV-{invoice_id:06d}" if invoice_id else None)
                for at, kind, amount, invoice_id in session.execute(query)
            ]

    def alerts(self, customer_id: int) -> list[AlertRecord]:
        with self.sessions() as session:
            query = (
                select(AlertRow, SubscriptionRow.key)
                .outerjoin(SubscriptionRow, SubscriptionRow.id == AlertRow.subscription_id)
                .where(AlertRow.customer_id == customer_id)
                .order_by(AlertRow.at, AlertRow.id)
            )
            return [
                AlertRecord(
                    row.id,
                    row.at,
                    row.kind,
                    key,
                    f"INV-{row.invoice_id:06d}" if row.invoice_id else None,
                    row.facts,
                    row.status,
                )
                for row, key in session.execute(query)
            ]

    def subscriptions(self, customer_id: int) -> list[Any]:
        with self.account(customer_id) as account:
            return list(account.subscriptions)

    def audit(self, customer_id: int, limit: int = 50) -> list[AuditRow]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(AuditRow)
                    .where(AuditRow.customer_id == customer_id)
                    .order_by(AuditRow.id.desc())
                    .limit(limit)
                )
            )


def _terms_ended(at: datetime) -> Any:
    return select(SubscriptionRow.customer_id).where(
        SubscriptionRow.plan == Plan.ANNUAL.value,
        SubscriptionRow.status.in_(SERVICE),
        SubscriptionRow.term_end < pacific_day(at),
    )


def _trials_ended(at: datetime) -> Any:
    return select(SubscriptionRow.customer_id).where(
        SubscriptionRow.status == Status.TRIAL.value, SubscriptionRow.trial_ends_at <= at
    )


def _domain_renewals(at: datetime) -> Any:
    return (
        select(DomainRegistrationRow.customer_id)
        .join(CustomerRow, CustomerRow.id == DomainRegistrationRow.customer_id)
        .where(
            DomainRegistrationRow.next_renewal_on <= pacific_day(at), CustomerRow.reseller.is_(None)
        )
    )


def _overdue(at: datetime) -> Any:
    active = exists().where(
        SubscriptionRow.customer_id == InvoiceRow.customer_id,
        SubscriptionRow.status == Status.ACTIVE.value,
    )
    return select(InvoiceRow.customer_id).where(
        InvoiceRow.paid_at.is_(None), InvoiceRow.due_at <= at, active
    )


def _reminders(at: datetime) -> Any:
    day = pacific_day(at)
    trial_ends = [day_start(day + timedelta(days=n + 1)) for n in TRIAL_REMINDERS]
    term_ends = [day + timedelta(days=n) for n in RENEWAL_REMINDERS]
    queries = [
        select(SubscriptionRow.customer_id).where(
            SubscriptionRow.status == Status.TRIAL.value,
            SubscriptionRow.trial_ends_at.in_(trial_ends),
        ),
        select(SubscriptionRow.customer_id).where(
            SubscriptionRow.plan == Plan.ANNUAL.value,
            SubscriptionRow.status.in_(SERVICE),
            SubscriptionRow.term_end.in_(term_ends),
        ),
        select(DomainRegistrationRow.customer_id).where(
            DomainRegistrationRow.next_renewal_on == day + DOMAIN_REMINDER
        ),
    ]
    month_after = day + CARD_WARNING
    if month_after.day == 1:
        expiring = month_after - timedelta(days=1)
        queries.append(
            select(PaymentMethodRow.customer_id).where(
                PaymentMethodRow.replaced_at.is_(None),
                PaymentMethodRow.exp_year == expiring.year,
                PaymentMethodRow.exp_month == expiring.month,
            )
        )
    return queries[0].union(*queries[1:])


_DUE = {
    Due.TERMS_ENDED: _terms_ended,
    Due.TRIALS_ENDED: _trials_ended,
    Due.DOMAIN_RENEWALS: _domain_renewals,
    Due.OVERDUE: _overdue,
    Due.REMINDERS: _reminders,
}


class JobLog:
    """Which job occurrences have run: the claim that makes each run once."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def last_finished(self, job: str) -> datetime | None:
        with self.store.sessions() as session:
            return session.scalars(
                select(JobRunRow.occurrence)
                .where(JobRunRow.job == job, JobRunRow.finished_at.is_not(None))
                .order_by(JobRunRow.occurrence.desc())
                .limit(1)
            ).first()

    def start(self, job: str, occurrence: datetime, now: datetime) -> bool:
        """Claim an occurrence; False if it already finished."""
        with self.store.sessions() as session, session.begin():
            row = session.scalars(
                select(JobRunRow).where(JobRunRow.job == job, JobRunRow.occurrence == occurrence)
            ).first()
            if row is not None:
                return row.finished_at is None
            session.add(JobRunRow(job=job, occurrence=occurrence, started_at=now))
            return True

    def finish(self, job: str, occurrence: datetime, now: datetime) -> None:
        with self.store.sessions() as session, session.begin():
            row = session.scalars(
                select(JobRunRow).where(JobRunRow.job == job, JobRunRow.occurrence == occurrence)
            ).one()
            row.finished_at = now
