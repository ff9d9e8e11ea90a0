"""Usage lines: what a subscription costs for the billable days of a month."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from billing.account import Account
from billing.calendar import days_in_month, month_end, month_start, pacific_day, previous_month
from billing.ledger import draft, issue
from billing.lines import LineFacts, LineKind
from billing.model import InvoiceKind, InvoiceLine, Plan, Subscription, SuspensionReason
from billing.proration import annual_amount, flexible_amount
from billing.usage import DayRange, licence_days, subtract, whole_days


def billable_days(sub: Subscription, first: date, last: date) -> list[DayRange]:
    """Days from `first` to `last` in paid service at any moment of the day.

    After a suspension for non-payment an annual commitment keeps accruing; a flexible
    subscription does not, on the days it is suspended from start to end.
    """
    if sub.paid_from is None or not sub.billed_directly:
        return []
    start = max(first, sub.paid_from)
    end = min(last, sub.term_end) if sub.ended and sub.term_end else last
    if start > end:
        return []
    ranges = [(start, end)]
    if sub.plan is Plan.FLEXIBLE:
        holes = [
            whole_days(s.started_at, s.ended_at, end)
            for s in sub.suspensions
            if s.reason is SuspensionReason.NON_PAYMENT
        ]
        ranges = subtract(ranges, [hole for hole in holes if hole is not None])
    return ranges


def prorated(sub: Subscription, quantity_days: int, month_days: int) -> Decimal:
    """What `quantity_days` licence-days of `sub` cost in a month of `month_days` days,
    rounded once: P x Σq / D(M), or (A / 12) x Σq / D(M)."""
    if sub.plan is Plan.ANNUAL:
        return annual_amount(sub.price, quantity_days, month_days)
    return flexible_amount(sub.price, quantity_days, month_days)


def usage_line(sub: Subscription, first: date, last: date) -> InvoiceLine:
    """The line for `sub` over the days first..last of one month, prorated by D(M)."""
    quantity_days = licence_days(sub.changes, billable_days(sub, first, last))
    amount = prorated(sub, quantity_days, days_in_month(first.year, first.month))
    return InvoiceLine(
        description=LineFacts(LineKind.USAGE, sub.product, first, last, sub.plan).description,
        amount=amount,
        quantity_days=quantity_days,
        subscription_id=sub.id,
        subscription_key=sub.key,
        period_start=first,
        period_end=last,
        plan=sub.plan,
    )


def billed_by_final_invoice(account: Account, month: date) -> bool:
    """A transfer's final invoice billed the account's usage through this month."""
    moved = account.customer.transferred_at
    return moved is not None and month <= pacific_day(moved)


def monthly_lines(account: Account, month: date, last: date | None = None) -> list[InvoiceLine]:
    """One line per subscription for the month (up to `last`), 0.00 lines left out."""
    if billed_by_final_invoice(account, month):
        return []
    last = last or month_end(month)
    lines = [usage_line(sub, month, last) for sub in account.subscriptions]
    return [line for line in lines if line.amount > 0]


def issue_monthly_invoice(account: Account, at: datetime) -> bool:
    """The invoice issued at 00:00 Pacific on the 1st for the month before."""
    month = previous_month(pacific_day(at))
    invoice = draft(
        account,
        InvoiceKind.MONTHLY,
        f"monthly:{month:%Y-%m}",
        monthly_lines(account, month),
        at,
        (month, month_end(month)),
    )
    return issue(account, invoice)


def current_cycle_lines(account: Account, at: datetime) -> list[InvoiceLine]:
    """Usage of the current Pacific month through the day containing `at`, not yet invoiced."""
    today = pacific_day(at)
    return monthly_lines(account, month_start(today), today)
