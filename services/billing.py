"""The billing service: every order, once per idempotency key, audited; its quote, from a dry
run of the same rule; and the account at a glance.

An order opens the customer's account under its lock, replays the recorded change if its
key was seen before (a Slack retry, a double click, a second replica), otherwise applies
the order's rule from the registry and records an audit row with the change, all in one
transaction.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from billing import commands as cmd
from billing.account import Account
from billing.actors import Actor
from billing.approvals import Approval, ApprovalStatus
from billing.calendar import month_start, pacific_day
from billing.charging import assume_taken
from billing.gateway import PaymentGateway
from billing.invoicing import current_cycle_lines, monthly_lines
from billing.model import (
    REACTIVATION_DELAY,
    Balance,
    Card,
    Change,
    ChargeStatus,
    Customer,
    Occasion,
    Subscription,
)
from billing.money import ZERO
from billing.quotes import Line, Quote, quote
from billing.store import Store
from services.orders import ORDERS


@dataclass(frozen=True)
class Overview:
    balance: Balance
    next_invoice: Decimal
    subscriptions: list[Subscription]
    card: Card | None
    customer: Customer
    waiting: list[Approval]
    """Requests waiting for a super-admin."""


GLANCES = 4096
"""Overviews kept in memory, the most recently read customers first."""


class Charges(Protocol):
    """The charge worker (services.charging.Charger), as the billing service uses it."""

    gateway: PaymentGateway

    def outcomes(self, charge_ids: list[int]) -> list[tuple[str, str | None]]: ...

    def run(
        self, now: datetime | None = None, customer_id: int | None = None, limit: int = ...
    ) -> int: ...


class Billing:
    def __init__(
        self,
        store: Store,
        retry_after: timedelta = REACTIVATION_DELAY,
        charges: Charges | None = None,
        retry_days: tuple[int, ...] = (),
    ) -> None:
        """`charges`: sends what an order asks to charge (a payment, an invoice it issues)
        as soon as the order has committed; without it, the scheduler's worker does."""
        self.store = store
        self.retry_after = retry_after
        self.charges = charges
        self.retry_days = retry_days
        """Days after issue the scheduler charges an unpaid invoice again (SPEC 6)."""
        self._glances: OrderedDict[int, tuple[tuple[int | None, date], Overview]] = OrderedDict()
        self._lock = threading.Lock()

    def open_account(self, domain: str, at: datetime) -> Customer:
        return self.store.create_customer(domain, at)

    def order(
        self,
        customer_id: int,
        order: cmd.Command,
        *,
        at: datetime,
        actor: Actor,
        key: str | None = None,
    ) -> Change:
        """Apply `order` once per idempotency key `key`."""
        with self.store.account(customer_id, replay_key=key) as account:
            if key is not None and key in account.replays:
                return replace(account.replays[key], replayed=True)
            change = self.place(account, order, at=at, actor=actor, key=key)
            charging = list(account.pending.charges)
            refunding = bool(account.pending.refunds)
        if charging or refunding:
            self.send_charges(customer_id, at)
        if charging:
            change = self._with_payment(change, [c.id for c in charging if c.id is not None])
        return change

    def _with_payment(self, change: Change, charge_ids: list[int]) -> Change:
        """The order's change with what became of the money it asked for, as the processor
        answered at once: "succeeded", "pending" (no answer yet), or "failed" and why."""
        if self.charges is None:
            return change
        answers = self.charges.outcomes(charge_ids)
        failed = [reason for status, reason in answers if status == ChargeStatus.FAILED.value]
        waiting = any(status == ChargeStatus.PENDING.value for status, _ in answers)
        payment = "failed" if failed else "pending" if waiting else "succeeded"
        return replace(change, payment=payment, declined=failed[0] if failed else None)

    def send_charges(self, customer_id: int, at: datetime) -> None:
        """Send the charges an order recorded, now that it has committed: the admin who paid
        hears the answer at once (the scheduler's worker sends anything left)."""
        if self.charges is not None:
            self.charges.run(at, customer_id)

    def place(
        self,
        account: Account,
        order: cmd.Command,
        *,
        at: datetime,
        actor: Actor,
        key: str | None = None,
    ) -> Change:
        """Apply `order` inside a unit of work the caller holds (an approval's decision)."""
        change = ORDERS.of(order).apply(account, order, at, self.occasion(order, key, at))
        for alert in account.pending.alerts:  # whoever caused an alert is told directly too
            alert.notify = alert.notify or actor.slack_user
        for charge in account.pending.charges:  # and of the charges' outcomes
            charge.notify = charge.notify or actor.slack_user
        for refund in account.pending.refunds:  # and of a refund that fails
            refund.notify = refund.notify or actor.slack_user
        return account.audit(actor, at, replace(change, action=order.name), key)

    def quote(self, customer_id: int, order: cmd.Command, at: datetime) -> Quote:
        """What `order` would do now, read from a dry run of its rule on a copy of the account
        that is never saved; refused (BillingError) for exactly the reasons the order would be."""
        entry = ORDERS.of(order)
        occasion = Occasion(f"{order.name}:dry-run", self.retry_after)

        def forecast(after: Account, change: Change) -> tuple[Line, ...]:
            return entry.lines(after, order, change)

        with self.store.account(customer_id, write=False) as account:

            def dry_run(copy: Account) -> Change:
                change = entry.apply(copy, order, at, occasion)
                assume_taken(copy)
                return change

            return quote(account, dry_run, at, forecast)

    def occasion(self, order: cmd.Command, key: str | None, at: datetime) -> Occasion:
        return Occasion(f"{order.name}:{key or at.isoformat()}", self.retry_after)

    def overview(self, customer_id: int, at: datetime) -> Overview:
        """The account at a glance: balance, next invoice if nothing changes, subscriptions.

        Every screen starts here, so it is kept while the customer's books are unchanged (the
        same stamp, which any change moves, in whichever process) and the Pacific day is the
        same (the figures are by day): a screen then costs one small query, not the account.
        """
        key = (self.store.stamp(customer_id), pacific_day(at))
        with self._lock:
            kept = self._glances.get(customer_id)
            if kept is not None and kept[0] == key:
                self._glances.move_to_end(customer_id)
                return kept[1]
        found = self._overview(customer_id, at)
        with self._lock:
            self._glances[customer_id] = (key, found)
            self._glances.move_to_end(customer_id)
            while len(self._glances) > GLANCES:
                self._glances.popitem(last=False)
        return found

    def _overview(self, customer_id: int, at: datetime) -> Overview:
        with self.store.account(customer_id, write=False) as account:
            current = sum((line.amount for line in current_cycle_lines(account, at)), ZERO)
            month = month_start(pacific_day(at))
            estimate = sum((line.amount for line in monthly_lines(account, month)), ZERO)
            return Overview(
                Balance(current, account.balance_due(), account.credit),
                estimate,
                list(account.subscriptions),
                account.card,
                account.customer,
                [a for a in account.approvals if a.status is ApprovalStatus.PENDING],
            )

    def balance(self, customer_id: int, at: datetime) -> Balance:
        """Current cycle + balance due − unapplied credit, from the ledger as it stands."""
        return self.overview(customer_id, at).balance
