"""What an order will cost, shown before an admin confirms it.

Quotes use the same arithmetic as the charges themselves, so the confirmation an admin
reads is the amount the ledger will hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from billing import commands as cmd
from billing.account import Account
from billing.calendar import days_in_month, month_end, pacific_day
from billing.invoicing import current_cycle_lines
from billing.model import Plan, Status, Subscription
from billing.money import ZERO
from billing.proration import annual_amount, flexible_amount, remainder_amount


@dataclass(frozen=True)
class Quote:
    """`due_now`: invoiced at once; `this_month`: added to the next monthly invoice;
    `per_month`: the recurring cost afterwards. `notes` are facts for the view."""

    due_now: Decimal = ZERO
    this_month: Decimal = ZERO
    per_month: Decimal = ZERO
    notes: dict[str, object] = field(default_factory=dict)


def _monthly(plan: Plan, price: Decimal, licences: int) -> Decimal:
    """A whole month's line for a constant count: P x L, or (A / 12) x L."""
    if plan is Plan.ANNUAL:
        return annual_amount(price, licences, 1)
    return flexible_amount(price, licences, 1)


def _rest_of_month(plan: Plan, price: Decimal, count: int, day: date) -> Decimal:
    """Licence-days from `day` to the month's end, prorated like a line."""
    quantity_days = count * ((month_end(day) - day).days + 1)
    month_days = days_in_month(day.year, day.month)
    if plan is Plan.ANNUAL:
        return annual_amount(price, quantity_days, month_days)
    return flexible_amount(price, quantity_days, month_days)


def signup(order: cmd.Signup, at: datetime) -> Quote:
    trial_last_day = Subscription(
        0, "", "", order.plan, order.price, at, Status.TRIAL
    ).trial_last_day
    licences = order.licences - order.perpetual
    return Quote(
        per_month=_monthly(order.plan, order.price, licences),
        notes={
            "trial_last_day": trial_last_day,
            "licences": licences,
            "per_year": order.price * licences if order.plan is Plan.ANNUAL else None,
        },
    )


def add_licences(account: Account, order: cmd.AddLicences, at: datetime) -> Quote:
    sub = account.subscription(order.subscription)
    total = sub.licences + order.count
    in_service = sub.paid_from is not None and sub.status in (Status.ACTIVE, Status.SUSPENDED)
    this_month = (
        _rest_of_month(sub.plan, sub.price, order.count, pacific_day(at)) if in_service else ZERO
    )
    return Quote(
        this_month=this_month,
        per_month=_monthly(sub.plan, sub.price, total),
        notes={
            "licences": total,
            "added": order.count,
            "term_end": sub.term_end,
            "in_trial": sub.status is Status.TRIAL,
        },
    )


def cancel(account: Account, order: cmd.Cancel, at: datetime) -> Quote:
    sub = account.subscription(order.subscription)
    day = pacific_day(at)
    if order.when == "at_expiry" or sub.paid_from is None:
        return Quote(
            notes={"term_end": sub.term_end, "when": order.when, "in_trial": sub.paid_from is None}
        )
    due_now = ZERO
    if sub.plan is Plan.ANNUAL and sub.term_end is not None and sub.term_end > day:
        due_now = remainder_amount(sub.price, sub.licences, day, sub.term_end)
    return Quote(
        due_now=due_now, notes={"term_end": sub.term_end, "when": order.when, "in_trial": False}
    )


def renewal(account: Account, order: cmd.Renewal) -> Quote:
    sub = account.subscription(order.subscription)
    licences = order.licences or sub.renewal_licences or sub.licences
    return Quote(
        per_month=_monthly(sub.plan, sub.price, licences),
        notes={
            "licences": licences,
            "per_year": sub.price * licences,
            "term_end": sub.term_end,
            "mode": order.mode.value,
        },
    )


def pay(account: Account, order: cmd.Pay) -> Quote:
    """Which unpaid invoices the payment settles, oldest first, and the credit left over."""
    left = order.amount
    settled = []
    for invoice in account.unpaid():
        if left == 0:
            break
        part = min(left, invoice.unpaid)
        settled.append((invoice.number, part))
        left -= part
    return Quote(
        due_now=order.amount,
        notes={"settles": settled, "credit": left, "balance_due": account.balance_due()},
    )


def transfer(account: Account, at: datetime) -> Quote:
    final = sum((line.amount for line in current_cycle_lines(account, at)), ZERO)
    moving = [sub.key for sub in account.subscriptions if not sub.ended and sub.billed_directly]
    return Quote(due_now=final, notes={"subscriptions": moving})


def users(account: Account, order: cmd.SetUsers, at: datetime) -> Quote:
    sub = account.subscription(order.subscription)
    count = order.count - order.perpetual
    return Quote(
        per_month=_monthly(sub.plan, sub.price, count),
        notes={"licences": count, "before": sub.licences},
    )
