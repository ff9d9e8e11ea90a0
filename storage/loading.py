"""Rows to Accounts: a handful of set-based queries however many customers are loaded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Row,
    Select,
    and_,
    any_,
    bindparam,
    case,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from billing.account import Account, Retry
from billing.approvals import OPEN, Approval, ApprovalStatus
from billing.calendar import ONE_DAY, day_start, month_end
from billing.errors import Refusal
from billing.gateway import Decline
from billing.model import (
    Card,
    Change,
    Charge,
    ChargeStatus,
    Customer,
    DomainRegistration,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    Plan,
    Product,
    Refund,
    RefundSource,
    RenewalMode,
    Seat,
    Status,
    Subscription,
    Suspension,
    SuspensionReason,
    Transaction,
    TxKind,
)
from billing.usage import QuantityChange
from storage.models import (
    AllocationRow,
    ApprovalRow,
    AuditRow,
    ChargeRow,
    CustomerRow,
    DomainRegistrationRow,
    InvoiceLineRow,
    InvoiceRow,
    PaymentMethodRow,
    ProductRow,
    QuantityChangeRow,
    RefundRow,
    RetryRow,
    SeatRow,
    SubscriptionRow,
    SuspensionRow,
    TransactionRow,
)
from storage.types import Money

ZERO = Decimal("0.00")
ENDED = [s.value for s in (Status.CANCELLED, Status.EXPIRED, Status.TRANSFERRED)]
Ts = TypeVarTuple("Ts")
CoreRow = Row[*tuple[Any, ...]]
"""A row of a whole table selected on the Core path: its columns are attributes (typed Any)."""


def among(
    session: Session, column: InstrumentedAttribute[int], ids: Sequence[int]
) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL one array parameter instead of thousands of them,
    which the driver would otherwise parse in every batch's queries."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    return column.in_(ids)


def fetch(session: Session, query: Select[*Ts]) -> Sequence[Row[*Ts]]:
    """All rows at once, on the Core path (no ORM result machinery, no per-row fetch)."""
    return session.connection().execute(query).all()


def customer_of(row: CustomerRow | CoreRow) -> Customer:
    return Customer(
        row.id, row.domain, row.currency, row.created_at, row.reseller, row.transferred_at
    )


PLANS = {plan.value: plan for plan in Plan}
STATUSES = {status.value: status for status in Status}
MODES = {mode.value: mode for mode in RenewalMode}


S = SubscriptionRow
SUBSCRIPTION_COLUMNS = (
    S.customer_id, S.key, S.product, S.plan, S.price, S.signed_up_at, S.status, S.renewal_mode,
    S.renewal_licences, S.renewal_booked, S.paid_from, S.term_end, S.reseller, S.cancel_reason,
    S.id,
)  # fmt: skip
"""In the order of Subscription's fields, so that a row unpacks into one (by position:
named access to a row's columns costs more than building the subscription)."""


def subscription_of(row: Sequence[Any]) -> Subscription:
    (
        customer_id, key, product, plan, price, signed_up_at, status, mode,
        renewal_licences, renewal_booked, paid_from, term_end, reseller, cancel_reason, sub_id,
    ) = row  # fmt: skip
    return Subscription(
        customer_id, key, product, PLANS[plan], price, signed_up_at, STATUSES[status],
        MODES[mode], renewal_licences, renewal_booked, paid_from, term_end, reseller,
        cancel_reason, id=sub_id,
    )  # fmt: skip


def seat_of(row: CoreRow) -> Seat:
    return Seat(
        row.holder,
        row.assigned_at,
        perpetual=row.perpetual,
        reclaim_since=row.reclaim_since,
        released_at=row.released_at,
        subscription_id=row.subscription_id,
        id=row.id,
    )


def card_of(row: PaymentMethodRow | CoreRow) -> Card:
    return Card(
        row.brand,
        row.last4,
        row.exp_year,
        row.exp_month,
        row.customer_id,
        row.saved_at,
        row.id,
        row.processor_method,
    )


def billable_in(month: date) -> ColumnElement[bool]:
    """Subscriptions that may have billable days in `month`."""
    return and_(
        SubscriptionRow.paid_from <= month_end(month),
        SubscriptionRow.reseller.is_(None),
        or_(SubscriptionRow.status.not_in(ENDED), SubscriptionRow.term_end >= month),
    )


def load_accounts(
    session: Session,
    customers: Sequence[CustomerRow | CoreRow],
    *,
    month: date | None = None,
    replay_key: str | None = None,
    requests: bool = False,
) -> list[Account]:
    """Accounts for `customers`; with `month`, only what that month's invoice run needs;
    with `requests`, their open approval requests and the catalogue too (one customer's
    unit of work, where an order may decide a request or change a price)."""
    ids = [row.id for row in customers]
    in_ids = among(session, SubscriptionRow.customer_id, ids)
    sub_filter = and_(in_ids, billable_in(month)) if month else in_ids
    subs = [
        subscription_of(row)
        for row in fetch(
            session,
            select(*SUBSCRIPTION_COLUMNS).where(sub_filter).order_by(SubscriptionRow.id),
        )
    ]
    by_id = {sub.id: sub for sub in subs}

    changes = (
        select(QuantityChangeRow.subscription_id, QuantityChangeRow.at, QuantityChangeRow.quantity)
        .join(SubscriptionRow, SubscriptionRow.id == QuantityChangeRow.subscription_id)
        .where(sub_filter)
    )
    if month:
        changes = changes.where(QuantityChangeRow.at < day_start(month_end(month) + ONE_DAY))
    for sub_id, at, quantity in fetch(
        session, changes.order_by(QuantityChangeRow.at, QuantityChangeRow.id)
    ):
        by_id[sub_id].changes.append(QuantityChange(at, quantity))

    suspensions = (
        select(SuspensionRow.__table__)
        .join(SubscriptionRow, SubscriptionRow.id == SuspensionRow.subscription_id)
        .where(sub_filter)
    )
    if month:
        suspensions = suspensions.where(
            or_(SuspensionRow.ended_at.is_(None), SuspensionRow.ended_at >= day_start(month))
        )
    for row in fetch(session, suspensions.order_by(SuspensionRow.started_at, SuspensionRow.id)):
        by_id[row.subscription_id].suspensions.append(
            Suspension(SuspensionReason(row.reason), row.started_at, row.ended_at, row.id)
        )

    if month is None:  # a month's invoices need no seats: they bill counts, not names
        for row in fetch(
            session,
            select(SeatRow.__table__)
            .join(SubscriptionRow, SubscriptionRow.id == SeatRow.subscription_id)
            .where(in_ids, SeatRow.released_at.is_(None))
            .order_by(SeatRow.id),
        ):
            by_id[row.subscription_id].seats.append(seat_of(row))

    subs_of: dict[int, list[Subscription]] = defaultdict(list)
    for sub in subs:
        subs_of[sub.customer_id].append(sub)
    cards = {
        row.customer_id: card_of(row)
        for row in fetch(
            session,
            select(PaymentMethodRow.__table__).where(
                among(session, PaymentMethodRow.customer_id, ids),
                PaymentMethodRow.replaced_at.is_(None),
            ),
        )
    }
    credits = credit_by_customer(session, ids)
    keys = invoice_keys(session, ids, f"monthly:{month:%Y-%m}" if month else None)
    full = month is None
    invoices = open_invoices(session, ids) if full else {}
    domains = registrations(session, ids) if full else {}
    retries = pending_retries(session, ids) if full else {}
    charges = charges_of(session, ids, invoices) if full else {}
    replays = replay(session, ids[0], replay_key) if replay_key and len(ids) == 1 else {}
    approvals = open_approvals(session, ids, replay_key) if requests else {}
    products = catalogue(session) if requests else []
    refunds = refunds_of(session, ids) if requests else {}
    sources = refund_sources(session, ids) if requests else {}
    won = won_disputes(session, ids) if requests else {}
    return [
        Account(
            customer_of(row),
            subs_of.get(row.id, []),
            card=cards.get(row.id),
            open_invoices=invoices.get(row.id, []),
            invoice_keys=keys.get(row.id, set()),
            credit=credits.get(row.id, ZERO),
            domains=domains.get(row.id, []),
            retries=retries.get(row.id, []),
            charges=charges.get(row.id, []),
            replays=replays,
            approvals=approvals.get(row.id, []),
            catalogue=products,
            refunds=refunds.get(row.id, []),
            refund_sources=sources.get(row.id, []),
            won_disputes=won.get(row.id, set()),
        )
        for row in customers
    ]


def refunds_of(session: Session, ids: Sequence[int]) -> dict[int, list[Refund]]:
    """Every refund through the processor (a few per customer): a late webhook may fail one
    that the processor had first accepted."""
    found: dict[int, list[Refund]] = defaultdict(list)
    rows = fetch(
        session,
        select(RefundRow.__table__, TransactionRow.at, TransactionRow.memo)
        .join(TransactionRow, TransactionRow.id == RefundRow.transaction_id)
        .where(among(session, RefundRow.customer_id, ids))
        .order_by(RefundRow.id),
    )
    for row in rows:
        tx = Transaction(
            row.customer_id,
            row.at,
            TxKind.REFUND,
            row.amount,
            memo=row.memo,
            id=row.transaction_id,
            processor_id=row.charge_id,
        )
        found[row.customer_id].append(
            Refund(
                row.customer_id,
                row.amount,
                row.requested_at,
                row.occasion,
                row.charge_id,
                tx,
                ChargeStatus(row.status),
                row.reason,
                row.refund_id,
                row.settled_at,
                row.key,
                row.id,
                row.notify,
            )
        )
    return found


def refund_sources(session: Session, ids: Sequence[int]) -> dict[int, list[RefundSource]]:
    """Payments through the processor whose excess became credit, less what was refunded
    against them (refunds that failed gave their credit back), newest first."""
    settled = (
        select(func.coalesce(func.sum(AllocationRow.amount), 0))
        .where(AllocationRow.transaction_id == TransactionRow.id)
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(RefundRow.amount), 0))
        .where(
            RefundRow.charge_id == TransactionRow.processor_id,
            RefundRow.status != ChargeStatus.FAILED.value,
        )
        .scalar_subquery()
    )
    rows = fetch(
        session,
        select(
            TransactionRow.customer_id,
            TransactionRow.id,
            TransactionRow.processor_id,
            TransactionRow.at,
            TransactionRow.amount,
            type_coerce(settled, Money()),
            type_coerce(refunded, Money()),
        )
        .where(
            among(session, TransactionRow.customer_id, ids),
            TransactionRow.kind == TxKind.PAYMENT.value,
            TransactionRow.processor_id.is_not(None),
        )
        .order_by(TransactionRow.at.desc(), TransactionRow.id.desc()),
    )
    found: dict[int, list[RefundSource]] = defaultdict(list)
    for customer_id, tx_id, charge_id, at, amount, used, paid_back in rows:
        left: Decimal = amount - used - paid_back
        if left > 0 and charge_id is not None:
            found[customer_id].append(RefundSource(tx_id, charge_id, at, left))
    return found


def won_disputes(session: Session, ids: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for customer_id, charge_id in fetch(
        session,
        select(TransactionRow.customer_id, TransactionRow.processor_id).where(
            among(session, TransactionRow.customer_id, ids),
            TransactionRow.kind == TxKind.DISPUTE_WON.value,
        ),
    ):
        if charge_id is not None:
            found[customer_id].add(charge_id)
    return found


def credit_by_customer(session: Session, ids: Sequence[int]) -> dict[int, Decimal]:
    """Unapplied credit: credits created less credit applied and refunded."""
    signed = case(
        (TransactionRow.kind == "credit", TransactionRow.amount),
        (TransactionRow.kind.in_(("credit_applied", "refund")), -TransactionRow.amount),
        else_=0,
    )
    query = (
        select(TransactionRow.customer_id, type_coerce(func.sum(signed), Money()))
        .where(
            among(session, TransactionRow.customer_id, ids),
            TransactionRow.kind.in_(("credit", "credit_applied", "refund")),
        )
        .group_by(TransactionRow.customer_id)
    )
    return {cid: total for cid, total in fetch(session, query)}


def invoice_keys(session: Session, ids: Sequence[int], only: str | None) -> dict[int, set[str]]:
    query = select(InvoiceRow.customer_id, InvoiceRow.key).where(
        among(session, InvoiceRow.customer_id, ids)
    )
    if only is not None:
        query = query.where(InvoiceRow.key == only)
    keys: dict[int, set[str]] = defaultdict(set)
    for cid, key in fetch(session, query):
        keys[cid].add(key)
    return keys


def invoices_of(session: Session, rows: Sequence[InvoiceRow | CoreRow]) -> list[Invoice]:
    """Invoices with their lines and what has been paid on each."""
    ids = [row.id for row in rows]
    lines: dict[int, list[InvoiceLine]] = defaultdict(list)
    subscriptions = {
        sub_id: (key, PLANS[plan])
        for sub_id, key, plan in fetch(
            session,
            select(SubscriptionRow.id, SubscriptionRow.key, SubscriptionRow.plan)
            .join(InvoiceLineRow, InvoiceLineRow.subscription_id == SubscriptionRow.id)
            .where(among(session, InvoiceLineRow.invoice_id, ids)),
        )
    }
    for line in fetch(
        session,
        select(InvoiceLineRow.__table__)
        .where(among(session, InvoiceLineRow.invoice_id, ids))
        .order_by(InvoiceLineRow.id),
    ):
        key, plan = subscriptions.get(line.subscription_id, (None, None))
        lines[line.invoice_id].append(
            InvoiceLine(
                line.description,
                line.amount,
                line.quantity_days,
                line.subscription_id,
                key,
                line.period_start,
                line.period_end,
                plan,
            )
        )
    paid = dict(
        session.connection()
        .execute(
            select(AllocationRow.invoice_id, type_coerce(func.sum(AllocationRow.amount), Money()))
            .where(among(session, AllocationRow.invoice_id, ids))
            .group_by(AllocationRow.invoice_id)
        )
        .all()
    )
    return [
        Invoice(
            customer_id=row.customer_id,
            kind=InvoiceKind(row.kind),
            key=row.key,
            period_start=row.period_start,
            period_end=row.period_end,
            issued_at=row.issued_at,
            due_at=row.due_at,
            lines=lines[row.id],
            paid=paid.get(row.id, ZERO),
            paid_at=row.paid_at,
            id=row.id,
        )
        for row in rows
    ]


def open_invoices(session: Session, ids: Sequence[int]) -> dict[int, list[Invoice]]:
    rows = fetch(
        session,
        select(InvoiceRow.__table__)
        .where(among(session, InvoiceRow.customer_id, ids), InvoiceRow.paid_at.is_(None))
        .order_by(InvoiceRow.issued_at, InvoiceRow.id),
    )
    found: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in invoices_of(session, rows):
        found[invoice.customer_id].append(invoice)
    return found


def registrations(session: Session, ids: Sequence[int]) -> dict[int, list[DomainRegistration]]:
    found: dict[int, list[DomainRegistration]] = defaultdict(list)
    rows = fetch(
        session,
        select(DomainRegistrationRow.__table__)
        .where(among(session, DomainRegistrationRow.customer_id, ids))
        .order_by(DomainRegistrationRow.id),
    )
    for row in rows:
        found[row.customer_id].append(
            DomainRegistration(
                row.customer_id,
                row.domain,
                row.price,
                row.registered_at,
                row.next_renewal_on,
                row.id,
            )
        )
    return found


def charges_of(
    session: Session, ids: Sequence[int], open_by_customer: dict[int, list[Invoice]]
) -> dict[int, list[Charge]]:
    """Charges still pending or waiting for the payer's authentication, and every attempt on
    an invoice still unpaid (its attempts are numbered on, and the last one says whether a
    retry may follow)."""
    invoices = {inv.id: inv for found in open_by_customer.values() for inv in found}
    rows = fetch(
        session,
        select(ChargeRow.__table__)
        .where(
            among(session, ChargeRow.customer_id, ids),
            or_(
                ChargeRow.status == ChargeStatus.PENDING.value,
                ChargeRow.reason == Decline.AUTHENTICATION_REQUIRED.value,
                ChargeRow.invoice_id.in_(
                    select(InvoiceRow.id).where(
                        among(session, InvoiceRow.customer_id, ids), InvoiceRow.paid_at.is_(None)
                    )
                ),
            ),
        )
        .order_by(ChargeRow.id),
    )
    missing = {row.invoice_id for row in rows if row.invoice_id is not None} - set(invoices)
    if missing:  # paid meanwhile (a manual payment) while its charge was still on its way
        paid = fetch(session, select(InvoiceRow.__table__).where(InvoiceRow.id.in_(missing)))
        invoices.update((inv.id, inv) for inv in invoices_of(session, paid))
    found: dict[int, list[Charge]] = defaultdict(list)
    for row in rows:
        found[row.customer_id].append(
            Charge(
                row.customer_id,
                row.amount,
                row.requested_at,
                row.occasion,
                invoices[row.invoice_id] if row.invoice_id is not None else None,
                row.attempt,
                ChargeStatus(row.status),
                row.reason,
                row.processor_id,
                row.settled_at,
                row.key,
                row.id,
                row.notify,
            )
        )
    return found


def pending_retries(session: Session, ids: Sequence[int]) -> dict[int, list[Retry]]:
    found: dict[int, list[Retry]] = defaultdict(list)
    rows = fetch(
        session,
        select(RetryRow.__table__)
        .where(among(session, RetryRow.customer_id, ids), RetryRow.done_at.is_(None))
        .order_by(RetryRow.due_at),
    )
    for row in rows:
        found[row.customer_id].append(
            Retry(row.customer_id, row.due_at, row.occasion, row.done_at, row.id)
        )
    return found


def approval_of(row: ApprovalRow | CoreRow) -> Approval:
    return Approval(
        customer_id=row.customer_id,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        request_key=row.request_key,
        action=row.action,
        order=dict(row.order or {}),
        locale=row.locale,
        status=ApprovalStatus(row.status),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        failure=Refusal.from_json(row.failure) if row.failure else None,
        channel=row.channel,
        message_ts=row.message_ts,
        id=row.id,
    )


def open_approvals(
    session: Session, ids: Sequence[int], key: str | None
) -> dict[int, list[Approval]]:
    """Requests still to decide or apply, and the one filed under `key` (however decided)."""
    table = ApprovalRow.__table__
    wanted: ColumnElement[bool] = ApprovalRow.status.in_([status.value for status in OPEN])
    if key is not None:
        wanted = or_(wanted, ApprovalRow.request_key == key)
    found: dict[int, list[Approval]] = defaultdict(list)
    query = select(table).where(among(session, ApprovalRow.customer_id, ids), wanted)
    for row in fetch(session, query.order_by(ApprovalRow.id)):
        found[row.customer_id].append(approval_of(row))
    return found


def product_of(row: ProductRow | CoreRow) -> Product:
    return Product(row.code, row.name, row.annual_price, row.flexible_price, row.currency)


def catalogue(session: Session) -> list[Product]:
    rows = fetch(session, select(ProductRow.__table__).order_by(ProductRow.name))
    return [product_of(row) for row in rows]


def replay(session: Session, customer_id: int, key: str) -> dict[str, Change]:
    row = (
        session.connection()
        .execute(
            select(AuditRow.__table__).where(
                AuditRow.customer_id == customer_id, AuditRow.idempotency_key == key
            )
        )
        .first()
    )
    return {} if row is None else {key: Change(row.action, row.subject, row.before, row.after)}
