"""What an order will cost, shown before an admin confirms it.

A quote is the order itself, applied to a copy of the account that is never saved: what it
invoices at once, what it settles and the credit it leaves are read from the rows it would
write, and what it adds to this month from the month's usage before and after. So the
confirmation an admin reads is what the ledger will hold, and a quote is refused for
exactly the reasons the order would be. Only the forward-looking figure, the monthly price
after the change, is computed here; each order says it in its own `forecast`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, TypeVar

from billing import commands as cmd
from billing.account import Account
from billing.calendar import days_in_month, month_start, pacific_day
from billing.invoicing import monthly_lines, prorated
from billing.model import Change, InvoiceKind, Status, Subscription, TxKind
from billing.money import ZERO

C_contra = TypeVar("C_contra", bound=cmd.Command, contravariant=True)


@dataclass(frozen=True)
class Line:
    """A sentence of a confirmation: an English template and the values it shows."""

    template: str
    params: Mapping[str, object] = field(default_factory=dict)
    plural: str = ""
    """The English plural of `template` when the sentence counts something: the count is
    the `count` parameter, and the reader's language chooses the form."""


@dataclass(frozen=True)
class Quote:
    change: Change
    """What the order would record, before and after."""
    invoiced: tuple[tuple[InvoiceKind, Decimal], ...] = ()
    """Invoices the order issues at once (a cancellation's remainder, a final invoice)."""
    settles: tuple[tuple[str, Decimal], ...] = ()
    """Invoices already issued that the order pays, by number, oldest first."""
    credit: Decimal = ZERO
    """Credit the order leaves (an overpayment)."""
    this_month: Decimal = ZERO
    """What the order adds to this month's usage, prorated by days."""
    lines: tuple[Line, ...] = ()
    """The order's own forward-looking sentences (the monthly price after the change)."""


class Forecast(Protocol[C_contra]):
    def __call__(self, after: Account, order: C_contra, change: Change) -> tuple[Line, ...]:
        """Forward-looking sentences, from the account as the order leaves it."""
        ...


def quote(
    account: Account,
    apply: Callable[[Account], Change],
    at: datetime,
    forecast: Callable[[Account, Change], tuple[Line, ...]] | None = None,
) -> Quote:
    """Apply the order to `account` (a copy that is never saved) and read what it did."""
    month = month_start(pacific_day(at))
    before = _licence_days(account, month)
    change = apply(account)
    pending = account.pending
    fresh = {id(invoice) for invoice in pending.invoices}
    settles = [
        (invoice.number, amount)
        for tx in pending.transactions
        if tx.kind is TxKind.PAYMENT
        for invoice, amount in tx.allocations
        if id(invoice) not in fresh
    ]
    return Quote(
        change=change,
        invoiced=tuple((invoice.kind, invoice.total) for invoice in pending.invoices),
        settles=tuple(settles),
        credit=sum((tx.amount for tx in pending.transactions if tx.kind is TxKind.CREDIT), ZERO),
        this_month=_added(account, month, before),
        lines=forecast(account, change) if forecast is not None else (),
    )


def _licence_days(account: Account, month: date) -> dict[str, int]:
    """Σ q(d) of each subscription over the month, at the quantities known so far."""
    return {
        line.subscription_key: line.quantity_days
        for line in monthly_lines(account, month)
        if line.subscription_key is not None
    }


def _added(account: Account, month: date, before: dict[str, int]) -> Decimal:
    """The licence-days the order adds to this month, each subscription's prorated once like
    a line: what the next monthly invoice grows by, to the cent it will show."""
    month_days = days_in_month(month.year, month.month)
    total = ZERO
    for key, quantity_days in _licence_days(account, month).items():
        added = quantity_days - before.get(key, 0)
        if added > 0:
            total += prorated(account.subscription(key), added, month_days)
    return total


# ---- forward-looking figures, one per order that has them ----------------------------------


def per_month(sub: Subscription, licences: int | None = None) -> Decimal:
    """A whole month's line for a constant count: P x L, or (A / 12) x L."""
    return prorated(sub, sub.licences if licences is None else licences, 1)


def signup(after: Account, order: cmd.Signup, change: Change) -> tuple[Line, ...]:
    sub = after.subscription(order.subscription)
    return (
        Line(
            "Free trial until {date}; then {amount} per month.",
            {"date": sub.trial_last_day, "amount": per_month(sub)},
        ),
    )


def add_licences(after: Account, order: cmd.AddLicences, change: Change) -> tuple[Line, ...]:
    sub = after.subscription(order.subscription)
    trial = (Line("Still in the free trial: nothing is charged before it ends."),)
    then = Line(
        "Then {amount} per month for {count} licence.",
        {"amount": per_month(sub), "count": sub.licences},
        plural="Then {amount} per month for {count} licences.",
    )
    return (*(trial if sub.status is Status.TRIAL else ()), then)


def set_users(after: Account, order: cmd.SetUsers, change: Change) -> tuple[Line, ...]:
    sub = after.subscription(order.subscription)
    before = (change.before or {}).get("licences", sub.licences)
    return (
        Line(
            "From {before} to {licences}: {amount} per month for a whole month.",
            {"before": before, "licences": sub.licences, "amount": per_month(sub)},
        ),
    )


def renewal(after: Account, order: cmd.Renewal, change: Change) -> tuple[Line, ...]:
    sub = after.subscription(order.subscription)
    licences = sub.renewal_licences or sub.licences
    return (
        Line(
            "Next term: {count} licence, {amount} per month.",
            {"count": licences, "amount": per_month(sub, licences)},
            plural="Next term: {count} licences, {amount} per month.",
        ),
    )


def cancel(after: Account, order: cmd.Cancel, change: Change) -> tuple[Line, ...]:
    if order.when == "at_expiry":
        return (Line("Service ends with the term; nothing more is charged."),)
    if after.subscription(order.subscription).paid_from is None:
        return (Line("Cancelling during the free trial costs nothing."),)
    return (Line("Days used this month are billed on the next monthly invoice."),)
