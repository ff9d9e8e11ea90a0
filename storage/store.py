"""The SQL implementation of the billing store, on SQLite or PostgreSQL."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import (
    BindParameter,
    Engine,
    and_,
    bindparam,
    exists,
    func,
    insert,
    select,
    text,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError

from billing.account import Account, AuditEntry, Retry
from billing.actors import Actor
from billing.approvals import Approval, ApprovalStatus
from billing.calendar import day_start, pacific_day
from billing.catalogue import ProductEdit, revise
from billing.errors import NotFound
from billing.history import AlertRecord, AuditPage, AuditRecord, LedgerEntry
from billing.model import Change, Customer, Invoice, Plan, Product, Status
from billing.reminders import CARD_WARNING, DOMAIN_REMINDER, RENEWAL_REMINDERS, TRIAL_REMINDERS
from billing.store import Due
from storage.db import make_engine, reading, session_factory
from storage.loading import (
    among,
    approval_of,
    billable_in,
    catalogue,
    customer_of,
    invoices_of,
    load_accounts,
    product_of,
)
from storage.models import (
    AlertRow,
    ApprovalRow,
    AuditRow,
    CustomerRow,
    DomainRegistrationRow,
    InvoiceRow,
    JobRunRow,
    PaymentMethodRow,
    ProductRow,
    RetryRow,
    SubscriptionRow,
    TransactionRow,
    table_of,
)
from storage.parallel import default_workers, share
from storage.saving import audit_row, insert_ignoring_duplicates, save_accounts

SERVICE = [Status.ACTIVE.value, Status.SUSPENDED.value]


class SqlStore:
    def __init__(self, engine: Engine, *, workers: int | None = None) -> None:
        """`workers`: processes that share a monthly run's batches with this one on
        PostgreSQL (default: half the cores; 0: none)."""
        self.engine = engine
        self.sessions = session_factory(engine)
        self.reads = reading(engine)
        """For single statements that only read: on SQLite, no lock and no transaction."""
        self.read_sessions = session_factory(reading(engine, "snapshot"))
        """For reads of several statements, which must see one state (an account)."""
        self.workers = default_workers() if workers is None else workers

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    # ---- the billing.store.Store protocol ------------------------------------------
    def create_customer(self, domain: str, at: datetime) -> Customer:
        """The account of `domain`, made if there is none: an account of no workspace, as
        `licensebot simulate` and the benchmarks open them, one process at a time (a domain
        is no key since workspaces are customers: migration 0008)."""
        with self.sessions() as session:
            found = session.scalars(
                select(CustomerRow).where(CustomerRow.domain == domain).order_by(CustomerRow.id)
            ).first()
            if found is not None:
                return customer_of(found)
            row = CustomerRow(domain=domain, currency="USD", created_at=at)
            session.add(row)
            session.commit()
            return customer_of(row)

    def customer_for_team(self, team_id: str, domain: str, at: datetime) -> Customer | None:
        """The workspace's customer, created on first use under `domain` (or adopting the
        customer of that domain no workspace has yet); None when the domain is another
        workspace's, so nobody here may act on it."""
        table = table_of(CustomerRow)
        with self.reads.connect() as connection:
            row = connection.execute(select(table).where(table.c.team_id == team_id)).first()
        if row is not None:
            return customer_of(row)
        try:
            with self.engine.begin() as connection:
                taken = connection.execute(
                    select(table.c.id, table.c.team_id).where(table.c.domain == domain).limit(1)
                ).first()
                if taken is None:
                    connection.execute(
                        insert(table),
                        {"domain": domain, "currency": "USD", "created_at": at, "team_id": team_id},
                    )
                elif taken.team_id is None:  # the domain's customer, before any workspace
                    connection.execute(
                        update(table).where(table.c.id == taken.id).values(team_id=team_id)
                    )
        except IntegrityError:  # the same workspace's first request, twice at once
            pass
        with self.reads.connect() as connection:
            row = connection.execute(select(table).where(table.c.team_id == team_id)).first()
        return customer_of(row) if row is not None else None

    def approval_posted(self, customer_id: int, approval_id: int, channel: str, ts: str) -> None:
        """Where a request's message is, so that its decision updates it."""
        table = table_of(ApprovalRow)
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == approval_id, table.c.customer_id == customer_id)
                .values(channel=channel, message_ts=ts)
            )

    def interrupted_approvals(self) -> list[Approval]:
        """Requests release 1f2cbf2 approved and never applied, oldest first."""
        table = table_of(ApprovalRow)
        query = (
            select(table)
            .where(table.c.status == ApprovalStatus.APPROVED.value)
            .order_by(table.c.decided_at, table.c.id)
        )
        with self.reads.connect() as connection:
            return [approval_of(row) for row in connection.execute(query)]

    def stamp(self, customer_id: int) -> int | None:
        with self.reads.connect() as connection:
            return connection.execute(_STAMP, {"customer_id": customer_id}).scalar()

    @contextmanager
    def account(
        self, customer_id: int, replay_key: str | None = None, *, write: bool = True
    ) -> Iterator[Account]:
        sessions = self.sessions if write else self.read_sessions
        with sessions() as session, session.begin():
            row = session.get(CustomerRow, customer_id, with_for_update=write)
            if row is None:
                raise NotFound(f"no customer {customer_id}", field="customer")
            (account,) = load_accounts(session, [row], replay_key=replay_key, requests=True)
            yield account
            if write:
                save_accounts(session, [account])

    def for_monthly_batches(
        self, month: date, size: int, rule: Callable[[list[Account]], int]
    ) -> int:
        """Apply `rule` to every account billable in `month`, one locked batch per transaction.

        On PostgreSQL worker processes take some of the batches (the work is mostly
        Python); SQLite has a single writer, so its batches run one after another.
        """
        billable = exists().where(SubscriptionRow.customer_id == CustomerRow.id, billable_in(month))
        with self.reads.connect() as connection:
            query = select(CustomerRow.id).where(billable).order_by(CustomerRow.id)
            ids = list(connection.execute(query).scalars())
        chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
        if not self.postgres or not self.workers or len(chunks) < 2:
            return sum(self._batch(chunk, rule, month) for chunk in chunks)
        url = self.engine.url.render_as_string(hide_password=False)
        return share(
            chunks,
            lambda chunk: self._batch(chunk, rule, month),
            partial(_batch_in_worker, url, rule=rule, month=month),
            self.workers,
        )

    def for_accounts(
        self, customer_ids: list[int], rule: Callable[[list[Account]], int], size: int
    ) -> int:
        return self._in_batches(sorted(customer_ids), size, lambda chunk: self._batch(chunk, rule))

    def _in_batches(self, ids: list[int], size: int, work: Callable[[list[int]], int]) -> int:
        chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
        if not self.postgres or len(chunks) < 2:
            return sum(work(chunk) for chunk in chunks)
        with ThreadPoolExecutor(max_workers=2) as pool:
            return sum(pool.map(work, chunks))

    def _batch(
        self, ids: list[int], rule: Callable[[list[Account]], int], month: date | None = None
    ) -> int:
        """Lock the customers (in id order, so batches never deadlock), load, apply, write."""
        with collector_paused(), self.sessions() as session, session.begin():
            query = (
                select(CustomerRow.__table__)
                .where(among(session, CustomerRow.id, ids))
                .order_by(CustomerRow.id)
            )
            locked = query.with_for_update() if self.postgres else query
            rows = session.connection().execute(locked).all()
            accounts = load_accounts(session, rows, month=month)
            done = rule(accounts)
            save_accounts(session, accounts)
            return done

    def due(self, question: Due, at: datetime) -> list[int]:
        # Core, not the ORM: this runs several times for every simulated day.
        with self.reads.connect() as connection:
            rows = connection.execute(_DUE[question], _due_parameters(question, at))
            return sorted(set(rows.scalars()))

    def due_retries(self, until: datetime) -> list[Retry]:
        table = RetryRow.__table__
        query = (
            select(table)
            .where(table.c.done_at.is_(None), table.c.due_at <= until)
            .order_by(table.c.due_at, table.c.id)
        )
        with self.reads.connect() as connection:
            return [
                Retry(r.customer_id, r.due_at, r.occasion, r.done_at, r.id)
                for r in connection.execute(query)
            ]

    def next_retry_at(self) -> datetime | None:
        table = RetryRow.__table__
        query = select(func.min(table.c.due_at)).where(table.c.done_at.is_(None))
        with self.reads.connect() as connection:
            return connection.execute(query).scalar()

    # ---- reading -------------------------------------------------------------------
    def customer(self, customer_id: int) -> Customer | None:
        with self.read_sessions() as session:
            row = session.get(CustomerRow, customer_id)
            return customer_of(row) if row else None

    def invoices(self, customer_id: int) -> list[Invoice]:
        with self.read_sessions() as session:
            rows = session.scalars(
                select(InvoiceRow)
                .where(InvoiceRow.customer_id == customer_id)
                .order_by(InvoiceRow.issued_at, InvoiceRow.id)
            ).all()
            return invoices_of(session, rows)

    def invoice(self, customer_id: int, number: str) -> Invoice | None:
        """One invoice by its number, with its lines and what was paid on it."""
        if not number.startswith("INV-") or not number[4:].isdigit():
            return None
        with self.read_sessions() as session:
            row = session.get(InvoiceRow, int(number[4:]))
            if row is None or row.customer_id != customer_id:
                return None
            return invoices_of(session, [row])[0]

    def ledger(self, customer_id: int, invoice: str | None = None) -> list[LedgerEntry]:
        with self.read_sessions() as session:
            query = (
                select(TransactionRow.at, TransactionRow.kind, TransactionRow.amount, InvoiceRow.id)
                .outerjoin(InvoiceRow, InvoiceRow.id == TransactionRow.invoice_id)
                .where(TransactionRow.customer_id == customer_id)
                .order_by(TransactionRow.at, TransactionRow.id)
            )
            if invoice is not None:
                query = query.where(TransactionRow.invoice_id == int(invoice.removeprefix("INV-")))
            return [
                LedgerEntry(at, kind, amount, f"INV-{invoice_id:06d}" if invoice_id else None)
                for at, kind, amount, invoice_id in session.execute(query)
            ]

    def alerts(self, customer_id: int) -> list[AlertRecord]:
        with self.read_sessions() as session:
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

    def audit(self, customer_id: int, page: AuditPage) -> list[AuditRecord]:
        """The page's rows, newest first, and one more if older rows remain."""
        query = select(AuditRow).where(AuditRow.customer_id == customer_id)
        if page.before is not None:
            query = query.where(AuditRow.id < page.before)
        if page.subject is not None:
            query = query.where(AuditRow.subject == page.subject)
        if page.actor is not None:
            query = query.where(AuditRow.actor == str(page.actor))
        with self.read_sessions() as session:
            rows = session.scalars(query.order_by(AuditRow.id.desc()).limit(page.limit + 1))
            return [
                AuditRecord(
                    row.at,
                    Actor.parse(row.actor),
                    row.action,
                    row.subject,
                    row.before,
                    row.after,
                    row.id,
                )
                for row in rows
            ]

    def approval(self, customer_id: int, approval_id: int) -> Approval | None:
        with self.reads.connect() as connection:
            found = {"id": approval_id, "customer_id": customer_id}
            row = connection.execute(_APPROVAL, found).first()
        return approval_of(row) if row is not None else None

    def approvals(self, customer_id: int) -> list[Approval]:
        table = table_of(ApprovalRow)
        query = (
            select(table)
            .where(
                table.c.customer_id == customer_id, table.c.status == ApprovalStatus.PENDING.value
            )
            .order_by(table.c.id)
        )
        with self.reads.connect() as connection:
            return [approval_of(row) for row in connection.execute(query)]

    def products(self) -> list[Product]:
        with self.read_sessions() as session:
            return catalogue(session)

    def revise_catalogue(
        self, edits: Sequence[ProductEdit], at: datetime, actor: Actor
    ) -> list[Change]:
        """The operator's changes to the catalogue, each with its audit row (for no customer),
        in one transaction: all of them, or none when one cannot be made (CatalogueError)."""
        products, audit = table_of(ProductRow), table_of(AuditRow)
        codes = sorted({edit.code for edit in edits})
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(products).where(products.c.code.in_(codes)).with_for_update()
            )
            current = {row.code: product_of(row) for row in rows}
            changes = []
            for edit in edits:
                known = current.get(edit.code)
                product, change = revise(known, edit)
                values = {
                    "name": product.name,
                    "annual_price": product.annual_price,
                    "flexible_price": product.flexible_price,
                    "currency": product.currency,
                    "updated_at": at,
                }
                if known is None:
                    connection.execute(insert(products), {"code": product.code, **values})
                else:
                    connection.execute(
                        update(products).where(products.c.code == product.code).values(**values)
                    )
                connection.execute(insert(audit), audit_row(None, AuditEntry(actor, at, change)))
                current[edit.code] = product
                changes.append(change)
            return changes


@contextmanager
def collector_paused() -> Iterator[None]:
    """A batch makes a few hundred thousand short-lived objects, all freed by reference
    counting; the cycle collector would otherwise rescan them many times over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_worker_stores: dict[str, SqlStore] = {}


def _batch_in_worker(
    url: str, ids: list[int], *, rule: Callable[[list[Account]], int], month: date
) -> int:
    """One batch of a monthly run, in a worker process (one engine per process)."""
    store = _worker_stores.get(url)
    if store is None:
        store = _worker_stores[url] = SqlStore(make_engine(url), workers=0)
    return store._batch(ids, rule, month)


def _due_queries() -> dict[Due, Any]:
    """The daily questions, built once with bound parameters (they run for every day)."""
    day: BindParameter[date] = bindparam("day")
    at: BindParameter[datetime] = bindparam("at")
    sub, inv = SubscriptionRow, InvoiceRow
    reg, card = DomainRegistrationRow, PaymentMethodRow
    in_service = and_(sub.plan == Plan.ANNUAL.value, sub.status.in_(SERVICE))
    active = exists().where(sub.customer_id == inv.customer_id, sub.status == Status.ACTIVE.value)
    reminders = union(
        select(sub.customer_id).where(
            sub.status == Status.TRIAL.value,
            sub.trial_ends_at.in_(bindparam("trial_ends", expanding=True)),
        ),
        select(sub.customer_id).where(
            in_service, sub.term_end.in_(bindparam("term_ends", expanding=True))
        ),
        select(reg.customer_id).where(reg.next_renewal_on == bindparam("renews_on")),
        select(card.customer_id).where(
            card.replaced_at.is_(None),
            card.exp_year == bindparam("exp_year"),
            card.exp_month == bindparam("exp_month"),
        ),
    )
    return {
        Due.TERMS_ENDED: select(sub.customer_id).where(in_service, sub.term_end < day),
        Due.TRIALS_ENDED: select(sub.customer_id).where(
            sub.status == Status.TRIAL.value, sub.trial_ends_at <= at
        ),
        Due.DOMAIN_RENEWALS: select(reg.customer_id)
        .join(CustomerRow, CustomerRow.id == reg.customer_id)
        .where(reg.next_renewal_on <= day, CustomerRow.reseller.is_(None)),
        Due.OVERDUE: select(inv.customer_id).where(inv.paid_at.is_(None), inv.due_at <= at, active),
        Due.UNPAID: select(inv.customer_id).where(inv.paid_at.is_(None)),
        Due.REMINDERS: reminders,
    }


def _due_parameters(question: Due, at: datetime) -> dict[str, Any]:
    day = pacific_day(at)
    if question is not Due.REMINDERS:
        return {"day": day, "at": at}
    expiring = day + CARD_WARNING - timedelta(days=1)  # a card's warning day is 30 days
    warn = (day + CARD_WARNING).day == 1  # before the 1st after its expiry month
    return {
        "trial_ends": [day_start(day + timedelta(days=n + 1)) for n in TRIAL_REMINDERS],
        "term_ends": [day + timedelta(days=n) for n in RENEWAL_REMINDERS],
        "renews_on": day + DOMAIN_REMINDER,
        "exp_year": expiring.year if warn else 0,
        "exp_month": expiring.month if warn else 0,
    }


_DUE = _due_queries()
_STAMP = select(func.max(AuditRow.id)).where(AuditRow.customer_id == bindparam("customer_id"))
"""Built once: every screen asks it."""
_APPROVAL = select(table_of(ApprovalRow)).where(
    ApprovalRow.id == bindparam("id"), ApprovalRow.customer_id == bindparam("customer_id")
)
"""Built once: every click on Approve or Deny asks it."""


class JobLog:
    """Which job occurrences have finished. A job is idempotent, so an occurrence cut short
    by a crash simply runs again; only a finished one is recorded, and only once."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.table = JobRunRow.__table__

    def last_finished(self, job: str) -> datetime | None:
        query = select(func.max(self.table.c.occurrence)).where(self.table.c.job == job)
        with self.store.reads.connect() as connection:
            return connection.execute(query).scalar()

    def finished(self, job: str, occurrence: datetime) -> bool:
        query = select(self.table.c.id).where(
            self.table.c.job == job, self.table.c.occurrence == occurrence
        )
        with self.store.reads.connect() as connection:
            return connection.execute(query).first() is not None

    @contextmanager
    def hold(self, job: str, occurrence: datetime) -> Iterator[bool]:
        """Whether this process may run the occurrence now. On PostgreSQL an advisory lock
        keeps a second replica out while the first runs it; SQLite runs one scheduler."""
        if not self.store.postgres:
            yield True
            return
        key = f"{job}:{occurrence.isoformat()}"
        with self.store.engine.connect() as connection:
            mine = connection.execute(
                text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": key}
            ).scalar()
            connection.commit()
            try:
                yield bool(mine)
            finally:
                if mine:
                    connection.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": key})
                    connection.commit()

    def record(self, job: str, occurrence: datetime, started: datetime, finished: datetime) -> None:
        with self.store.sessions() as session, session.begin():
            insert_ignoring_duplicates(
                session,
                JobRunRow,
                [
                    {
                        "job": job,
                        "occurrence": occurrence,
                        "started_at": started,
                        "finished_at": finished,
                    }
                ],
            )
