"""The billing service: every admin request as one method, run once, audited.

A method opens the customer's account under its lock, replays the recorded change if
its idempotency key was seen before (a Slack retry, a double click, a second replica),
otherwise applies the rules and records an audit row with the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from billing import commands as cmd
from billing import domains, orders, payments
from billing.account import Account
from billing.calendar import month_start, pacific_day
from billing.invoicing import current_cycle_lines, monthly_lines
from billing.model import Balance, Card, Change, Customer, Subscription
from billing.money import ZERO
from billing.payments import REACTIVATION_DELAY
from billing.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class Occasion:
    """What a rule may need beyond the order: the retry delay, and a name for its alerts."""

    retry_after: timedelta
    name: str


Rule = Callable[[Account, Any, datetime, Occasion], Change]
RULES: dict[str, Rule] = {
    "signup": lambda a, o, at, _: orders.signup(a, o, at),
    "add_licences": lambda a, o, at, _: orders.add_licences(a, o, at),
    "set_users": lambda a, o, at, _: orders.set_users(a, o, at),
    "renewal": lambda a, o, at, _: orders.set_renewal(a, o, at),
    "renew": lambda a, o, at, _: orders.renew_by_hand(a, o, at),
    "cancel": lambda a, o, at, _: orders.cancel(a, o, at),
    "transfer": lambda a, o, at, _: orders.transfer(a, o, at),
    "register_domain": lambda a, o, at, _: domains.register_domain(a, o, at),
    "setup_billing": lambda a, o, at, c: payments.setup_billing(a, o, at, c.retry_after),
    "update_card": lambda a, o, at, c: payments.update_card(a, o, at, c.retry_after),
    "pay": lambda a, o, at, c: payments.pay(a, o, at, c.name),
    "refund": lambda a, o, at, _: payments.refund(a, o, at),
}
"""Every order by name: the one table the service, dry runs and the Slack side share."""


@dataclass(frozen=True)
class Overview:
    balance: Balance
    next_invoice: Decimal
    subscriptions: list[Subscription]
    card: Card | None
    customer: Customer


class Billing:
    def __init__(self, store: Store, retry_after: timedelta = REACTIVATION_DELAY) -> None:
        self.store = store
        self.retry_after = retry_after

    def open_account(self, domain: str, at: datetime) -> Customer:
        return self.store.create_customer(domain, at)

    def apply(
        self,
        customer_id: int,
        rule: Callable[[Account], Change],
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        with self.store.account(customer_id, replay_key=key) as account:
            if key is not None and key in account.replays:
                seen = account.replays[key]
                return Change(seen.action, seen.subject, seen.before, seen.after, replayed=True)
            change = rule(account)
            for alert in account.pending.alerts:  # whoever caused an alert may be told directly
                alert.facts.setdefault("actor", actor)
            return account.audit(actor, at, change, key)

    # ---- orders --------------------------------------------------------------------
    def order(
        self,
        name: str,
        customer_id: int,
        order: Any,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        """Apply the order called `name` (a key of RULES) once per idempotency key."""
        occasion = Occasion(self.retry_after, f"{name}:{key or at.isoformat()}")
        rule = RULES[name]
        return self.apply(
            customer_id,
            lambda account: rule(account, order, at, occasion),
            at=at,
            actor=actor,
            key=key,
        )

    def dry_run(self, name: str, order: Any, at: datetime) -> Callable[[Account], Change]:
        """The order applied to an account that will not be saved: it refuses what it would."""
        occasion = Occasion(self.retry_after, f"{name}:dry-run")
        return lambda account: RULES[name](account, order, at, occasion)

    def signup(self, customer_id: int, order: cmd.Signup, **how: Any) -> Change:
        return self.order("signup", customer_id, order, **how)

    def add_licences(self, customer_id: int, order: cmd.AddLicences, **how: Any) -> Change:
        return self.order("add_licences", customer_id, order, **how)

    def set_users(self, customer_id: int, order: cmd.SetUsers, **how: Any) -> Change:
        return self.order("set_users", customer_id, order, **how)

    def set_renewal(self, customer_id: int, order: cmd.Renewal, **how: Any) -> Change:
        return self.order("renewal", customer_id, order, **how)

    def cancel(self, customer_id: int, order: cmd.Cancel, **how: Any) -> Change:
        return self.order("cancel", customer_id, order, **how)

    def setup_billing(self, customer_id: int, order: cmd.SetupBilling, **how: Any) -> Change:
        return self.order("setup_billing", customer_id, order, **how)

    def update_card(self, customer_id: int, order: cmd.CardUpdate, **how: Any) -> Change:
        return self.order("update_card", customer_id, order, **how)

    def pay(self, customer_id: int, order: cmd.Pay, **how: Any) -> Change:
        return self.order("pay", customer_id, order, **how)

    # ---- reading -------------------------------------------------------------------
    def balance(self, customer_id: int, at: datetime) -> Balance:
        """Current cycle + balance due − unapplied credit, from the ledger as it stands."""
        return self.overview(customer_id, at).balance

    def overview(self, customer_id: int, at: datetime) -> Overview:
        """The account at a glance: balance, next invoice if nothing changes, subscriptions."""
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
            )

    def quote(
        self,
        customer_id: int,
        rule: Callable[[Account], T],
        dry_run: Callable[[Account], object] | None = None,
    ) -> T:
        """What an order will cost, from the account as it stands; nothing is written.

        `dry_run` then applies the order itself to this throw-away copy, so a quote is
        refused for exactly the reasons the order would be (BillingError).
        """
        with self.store.account(customer_id, write=False) as account:
            quoted = rule(account)
            if dry_run is not None:
                dry_run(account)
            return quoted
