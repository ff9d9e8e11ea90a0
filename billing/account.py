"""A customer's billing state as one unit of work.

The store loads an Account under the customer's lock; services change it through
these methods only, which keep the in-memory ledger consistent and collect every new
row; the store then writes them in one transaction. Services therefore never see SQL,
and the same code serves one customer's command or a batch of ten thousand invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing.actors import Actor
from billing.approvals import Approval, ApprovalStatus
from billing.errors import NotFound, Refusal
from billing.model import (
    Alert,
    AlertKind,
    Card,
    Change,
    Charge,
    ChargeStatus,
    Customer,
    DomainRegistration,
    Invoice,
    Product,
    Refund,
    RefundSource,
    Seat,
    Status,
    Subscription,
    Suspension,
    SuspensionReason,
    Transaction,
    TxKind,
)
from billing.usage import QuantityChange


@dataclass
class Retry:
    """The one automatic charge retried some hours after a payment-method change."""

    customer_id: int
    due_at: datetime
    occasion: str
    done_at: datetime | None = None
    id: int | None = None


@dataclass
class AuditEntry:
    actor: Actor
    at: datetime
    change: Change
    idempotency_key: str | None = None
    about: Approval | None = None
    """The request the entry is about: its subject is the request, numbered once saved."""


@dataclass
class Pending:
    """Rows to write, in the order they were made."""

    subscriptions: list[Subscription] = field(default_factory=list)
    touched: list[Subscription] = field(default_factory=list)
    changes: list[tuple[Subscription, QuantityChange]] = field(default_factory=list)
    suspensions: list[tuple[Subscription, Suspension]] = field(default_factory=list)
    ended_suspensions: list[Suspension] = field(default_factory=list)
    seats: list[Seat] = field(default_factory=list)
    touched_seats: list[Seat] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    settled: list[Invoice] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    events: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    """Processor events applied: id, gateway, kind, when received."""
    answered_charges: list[Charge] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    answered_refunds: list[Refund] = field(default_factory=list)
    finished_retries: list[Retry] = field(default_factory=list)
    domains: list[DomainRegistration] = field(default_factory=list)
    touched_domains: list[DomainRegistration] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    requests: list[Approval] = field(default_factory=list)
    decisions: list[Approval] = field(default_factory=list)
    products: list[tuple[Product, datetime]] = field(default_factory=list)
    customer: bool = False

    def __bool__(self) -> bool:
        return (
            any(
                bool(getattr(self, name))
                for name in self.__dataclass_fields__
                if name != "customer"
            )
            or self.customer
        )


class Account:
    def __init__(
        self,
        customer: Customer,
        subscriptions: list[Subscription],
        *,
        card: Card | None = None,
        open_invoices: list[Invoice] | None = None,
        invoice_keys: set[str] | None = None,
        credit: Decimal = Decimal("0.00"),
        domains: list[DomainRegistration] | None = None,
        retries: list[Retry] | None = None,
        replays: dict[str, Change] | None = None,
        approvals: list[Approval] | None = None,
        catalogue: list[Product] | None = None,
        charges: list[Charge] | None = None,
        refunds: list[Refund] | None = None,
        refund_sources: list[RefundSource] | None = None,
        won_disputes: set[str] | None = None,
    ) -> None:
        self.customer = customer
        self.subscriptions = subscriptions
        self.card = card
        self.open_invoices = sorted(
            open_invoices or [], key=lambda inv: (inv.issued_at, inv.id or 0)
        )
        self.invoice_keys = set(invoice_keys or ())
        self.credit = credit
        self.domains = domains or []
        self.retries = retries or []
        self.charges = charges or []
        """Charges still pending, and every attempt on an invoice still unpaid."""
        self.refunds = refunds or []
        """Refunds through the processor (one customer's unit of work only)."""
        self.refund_sources = refund_sources or []
        """Payments whose excess credit may still be paid back against them, newest first
        (one customer's unit of work only)."""
        self.won_disputes = set(won_disputes or ())
        """The processor's charges whose dispute was won (one customer's unit of work only)."""
        self.replays = replays or {}
        self.approvals = approvals or []
        """Open requests, and the one filed under the replayed key, if any."""
        self.catalogue = {product.code: product for product in catalogue or []}
        self.pending = Pending()
        self._seat_owner: dict[int, Subscription] = {}
        self._seat_index: dict[int, dict[str, Seat]] = {}
        self._seats_used: dict[int, int] = {}

    # ---- reading -------------------------------------------------------------------
    @property
    def id(self) -> int:
        return self.customer.id

    def subscription(self, key: str) -> Subscription:
        for sub in self.subscriptions:
            if sub.key == key:
                return sub
        raise NotFound(
            "no subscription called “{subscription}”", field="subscription", subscription=key
        )

    def unpaid(self) -> list[Invoice]:
        return [inv for inv in self.open_invoices if inv.unpaid > 0]

    def overdue(self, at: datetime) -> list[Invoice]:
        return [inv for inv in self.open_invoices if inv.overdue_at(at)]

    def balance_due(self) -> Decimal:
        return sum((inv.unpaid for inv in self.open_invoices), Decimal("0.00"))

    # ---- subscriptions -------------------------------------------------------------
    def add_subscription(self, sub: Subscription) -> None:
        self.subscriptions.append(sub)
        self.pending.subscriptions.append(sub)

    def touch(self, sub: Subscription) -> None:
        if sub not in self.pending.subscriptions and sub not in self.pending.touched:
            self.pending.touched.append(sub)

    def set_quantity(self, sub: Subscription, at: datetime, quantity: int) -> None:
        """A new count from `at`; a second count at the same instant in the same unit of
        work replaces the first (one order, row by row, is one change: a CSV import)."""
        change = QuantityChange(at, quantity)
        changes = self.pending.changes
        if changes and changes[-1][0] is sub and changes[-1][1].at == at and sub.changes:
            sub.changes[-1] = change
            changes[-1] = (sub, change)
            return
        sub.changes.append(change)
        changes.append((sub, change))

    def suspend(self, sub: Subscription, reason: SuspensionReason, at: datetime) -> None:
        suspension = Suspension(reason, at)
        sub.suspensions.append(suspension)
        sub.status = Status.SUSPENDED
        self.touch(sub)
        self.pending.suspensions.append((sub, suspension))

    def lift_suspension(self, sub: Subscription, at: datetime) -> Suspension | None:
        suspension = sub.suspension
        if suspension is not None:
            suspension.ended_at = at
            if suspension.id is not None:
                self.pending.ended_suspensions.append(suspension)
        return suspension

    # ---- seats ---------------------------------------------------------------------
    def seat(self, sub: Subscription, holder: str) -> Seat | None:
        """The seat `holder` holds of `sub`, found by name (a file assigns thousands)."""
        index = self._seat_index.get(id(sub))
        if index is None:
            index = self._seat_index[id(sub)] = {seat.holder: seat for seat in sub.seats}
        return index.get(holder)

    def seats_used(self, sub: Subscription) -> int:
        """`sub.seats_used`, counted once per unit of work and then kept up to date."""
        used = self._seats_used.get(id(sub))
        if used is None:
            used = self._seats_used[id(sub)] = sub.seats_used
        return used

    def add_seat(self, sub: Subscription, seat: Seat) -> None:
        used = self.seats_used(sub)
        sub.seats.append(seat)
        self.pending.seats.append(seat)
        self._seat_owner[id(seat)] = sub
        self._seats_used[id(sub)] = used + (0 if seat.perpetual else 1)
        if id(sub) in self._seat_index:
            self._seat_index[id(sub)][seat.holder] = seat

    def release_seat(self, sub: Subscription, seat: Seat, at: datetime) -> None:
        used = self.seats_used(sub)
        position = len(sub.seats) - 1 - sub.seats[::-1].index(seat)
        del sub.seats[position]
        seat.released_at = at
        self._seats_used[id(sub)] = used - (0 if seat.perpetual else 1)
        self._seat_index.get(id(sub), {}).pop(seat.holder, None)
        self._touch_seat(seat)

    def flag_seat(self, seat: Seat, at: datetime) -> None:
        seat.reclaim_since = at
        self._touch_seat(seat)

    def _touch_seat(self, seat: Seat) -> None:
        if seat not in self.pending.seats and seat not in self.pending.touched_seats:
            self.pending.touched_seats.append(seat)

    def seat_owner(self, seat: Seat) -> Subscription:
        """The subscription a new seat belongs to (its id is known only once saved)."""
        return self._seat_owner[id(seat)]

    # ---- cards ---------------------------------------------------------------------
    def replace_card(self, card: Card) -> None:
        self.card = card
        self.pending.cards.append(card)

    # ---- ledger --------------------------------------------------------------------
    def add_invoice(
        self, invoice: Invoice, kind: TxKind = TxKind.CHARGE, processor_id: str | None = None
    ) -> bool:
        """Add an invoice unless one with its key was already issued (idempotency); its
        ledger row is a `charge` (a disputed payment's amount owed again: a `dispute`)."""
        if invoice.key in self.invoice_keys:
            return False
        self.invoice_keys.add(invoice.key)
        self.open_invoices.append(invoice)
        self.pending.invoices.append(invoice)
        self.record(
            Transaction(
                self.id,
                invoice.issued_at,
                kind,
                invoice.total,
                invoice,
                processor_id=processor_id,
            )
        )
        return True

    def record(self, tx: Transaction) -> Transaction:
        """Append a ledger row and keep the derived figures in step with it."""
        if tx.amount <= 0:
            raise ValueError(f"a {tx.kind} must be positive, got {tx.amount}")
        if tx.kind is TxKind.CREDIT:
            self.credit += tx.amount
        elif tx.kind in (TxKind.CREDIT_APPLIED, TxKind.REFUND):
            if tx.amount > self.credit:
                raise ValueError("cannot use more credit than is available")
            self.credit -= tx.amount
        if tx.kind is TxKind.CREDIT_APPLIED and tx.invoice is not None:
            self._settle(tx.invoice, tx.amount, tx.at)
        for invoice, amount in tx.allocations:
            self._settle(invoice, amount, tx.at)
        self.pending.transactions.append(tx)
        return tx

    def _settle(self, invoice: Invoice, amount: Decimal, at: datetime) -> None:
        if amount > invoice.unpaid:
            raise ValueError(f"{amount} exceeds what {invoice.key} still owes")
        invoice.paid += amount
        if invoice.unpaid == 0:
            invoice.paid_at = at
            if invoice not in self.pending.settled:
                self.pending.settled.append(invoice)

    # ---- alerts, audit, retries, domains -------------------------------------------
    def alert(
        self,
        kind: AlertKind,
        at: datetime,
        occasion: str,
        subscription: Subscription | None = None,
        invoice: Invoice | None = None,
        **facts: Any,
    ) -> None:
        self.pending.alerts.append(Alert(self.id, kind, at, occasion, subscription, invoice, facts))

    def audit(
        self,
        actor: Actor,
        at: datetime,
        change: Change,
        key: str | None = None,
        about: Approval | None = None,
    ) -> Change:
        self.pending.audit.append(AuditEntry(actor, at, change, key, about))
        return change

    def discard(self) -> None:
        """Forget every row made so far: an order failed midway, and only what the caller
        records next (the failure) is written."""
        self.pending = Pending()

    # ---- approvals and the catalogue -----------------------------------------------
    def request(self, key: str) -> Approval | None:
        """The request filed under a submission's key, if any."""
        return next((a for a in self.approvals if a.request_key == key), None)

    def approval(self, approval_id: int) -> Approval | None:
        return next((a for a in self.approvals if a.id == approval_id), None)

    def file_request(self, approval: Approval) -> None:
        self.approvals.append(approval)
        self.pending.requests.append(approval)

    def decide(
        self,
        approval: Approval,
        status: ApprovalStatus,
        by: str,
        at: datetime,
        failure: Refusal | None = None,
    ) -> None:
        approval.status = status
        approval.decided_by = approval.decided_by or by
        approval.decided_at = approval.decided_at or at
        approval.failure = failure
        if approval not in self.pending.decisions:
            self.pending.decisions.append(approval)

    def reprice(self, product: Product, at: datetime) -> None:
        self.catalogue[product.code] = product
        self.pending.products.append((product, at))

    def schedule_retry(self, due_at: datetime, occasion: str) -> None:
        retry = Retry(self.id, due_at, occasion)
        self.retries.append(retry)
        self.pending.retries.append(retry)

    def finish_retry(self, retry: Retry, at: datetime) -> None:
        retry.done_at = at
        self.pending.finished_retries.append(retry)

    def request_charge(self, charge: Charge) -> Charge:
        self.charges.append(charge)
        self.pending.charges.append(charge)
        return charge

    def answer_charge(
        self, charge: Charge, status: ChargeStatus, at: datetime, reason: str | None = None
    ) -> None:
        charge.status = status
        charge.reason = reason
        charge.settled_at = at
        if charge.id is not None and charge not in self.pending.answered_charges:
            self.pending.answered_charges.append(charge)

    def note_event(self, event_id: str, gateway: str, kind: str, at: datetime) -> None:
        """A processor event applied in this unit of work: recorded with it, so it is applied
        once (a second one with the same id fails the whole transaction)."""
        self.pending.events.append((event_id, gateway, kind, at))

    def request_refund(self, refund: Refund) -> Refund:
        self.refunds.append(refund)
        self.pending.refunds.append(refund)
        return refund

    def answer_refund(
        self,
        refund: Refund,
        status: ChargeStatus,
        at: datetime,
        reason: str | None = None,
        refund_id: str | None = None,
    ) -> None:
        refund.status = status
        refund.reason = reason
        refund.refund_id = refund_id or refund.refund_id
        refund.settled_at = at
        if refund.id is not None and refund not in self.pending.answered_refunds:
            self.pending.answered_refunds.append(refund)

    def refund_keyed(self, key: str) -> Refund | None:
        return next((r for r in self.refunds if r.key == key), None)

    def charge_keyed(self, key: str) -> Charge | None:
        return next((c for c in self.charges if c.key == key), None)

    def charges_on(self, invoice: Invoice) -> list[Charge]:
        return [c for c in self.charges if c.invoice is invoice]

    def add_domain(self, registration: DomainRegistration) -> None:
        self.domains.append(registration)
        self.pending.domains.append(registration)

    def touch_domain(self, registration: DomainRegistration) -> None:
        if registration.id is not None and registration not in self.pending.touched_domains:
            self.pending.touched_domains.append(registration)

    def touch_customer(self) -> None:
        self.pending.customer = True
