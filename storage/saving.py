"""Accounts to rows: every pending row of a batch of accounts, in a few bulk statements."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import partial
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, BindParameter, Table, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from billing.account import Account, AuditEntry
from billing.model import TxKind
from storage.models import (
    AlertRow,
    AllocationRow,
    ApprovalRow,
    AuditRow,
    Base,
    ChargeRow,
    CustomerRow,
    DomainRegistrationRow,
    InvoiceLineRow,
    InvoiceRow,
    PaymentMethodRow,
    ProcessorEventRow,
    ProductRow,
    QuantityChangeRow,
    RefundRow,
    RetryRow,
    SeatRow,
    SubscriptionRow,
    SuspensionRow,
    TransactionRow,
    table_of,
)


def plain(value: Any) -> Any:
    """JSON-safe copy: exact amounts as strings, dates in ISO 8601."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def audit_row(customer_id: int | None, entry: AuditEntry) -> dict[str, Any]:
    """The audit row of an entry: the one way every part of the bot writes one."""
    change = entry.change
    subject = entry.about.subject if entry.about is not None else change.subject
    return {
        "at": entry.at,
        "actor": str(entry.actor),
        "customer_id": customer_id,
        "action": change.action,
        "subject": subject[:253],
        "before": plain(change.before),
        "after": plain(change.after),
        "idempotency_key": entry.idempotency_key,
    }


COPY_FROM = 100
"""On PostgreSQL, batches at least this large are written with COPY (the invoice run)."""


def _copying(session: Session, rows: Sequence[dict[str, Any]]) -> bool:
    return len(rows) >= COPY_FROM and session.get_bind().dialect.name == "postgresql"


def _copy(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], target: str | None = None
) -> None:
    """COPY rows into `target` (default: the table), through the columns' own type rules."""
    dialect = session.get_bind().dialect
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    converters: list[Callable[[Any], Any] | None] = []
    for column in columns:
        if isinstance(column.type, TypeDecorator):
            converters.append(partial(column.type.process_bind_param, dialect=dialect))
        elif isinstance(column.type, JSON):
            converters.append(lambda v: None if v is None else json.dumps(v))
        else:
            converters.append(None)
    values = itemgetter(*names)
    converting = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    raw = session.connection().connection.driver_connection
    statement = f"COPY {target or table.name} ({', '.join(names)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        write = copy.write_row
        for row in rows:
            line = list(values(row)) if len(names) > 1 else [row[names[0]]]
            for i, convert in converting:
                line[i] = convert(line[i])
            write(line)


def _id_sequence(session: Session, table: str) -> str:
    """The id sequence's qualified name, looked up once per connection: written into the
    statement, it is resolved once rather than for every id drawn."""
    known: dict[str, str] = session.connection().info.setdefault("id_sequences", {})
    if table not in known:
        query = text("SELECT pg_get_serial_sequence(:table, 'id')")
        known[table] = session.execute(query, {"table": table}).scalar_one()
    return known[table]


def insert_returning_ids(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]]
) -> list[int]:
    if not rows:
        return []
    table = table_of(model)
    if _copying(session, rows):
        allocate = text(
            f"SELECT nextval('{_id_sequence(session, table.name)}'::regclass)"
            " FROM generate_series(1, :n)"
        )
        ids = list(session.execute(allocate, {"n": len(rows)}).scalars())
        _copy(
            session, table, [{"id": new_id, **row} for new_id, row in zip(ids, rows, strict=True)]
        )
        return ids
    result = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows)
    )
    return list(result.scalars())


def insert_numbered(
    session: Session, model: type[Base], items: Sequence[tuple[Any, dict[str, Any]]]
) -> None:
    """Insert each item's row and give the domain object its new id."""
    ids = insert_returning_ids(session, model, [row for _, row in items])
    for (thing, _), new_id in zip(items, ids, strict=True):
        thing.id = new_id


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if _copying(session, rows):
        _copy(session, table_of(model), rows)
    else:
        session.execute(insert(table_of(model)), list(rows))


def insert_ignoring_duplicates(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    table = table_of(model)
    if _copying(session, rows):
        staging = f"staging_{table.name}"
        names = ", ".join(rows[0])
        session.execute(
            text(
                f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP"
                f" AS SELECT {names} FROM {table.name} WITH NO DATA"
            )
        )
        _copy(session, table, rows, target=staging)
        session.execute(
            text(
                f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging}"
                " ON CONFLICT DO NOTHING"
            )
        )
        session.execute(text(f"DELETE FROM {staging}"))
        return
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(make(table).on_conflict_do_nothing(), list(rows))


def update_by_id(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    table = table_of(model)
    names = [name for name in rows[0] if name != "id"]
    if _copying(session, rows):
        # COPY into a staging table typed like the target, then one UPDATE ... FROM.
        staging = f"staging_{table.name}_{abs(hash(tuple(names))) % 10**8}"
        session.execute(
            text(
                f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP"
                f" AS SELECT id, {', '.join(names)} FROM {table.name} WITH NO DATA"
            )
        )
        _copy(session, table, rows, target=staging)
        assignments = ", ".join(f"{name} = s.{name}" for name in names)
        session.execute(
            text(
                f"UPDATE {table.name} SET {assignments} FROM {staging} s WHERE {table.name}.id = s.id"
            )
        )
        session.execute(text(f"DELETE FROM {staging}"))
        return
    columns: dict[str, BindParameter[Any]] = {name: bindparam(f"v_{name}") for name in names}
    statement = update(table).where(table.c.id == bindparam("v_id")).values(columns)
    connection = session.connection()
    connection.execute(statement, [{f"v_{k}": v for k, v in row.items()} for row in rows])


def save_accounts(session: Session, accounts: Sequence[Account]) -> None:
    """Write what the services changed; new rows get their ids back on the domain objects."""
    pendings = [(account, account.pending) for account in accounts if account.pending]
    if not pendings:
        return
    update_by_id(
        session,
        CustomerRow,
        [
            {
                "id": a.id,
                "reseller": a.customer.reseller,
                "transferred_at": a.customer.transferred_at,
            }
            for a, p in pendings
            if p.customer
        ],
    )

    new_subs = [sub for _, p in pendings for sub in p.subscriptions]
    insert_numbered(
        session,
        SubscriptionRow,
        [
            (
                s,
                {
                    "customer_id": s.customer_id,
                    "key": s.key,
                    "product": s.product,
                    "plan": s.plan.value,
                    "price": s.price,
                    "signed_up_at": s.signed_up_at,
                    "trial_ends_at": s.trial_end,
                    **_sub_state(s),
                },
            )
            for s in new_subs
        ],
    )
    update_by_id(
        session,
        SubscriptionRow,
        [{"id": s.id, **_sub_state(s)} for _, p in pendings for s in p.touched],
    )
    insert_rows(
        session,
        QuantityChangeRow,
        [
            {"subscription_id": sub.id, "at": change.at, "quantity": change.quantity}
            for _, p in pendings
            for sub, change in p.changes
        ],
    )

    insert_numbered(
        session,
        SeatRow,
        [
            (
                seat,
                {
                    "subscription_id": account.seat_owner(seat).id,
                    "holder": seat.holder,
                    "perpetual": seat.perpetual,
                    "assigned_at": seat.assigned_at,
                    "reclaim_since": seat.reclaim_since,
                    "released_at": seat.released_at,
                },
            )
            for account, p in pendings
            for seat in p.seats
        ],
    )
    update_by_id(
        session,
        SeatRow,
        [
            {"id": seat.id, "reclaim_since": seat.reclaim_since, "released_at": seat.released_at}
            for _, p in pendings
            for seat in p.touched_seats
        ],
    )

    new_suspensions = [(sub, s) for _, p in pendings for sub, s in p.suspensions]
    insert_numbered(
        session,
        SuspensionRow,
        [
            (
                s,
                {
                    "subscription_id": sub.id,
                    "reason": s.reason.value,
                    "started_at": s.started_at,
                    "ended_at": s.ended_at,
                },
            )
            for sub, s in new_suspensions
        ],
    )
    update_by_id(
        session,
        SuspensionRow,
        [{"id": s.id, "ended_at": s.ended_at} for _, p in pendings for s in p.ended_suspensions],
    )

    _save_cards(session, pendings)
    _save_ledger(session, pendings)
    _save_requests_and_catalogue(session, pendings)
    _save_outbox_and_schedule(session, pendings)


def _sub_state(sub: Any) -> dict[str, Any]:
    return {
        "status": sub.status.value,
        "renewal_mode": sub.renewal_mode.value,
        "renewal_licences": sub.renewal_licences,
        "renewal_booked": sub.renewal_booked,
        "paid_from": sub.paid_from,
        "term_end": sub.term_end,
        "reseller": sub.reseller,
        "cancel_reason": sub.cancel_reason,
    }


def _save_cards(session: Session, pendings: Sequence[tuple[Account, Any]]) -> None:
    table = table_of(PaymentMethodRow)
    for account, pending in pendings:
        for card in pending.cards:
            session.execute(
                update(table)
                .where(table.c.customer_id == account.id, table.c.replaced_at.is_(None))
                .values(replaced_at=card.saved_at)
            )
            (card.id,) = insert_returning_ids(
                session,
                PaymentMethodRow,
                [
                    {
                        "customer_id": account.id,
                        "brand": card.brand,
                        "last4": card.last4,
                        "exp_year": card.exp_year,
                        "exp_month": card.exp_month,
                        "saved_at": card.saved_at,
                        "processor_method": card.payment_method,
                    }
                ],
            )


def _save_ledger(session: Session, pendings: Sequence[tuple[Account, Any]]) -> None:
    invoices = [inv for _, p in pendings for inv in p.invoices]
    insert_numbered(
        session,
        InvoiceRow,
        [
            (
                i,
                {
                    "customer_id": i.customer_id,
                    "kind": i.kind.value,
                    "key": i.key,
                    "period_start": i.period_start,
                    "period_end": i.period_end,
                    "issued_at": i.issued_at,
                    "due_at": i.due_at,
                    "paid_at": i.paid_at,
                },
            )
            for i in invoices
        ],
    )
    insert_rows(
        session,
        InvoiceLineRow,
        [
            {
                "invoice_id": inv.id,
                "subscription_id": line.subscription_id,
                "description": line.description,
                "period_start": line.period_start,
                "period_end": line.period_end,
                "quantity_days": line.quantity_days,
                "amount": line.amount,
            }
            for inv in invoices
            for line in inv.lines
        ],
    )
    fresh = {id(inv) for inv in invoices}
    update_by_id(
        session,
        InvoiceRow,
        [
            {"id": inv.id, "paid_at": inv.paid_at}
            for _, p in pendings
            for inv in p.settled
            if id(inv) not in fresh
        ],
    )
    txs = [tx for _, p in pendings for tx in p.transactions]
    insert_numbered(
        session,
        TransactionRow,
        [
            (
                tx,
                {
                    "customer_id": tx.customer_id,
                    "at": tx.at,
                    "kind": tx.kind.value,
                    "amount": tx.amount,
                    "invoice_id": tx.invoice.id if tx.invoice else None,
                    "memo": tx.memo,
                    "processor_id": tx.processor_id,
                },
            )
            for tx in txs
        ],
    )
    allocations = []
    for tx in txs:
        parts = tx.allocations
        if tx.kind is TxKind.CREDIT_APPLIED and tx.invoice is not None:
            parts = [(tx.invoice, tx.amount)]
        allocations += [
            {"transaction_id": tx.id, "invoice_id": inv.id, "amount": amount}
            for inv, amount in parts
        ]
    insert_rows(session, AllocationRow, allocations)
    _save_charges(session, pendings)
    _save_refunds(session, pendings)


def _save_refunds(session: Session, pendings: Sequence[tuple[Account, Any]]) -> None:
    """Refund requests, keyed now that their ledger rows are numbered, and answers to them."""
    refunds = [r for _, p in pendings for r in p.refunds]
    for refund in refunds:
        refund.key = refund.key or refund.idempotency_key()
    insert_numbered(
        session,
        RefundRow,
        [
            (
                r,
                {
                    "customer_id": r.customer_id,
                    "transaction_id": r.transaction.id,
                    "charge_id": r.charge_id,
                    "key": r.key,
                    "amount": r.amount,
                    "requested_at": r.requested_at,
                    "occasion": r.occasion,
                    "status": r.status.value,
                    "reason": r.reason,
                    "refund_id": r.refund_id,
                    "settled_at": r.settled_at,
                    "tries": 0,
                    "next_try_at": r.requested_at,
                    "notify": r.notify,
                },
            )
            for r in refunds
        ],
    )
    update_by_id(
        session,
        RefundRow,
        [
            {
                "id": r.id,
                "status": r.status.value,
                "reason": r.reason,
                "refund_id": r.refund_id,
                "settled_at": r.settled_at,
            }
            for _, p in pendings
            for r in p.answered_refunds
        ],
    )


def _save_charges(session: Session, pendings: Sequence[tuple[Account, Any]]) -> None:
    """Charge requests, keyed now that their invoices are numbered, and answers to them."""
    charges = [c for _, p in pendings for c in p.charges]
    for charge in charges:
        charge.key = charge.key or charge.idempotency_key()
    insert_numbered(
        session,
        ChargeRow,
        [
            (
                c,
                {
                    "customer_id": c.customer_id,
                    "invoice_id": c.invoice.id if c.invoice else None,
                    "attempt": c.attempt,
                    "key": c.key,
                    "amount": c.amount,
                    "requested_at": c.requested_at,
                    "occasion": c.occasion,
                    "status": c.status.value,
                    "reason": c.reason,
                    "processor_id": c.processor_id,
                    "settled_at": c.settled_at,
                    "tries": 0,
                    "next_try_at": c.requested_at,
                    "first_sent_at": None,
                    "notify": c.notify,
                },
            )
            for c in charges
        ],
    )
    insert_rows(
        session,
        ProcessorEventRow,
        [
            {"id": e, "gateway": g, "kind": k, "customer_id": a.id, "received_at": at}
            for a, p in pendings
            for e, g, k, at in p.events
        ],
    )
    update_by_id(
        session,
        ChargeRow,
        [
            {
                "id": c.id,
                "status": c.status.value,
                "reason": c.reason,
                "processor_id": c.processor_id,
                "settled_at": c.settled_at,
            }
            for _, p in pendings
            for c in p.answered_charges
        ],
    )


def _save_requests_and_catalogue(session: Session, pendings: Sequence[tuple[Account, Any]]) -> None:
    """Approval requests filed and decided, and catalogue prices changed (before the audit
    rows, which name a new request by its number)."""
    insert_numbered(
        session,
        ApprovalRow,
        [
            (
                a,
                {
                    "customer_id": a.customer_id,
                    "requested_by": a.requested_by,
                    "requested_at": a.requested_at,
                    "request_key": a.request_key,
                    "action": a.action,
                    "order": plain(a.order),
                    "locale": a.locale,
                    "status": a.status.value,
                },
            )
            for _, p in pendings
            for a in p.requests
        ],
    )
    update_by_id(
        session,
        ApprovalRow,
        [
            {
                "id": a.id,
                "status": a.status.value,
                "decided_by": a.decided_by,
                "decided_at": a.decided_at,
                "failure": a.failure.to_json() if a.failure else None,
            }
            for _, p in pendings
            for a in p.decisions
        ],
    )
    products = table_of(ProductRow)
    for _, pending in pendings:
        for product, at in pending.products:
            session.execute(
                update(products)
                .where(products.c.code == product.code)
                .values(
                    annual_price=product.annual_price,
                    flexible_price=product.flexible_price,
                    updated_at=at,
                )
            )


def _save_outbox_and_schedule(session: Session, pendings: Sequence[tuple[Account, Any]]) -> None:
    insert_ignoring_duplicates(
        session,
        AlertRow,
        [
            {
                "customer_id": a.customer_id,
                "kind": a.kind.value,
                "subject": str(a.subscription.id) if a.subscription else "account",
                "occasion": a.occasion[:120],
                "at": a.at,
                "subscription_id": a.subscription.id if a.subscription else None,
                "invoice_id": a.invoice.id if a.invoice else None,
                "facts": plain(a.facts),
                "notify_user": a.notify,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": a.at,
            }
            for _, p in pendings
            for a in p.alerts
        ],
    )
    retries = [r for _, p in pendings for r in p.retries]
    insert_numbered(
        session,
        RetryRow,
        [
            (
                r,
                {
                    "customer_id": r.customer_id,
                    "due_at": r.due_at,
                    "occasion": r.occasion,
                    "done_at": r.done_at,
                },
            )
            for r in retries
        ],
    )
    update_by_id(
        session,
        RetryRow,
        [{"id": r.id, "done_at": r.done_at} for _, p in pendings for r in p.finished_retries],
    )
    domains = [d for _, p in pendings for d in p.domains]
    insert_numbered(
        session,
        DomainRegistrationRow,
        [
            (
                d,
                {
                    "customer_id": d.customer_id,
                    "domain": d.domain,
                    "price": d.price,
                    "registered_at": d.registered_at,
                    "next_renewal_on": d.next_renewal_on,
                },
            )
            for d in domains
        ],
    )
    update_by_id(
        session,
        DomainRegistrationRow,
        [
            {"id": d.id, "next_renewal_on": d.next_renewal_on}
            for _, p in pendings
            for d in p.touched_domains
        ],
    )
    insert_rows(session, AuditRow, [audit_row(a.id, e) for a, p in pendings for e in p.audit])
    for account, _ in pendings:
        account.pending = type(account.pending)()
