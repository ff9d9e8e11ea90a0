"""The billing vocabulary: plain records the services reason about and the store keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from billing.calendar import ONE_DAY, day_start, pacific_day
from billing.usage import QuantityChange

TRIAL_DAYS = 14
REACTIVATION_DELAY = timedelta(hours=4)
"""After a payment-method change the charge is retried, and service restored, this much later."""


class Plan(StrEnum):
    ANNUAL = "annual"
    FLEXIBLE = "flexible"


class Status(StrEnum):
    TRIAL = "trial"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    TRANSFERRED = "transferred"
    RESELLER = "reseller"
    """Bought through a partner, who manages and bills it."""


ENDED = frozenset({Status.CANCELLED, Status.EXPIRED, Status.TRANSFERRED})


class SuspensionReason(StrEnum):
    TRIAL_ENDED = "trial_ended"
    NON_PAYMENT = "non_payment"


class RenewalMode(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"
    CANCEL_AT_EXPIRY = "cancel_at_expiry"


class TxKind(StrEnum):
    CHARGE = "charge"
    PAYMENT = "payment"
    CREDIT = "credit"
    CREDIT_APPLIED = "credit_applied"
    REFUND = "refund"
    """Credit paid back through the processor, against one payment (reserved when asked:
    a refund the processor refuses is put back as `credit`)."""
    DISPUTE = "dispute"
    """A payment the card holder disputed: its amount owed again, as a `dispute` invoice."""
    DISPUTE_WON = "dispute_won"
    """The disputed money back from the processor: it settles the dispute invoice."""


class ChargeStatus(StrEnum):
    PENDING = "pending"
    """Recorded, not yet answered by the processor (or its answer not yet applied)."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class InvoiceKind(StrEnum):
    MONTHLY = "monthly"
    DOMAIN = "domain"
    CANCELLATION = "cancellation"
    FINAL = "final"
    DISPUTE = "dispute"
    """The amount of a disputed payment, owed again until the dispute is won."""


class AlertKind(StrEnum):
    TRIAL_ENDING = "trial_ending"
    TRIAL_CONVERTED = "trial_converted"
    TRIAL_ENDED_SUSPENDED = "trial_ended_suspended"
    INVOICE_ISSUED = "invoice_issued"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    SUSPENDED_NON_PAYMENT = "suspended_non_payment"
    REACTIVATED = "reactivated"
    RENEWAL_UPCOMING = "renewal_upcoming"
    CARD_EXPIRING = "card_expiring"
    DOMAIN_RENEWAL_UPCOMING = "domain_renewal_upcoming"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"
    SEATS_LOW = "seats_low"
    SEATS_EXHAUSTED = "seats_exhausted"
    REFUND_FAILED = "refund_failed"
    PAYMENT_DISPUTED = "payment_disputed"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    RECONCILIATION_DIFFERENCE = "reconciliation_difference"
    CARD_SAVED = "card_saved"
    """A card entered on the processor's hosted page is saved."""
    CARD_REENTRY_NEEDED = "card_reentry_needed"
    """A card saved before the processor must be entered again on its page (Stripe mode)."""


@dataclass
class Customer:
    id: int
    domain: str
    currency: str
    created_at: datetime
    reseller: str | None = None
    transferred_at: datetime | None = None

    @property
    def descriptor(self) -> str:
        return descriptor(self.domain)


def descriptor(domain: str, limit: int = 22) -> str:
    """Card statement descriptor GSUITE_{short domain}, cut to the processor's limit (22
    characters for Stripe and for the cards' own)."""
    short = "".join(ch for ch in domain.split(".")[0].upper() if ch.isalnum())
    return f"GSUITE_{short}"[:limit]


@dataclass
class Suspension:
    reason: SuspensionReason
    started_at: datetime
    ended_at: datetime | None = None
    id: int | None = None


@dataclass(slots=True)
class Seat:
    """One licence of a subscription given to a holder (billing.seats names them)."""

    holder: str
    assigned_at: datetime
    perpetual: bool = False
    """A device with a built-in perpetual licence: listed, never paid for."""
    reclaim_since: datetime | None = None
    """Its holder left the workspace: to be released (it still counts as used)."""
    released_at: datetime | None = None
    subscription_id: int | None = None
    id: int | None = None


@dataclass(slots=True)
class Subscription:
    customer_id: int
    key: str
    product: str
    plan: Plan
    price: Decimal
    signed_up_at: datetime
    status: Status
    renewal_mode: RenewalMode = RenewalMode.AUTO
    renewal_licences: int | None = None
    renewal_booked: bool = False
    paid_from: date | None = None
    term_end: date | None = None
    reseller: str | None = None
    cancel_reason: str | None = None
    changes: list[QuantityChange] = field(default_factory=list)
    suspensions: list[Suspension] = field(default_factory=list)
    seats: list[Seat] = field(default_factory=list)
    """The seats held now (released ones are history, in the store)."""
    id: int | None = None

    @property
    def licences(self) -> int:
        return self.changes[-1].quantity if self.changes else 0

    @property
    def seats_used(self) -> int:
        """Named paid seats; those flagged for reclaim still count until released."""
        return sum(1 for seat in self.seats if not seat.perpetual)

    @property
    def trial_last_day(self) -> date:
        return pacific_day(self.signed_up_at) + timedelta(days=TRIAL_DAYS - 1)

    @property
    def trial_end(self) -> datetime:
        """00:00 Pacific on day 15: paid service starts, or the service is suspended."""
        return day_start(self.trial_last_day + ONE_DAY)

    @property
    def suspension(self) -> Suspension | None:
        open_ = [s for s in self.suspensions if s.ended_at is None]
        return open_[-1] if open_ else None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def billed_directly(self) -> bool:
        return self.reseller is None

    def snapshot(self) -> dict[str, Any]:
        """What an audit row shows of a subscription before and after a change."""
        return {
            "subscription": self.key,
            "status": self.status.value,
            "plan": self.plan.value,
            "licences": self.licences,
            "price": str(self.price),
            "term_end": self.term_end.isoformat() if self.term_end else None,
            "renewal_mode": self.renewal_mode.value,
            "renewal_licences": self.renewal_licences,
        }


@dataclass
class Card:
    """A reference to a card: never its number or security code."""

    brand: str
    last4: str
    exp_year: int
    exp_month: int
    customer_id: int = 0
    saved_at: datetime | None = None
    id: int | None = None
    payment_method: str | None = None
    """The processor's id for it; None for a card saved before there was a processor."""

    @property
    def expires(self) -> str:
        return f"{self.exp_year:04d}-{self.exp_month:02d}"

    def valid_on(self, day: date) -> bool:
        """A card works through the last day of its expiry month."""
        return (day.year, day.month) <= (self.exp_year, self.exp_month)

    def describe(self) -> str:
        return card_reference(self.brand, self.last4, self.exp_year, self.exp_month)


def expiry_text(year: int, month: int) -> str:
    """A card's expiry as people read it, month first as cards print it, the year in full:
    "12/2030", the same in English and French (`Card.expires`, "2030-12", is the data)."""
    return f"{month:02d}/{year:04d}"


def card_reference(brand: str, last4: str, year: int, month: int) -> str:
    """A card as every screen shows it: "visa •••• 4242 (12/2030)"."""
    return f"{brand} •••• {last4} ({expiry_text(year, month)})"


@dataclass
class Charge:
    """Money to take through the payment gateway: recorded in the transaction that causes it
    (an invoice issued, a retry, a manual payment) and submitted only after that commits, so
    that a crash can neither charge twice nor forget a charge.

    Its outcome is applied at `requested_at`, the instant of the normative arithmetic: the
    ledger and the alerts read as if the processor had answered at once.
    """

    customer_id: int
    amount: Decimal
    requested_at: datetime
    occasion: str
    """The alerts' occasion: with kind and subject, an alert's identity."""
    invoice: Invoice | None = None
    """None: a manual payment, which settles the oldest unpaid invoices first."""
    attempt: int = 1
    """Charge attempts on the invoice: the first at issue, then each retry or card change."""
    status: ChargeStatus = ChargeStatus.PENDING
    reason: str | None = None
    """Why it failed (billing.gateway.Decline), once failed."""
    processor_id: str | None = None
    settled_at: datetime | None = None
    key: str | None = None
    """The idempotency key sent to the processor, fixed when the request is saved."""
    id: int | None = None
    notify: str | None = None
    """The Slack user whose order asked for it: its alerts tell them directly too."""

    def idempotency_key(self) -> str:
        """SPEC's `charge:<invoice number>:<attempt>`; a manual payment is keyed by its order."""
        if self.invoice is not None:
            return f"charge:{self.invoice.number}:{self.attempt}"
        return f"payment:{self.customer_id}:{self.occasion}"


@dataclass(slots=True)
class InvoiceLine:
    description: str
    amount: Decimal
    quantity_days: int = 0
    subscription_id: int | None = None
    subscription_key: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    plan: Plan | None = None
    """The plan of the line's subscription, which says what its days count: licence-days on
    an annual plan, user-days on a flexible one (not stored: the subscription's own)."""


@dataclass
class Invoice:
    customer_id: int
    kind: InvoiceKind
    key: str
    """Unique per customer: the billing period or occasion, so an invoice is issued once."""
    period_start: date
    period_end: date
    issued_at: datetime
    due_at: datetime
    lines: list[InvoiceLine]
    paid: Decimal = Decimal("0.00")
    paid_at: datetime | None = None
    id: int | None = None

    @cached_property
    def total(self) -> Decimal:
        """An invoice's lines are fixed when it is drafted."""
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def unpaid(self) -> Decimal:
        return self.total - self.paid

    @property
    def number(self) -> str:
        return f"INV-{self.id:06d}" if self.id is not None else "INV-DRAFT"

    @property
    def period(self) -> str:
        if self.kind is InvoiceKind.MONTHLY:
            return self.period_start.strftime("%Y-%m")
        return f"{self.period_start.isoformat()}/{self.period_end.isoformat()}"

    def overdue_at(self, instant: datetime) -> bool:
        return self.unpaid > 0 and self.due_at <= instant


@dataclass
class Transaction:
    customer_id: int
    at: datetime
    kind: TxKind
    amount: Decimal
    invoice: Invoice | None = None
    allocations: list[tuple[Invoice, Decimal]] = field(default_factory=list)
    """For a payment: how much of it settled which invoice; the rest became credit."""
    memo: str = ""
    id: int | None = None
    processor_id: str | None = None
    """For a payment, a refund or a dispute: the processor's charge it is about."""


@dataclass(frozen=True)
class RefundSource:
    """A payment through the processor whose excess became credit, and how much of that
    credit has not been paid back against it yet."""

    transaction_id: int
    processor_id: str
    at: datetime
    refundable: Decimal


@dataclass
class Refund:
    """Credit to pay back through the processor against one payment: recorded with its
    `refund` ledger row (the credit is reserved at once), sent after commit with the key
    `refund:<transaction id>`, its answer applied in a transaction of its own."""

    customer_id: int
    amount: Decimal
    requested_at: datetime
    occasion: str
    charge_id: str
    """The processor's charge (the payment) it pays back."""
    transaction: Transaction
    """Its `refund` ledger row."""
    status: ChargeStatus = ChargeStatus.PENDING
    reason: str | None = None
    refund_id: str | None = None
    settled_at: datetime | None = None
    key: str | None = None
    id: int | None = None
    notify: str | None = None

    def idempotency_key(self) -> str:
        return f"refund:{self.transaction.id}"


@dataclass
class Alert:
    customer_id: int
    kind: AlertKind
    at: datetime
    occasion: str
    """With kind and subject, the alert's identity: the same occasion is never posted twice."""
    subscription: Subscription | None = None
    invoice: Invoice | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    notify: str | None = None
    """A Slack user to tell directly besides the billing channel: whoever caused the alert."""
    id: int | None = None


@dataclass
class DomainRegistration:
    customer_id: int
    domain: str
    price: Decimal
    registered_at: datetime
    next_renewal_on: date
    id: int | None = None

    @property
    def registered_on(self) -> date:
        return pacific_day(self.registered_at)


@dataclass(frozen=True)
class Product:
    """A catalogue entry a new subscription starts from, at the price of the plan chosen."""

    code: str
    name: str
    annual_price: Decimal
    flexible_price: Decimal
    currency: str = "USD"

    def price(self, plan: Plan) -> Decimal:
        return self.annual_price if plan is Plan.ANNUAL else self.flexible_price


@dataclass(frozen=True)
class Balance:
    current_cycle: Decimal
    balance_due: Decimal
    credit: Decimal

    @property
    def total(self) -> Decimal:
        return self.current_cycle + self.balance_due - self.credit


@dataclass(frozen=True)
class Occasion:
    """What an order's rule may need besides the order and its instant: a name for what it
    causes (its alerts' occasion), and the delay of the charge retried after a card change."""

    name: str
    retry_after: timedelta = REACTIVATION_DELAY


@dataclass(frozen=True)
class Change:
    """What a service did: the audit row's action, subject and before/after."""

    action: str
    subject: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    replayed: bool = False
    payment: str | None = None
    """What became of the money the order asked for, once sent: "succeeded", "pending" (no
    answer yet) or "failed" (not audited: the answer comes after the order's transaction)."""
    declined: str | None = None
    """Why the processor declined it (billing.gateway.Decline)."""
