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

RULES: dict[str, Callable[[Account, Any, datetime], Change]] = {
    "signup": orders.signup,
    "add_licences": orders.add_licences,
    "set_users": orders.set_users,
    "renewal": orders.set_renewal,
    "renew": orders.renew_by_hand,
    "cancel": orders.cancel,
    "transfer": orders.transfer,
    "register_domain": domains.register_domain,
    "setup_billing": payments.setup_billing,
    "update_card": payments.update_card,
    "pay": lambda account, order, at: payments.pay(account, order, at, "preview"),
    "refund": payments.refund,
}
"""Each order's rule by name, for dry runs: a quote is refused when its order would be."""


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
    def signup(
        self,
        customer_id: int,
        order: cmd.Signup,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id, lambda a: orders.signup(a, order, at), at=at, actor=actor, key=key
        )

    def add_licences(
        self,
        customer_id: int,
        order: cmd.AddLicences,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id, lambda a: orders.add_licences(a, order, at), at=at, actor=actor, key=key
        )

    def set_users(
        self,
        customer_id: int,
        order: cmd.SetUsers,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id, lambda a: orders.set_users(a, order, at), at=at, actor=actor, key=key
        )

    def set_renewal(
        self,
        customer_id: int,
        order: cmd.Renewal,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id, lambda a: orders.set_renewal(a, order, at), at=at, actor=actor, key=key
        )

    def renew(
        self,
        customer_id: int,
        order: cmd.Renew,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id, lambda a: orders.renew_by_hand(a, order, at), at=at, actor=actor, key=key
        )

    def cancel(
        self,
        customer_id: int,
        order: cmd.Cancel,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id, lambda a: orders.cancel(a, order, at), at=at, actor=actor, key=key
        )

    def transfer(
        self,
        customer_id: int,
        order: cmd.Transfer,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id, lambda a: orders.transfer(a, order, at), at=at, actor=actor, key=key
        )

    def register_domain(
        self,
        customer_id: int,
        order: cmd.RegisterDomain,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id,
            lambda a: domains.register_domain(a, order, at),
            at=at,
            actor=actor,
            key=key,
        )

    # ---- payments ------------------------------------------------------------------
    def setup_billing(
        self,
        customer_id: int,
        order: cmd.SetupBilling,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        rule = lambda a: payments.setup_billing(a, order, at, self.retry_after)  # noqa: E731
        return self.apply(customer_id, rule, at=at, actor=actor, key=key)

    def update_card(
        self,
        customer_id: int,
        order: cmd.CardUpdate,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        rule = lambda a: payments.update_card(a, order, at, self.retry_after)  # noqa: E731
        return self.apply(customer_id, rule, at=at, actor=actor, key=key)

    def pay(
        self, customer_id: int, order: cmd.Pay, *, at: datetime, actor: str, key: str | None = None
    ) -> Change:
        occasion = f"pay:{key or at.isoformat()}"
        return self.apply(
            customer_id, lambda a: payments.pay(a, order, at, occasion), at=at, actor=actor, key=key
        )

    def refund(
        self,
        customer_id: int,
        order: cmd.RefundCredit,
        *,
        at: datetime,
        actor: str,
        key: str | None = None,
    ) -> Change:
        return self.apply(
            customer_id, lambda a: payments.refund(a, order, at), at=at, actor=actor, key=key
        )

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
