"""What the services need from storage, and nothing about how it is done."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from billing.account import Account, Retry
from billing.approvals import Approval
from billing.history import AlertRecord, AuditPage, AuditRecord, LedgerEntry
from billing.model import Customer, Invoice, Product


class Due(StrEnum):
    """Questions a daily job asks: which customers may need it today?"""

    TERMS_ENDED = "terms_ended"
    TRIALS_ENDED = "trials_ended"
    DOMAIN_RENEWALS = "domain_renewals"
    OVERDUE = "overdue"
    UNPAID = "unpaid"
    """Customers with an invoice still unpaid (the optional retry schedule)."""
    REMINDERS = "reminders"


class Store(Protocol):
    """Units of work on customers' accounts."""

    def create_customer(self, domain: str, at: datetime) -> Customer:
        """The customer for `domain`, created if new."""
        ...

    def customer_for_team(self, team_id: str, domain: str, at: datetime) -> Customer | None:
        """The Slack workspace's customer, created on first use under `domain`; None when the
        domain already belongs to another workspace."""
        ...

    def approval_posted(self, customer_id: int, approval_id: int, channel: str, ts: str) -> None:
        """Where a request's message was posted, so that its decision updates it."""
        ...

    def interrupted_approvals(self) -> list[Approval]:
        """Requests an older release approved and never applied, oldest first."""
        ...

    def stamp(self, customer_id: int) -> int | None:
        """The customer's latest audit row: every change to an account writes one in the
        same transaction, so while the stamp is the same, the books are."""
        ...

    def account(
        self, customer_id: int, replay_key: str | None = None, *, write: bool = True
    ) -> AbstractContextManager[Account]:
        """The customer's account under its lock; its pending rows are written on a clean exit,
        and nothing is written if the block raises.

        With `replay_key`, what was recorded under that idempotency key is loaded: the change
        in `account.replays`, a request filed under it among `account.approvals`. With
        `write=False` nothing is locked or written: a view, or a dry run whose changes are
        thrown away.
        """
        ...

    def for_monthly_batches(
        self, month: date, size: int, rule: Callable[[list[Account]], int]
    ) -> int:
        """Apply `rule` to the accounts billable in `month`, a locked batch at a time, and
        write what it changed; returns the sum of what `rule` returned. `rule` must be a
        picklable value (not a closure): batches may be applied in worker processes."""
        ...

    def for_accounts(
        self, customer_ids: list[int], rule: Callable[[list[Account]], int], size: int
    ) -> int:
        """Apply `rule` to these customers' accounts, a locked batch at a time, writing what
        it changed; returns the sum of what `rule` returned."""
        ...

    def due(self, question: Due, at: datetime) -> list[int]:
        """Customer ids that may need the daily job asking `question` at `at`."""
        ...

    def due_retries(self, until: datetime) -> list[Retry]:
        """Charge retries not yet done and due at or before `until`, oldest first."""
        ...


class Reader(Protocol):
    """What screens and reports read; every read is one customer's."""

    def customer(self, customer_id: int) -> Customer | None: ...

    def invoices(self, customer_id: int) -> list[Invoice]: ...

    def invoice(self, customer_id: int, number: str) -> Invoice | None: ...

    def ledger(self, customer_id: int, invoice: str | None = None) -> list[LedgerEntry]: ...

    def alerts(self, customer_id: int) -> list[AlertRecord]: ...

    def audit(self, customer_id: int, page: AuditPage) -> list[AuditRecord]:
        """The page's rows, newest first, and one more if older rows remain."""
        ...

    def approval(self, customer_id: int, approval_id: int) -> Approval | None: ...

    def approvals(self, customer_id: int) -> list[Approval]:
        """Requests still open, oldest first."""
        ...

    def products(self) -> list[Product]: ...


@dataclass(frozen=True)
class WaitingCharge:
    """What the worker sends to the processor for one charge."""

    id: int
    customer_id: int
    key: str
    amount: Decimal
    currency: str
    domain: str
    requested_at: datetime
    tries: int
    first_sent_at: datetime | None
    card: tuple[str, str, int, int, str | None] | None
    """The card on file now: brand, last 4, expiry year and month, processor id."""


@dataclass(frozen=True)
class WaitingRefund:
    """What the worker sends to the processor for one refund."""

    id: int
    customer_id: int
    key: str
    charge_id: str
    amount: Decimal
    currency: str
    requested_at: datetime
    tries: int


@runtime_checkable
class RefundQueue(Protocol):
    """Refunds waiting for the processor, read and rescheduled without loading an account."""

    def waiting_refunds(
        self, now: datetime, limit: int, customer_id: int | None = None
    ) -> list[WaitingRefund]: ...

    def postpone_refund(self, refund: WaitingRefund, retry_at: datetime) -> None: ...


class ChargeQueue(Protocol):
    """Charges waiting for the processor, read and rescheduled without loading an account."""

    def waiting(
        self, now: datetime, limit: int, customer_id: int | None = None
    ) -> list[WaitingCharge]:
        """Pending charges due to be sent at `now`, oldest first."""
        ...

    def postpone(self, charge: WaitingCharge, sent_at: datetime, retry_at: datetime) -> None:
        """No answer came: send the same key again at `retry_at`."""
        ...

    def sent(self, charge: WaitingCharge, sent_at: datetime) -> None:
        """The key went out: its age now counts against the processor's key lifetime."""
        ...

    def processor_customer(self, customer_id: int, gateway: str) -> str | None: ...

    def outcomes(self, charge_ids: list[int]) -> list[tuple[str, str | None]]:
        """Each charge's status and, once failed, why (billing.gateway.Decline)."""
        ...

    def keep_processor_customer(self, customer_id: int, gateway: str, processor_id: str) -> str:
        """Record the processor's customer; the first one recorded wins (two workers)."""
        ...


@dataclass(frozen=True)
class CardEntryLink:
    """A single-use link to the processor's hosted card page, as it was asked for."""

    state: str
    customer_id: int
    requested_by: str
    """The Slack user who asked: the card is saved in their name."""
    purpose: str
    """"setup_billing" or "update_card"."""
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class CardEntries(Protocol):
    """The card-entry links, kept in the database (single use survives restarts and replicas)."""

    def create(self, link: CardEntryLink) -> None: ...

    def find(self, state: str) -> CardEntryLink | None: ...

    def use(self, state: str, at: datetime) -> bool:
        """Mark the link used; False when it already was."""
        ...

    def without_processor_method(self) -> list[tuple[int, int]]:
        """(customer id, card id) of every card on file with no processor payment-method id
        (saved before there was a processor)."""
        ...
