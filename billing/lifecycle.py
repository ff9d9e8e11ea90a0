"""How a subscription moves through time: trial, paid service, suspension, terms."""

from __future__ import annotations

from datetime import date, datetime

from billing.account import Account
from billing.calendar import ONE_DAY, day_start, pacific_day
from billing.model import (
    AlertKind,
    Plan,
    RenewalMode,
    Status,
    Subscription,
    SuspensionReason,
)
from billing.proration import term_last_day


def start_paid_service(account: Account, sub: Subscription, day: date) -> None:
    sub.paid_from = sub.paid_from or day
    sub.status = Status.ACTIVE
    if sub.plan is Plan.ANNUAL and sub.term_end is None:
        sub.term_end = term_last_day(day)
    account.touch(sub)


def end_trial(account: Account, sub: Subscription, at: datetime) -> bool:
    """At 00:00 Pacific on day 15: paid service if billing is set up, else suspension."""
    if sub.status is not Status.TRIAL or at < sub.trial_end:
        return False
    if account.card is not None:
        start_paid_service(account, sub, pacific_day(sub.trial_end))
        account.alert(AlertKind.TRIAL_CONVERTED, at, "trial", sub)
    else:
        account.suspend(sub, SuspensionReason.TRIAL_ENDED, at)
        account.alert(AlertKind.TRIAL_ENDED_SUSPENDED, at, "trial", sub)
    return True


def suspend_for_non_payment(account: Account, at: datetime) -> list[Subscription]:
    """Suspend every subscription in paid service while an invoice is overdue."""
    if not account.overdue(at):
        return []
    suspended = [sub for sub in account.subscriptions if sub.status is Status.ACTIVE]
    due = account.balance_due()
    for sub in suspended:
        account.suspend(sub, SuspensionReason.NON_PAYMENT, at)
        account.alert(AlertKind.SUSPENDED_NON_PAYMENT, at, at.isoformat(), sub, amount=due)
    return suspended


def reactivate(account: Account, at: datetime) -> list[Subscription]:
    """Bring back suspended subscriptions once nothing is overdue and billing is set up."""
    if account.overdue(at) or account.card is None:
        return []
    revived = [sub for sub in account.subscriptions if sub.status is Status.SUSPENDED]
    for sub in revived:
        account.lift_suspension(sub, at)
        start_paid_service(account, sub, pacific_day(at))
        account.alert(AlertKind.REACTIVATED, at, at.isoformat(), sub)
    return revived


def end_term(account: Account, sub: Subscription, day: date, at: datetime) -> bool:
    """At 00:00 Pacific after an annual term's last day: renew, expire or cancel."""
    if sub.plan is not Plan.ANNUAL or sub.ended or sub.term_end is None or sub.term_end >= day:
        return False
    if sub.status not in (Status.ACTIVE, Status.SUSPENDED):
        return False
    if sub.renewal_mode is RenewalMode.AUTO or sub.renewal_booked:
        renew_term(account, sub, at)
        return True
    account.lift_suspension(sub, at)
    cancelled = sub.renewal_mode is RenewalMode.CANCEL_AT_EXPIRY
    sub.status = Status.CANCELLED if cancelled else Status.EXPIRED
    account.touch(sub)
    account.alert(
        AlertKind.CANCELLED,
        at,
        f"term:{sub.term_end}",
        sub,
        reason="cancel_at_expiry" if cancelled else "not_renewed",
        term_end=sub.term_end,
    )
    return True


def renew_term(account: Account, sub: Subscription, at: datetime) -> None:
    """A new 12-month term from the day after the last one, with the licences booked for it."""
    assert sub.term_end is not None
    first = sub.term_end + ONE_DAY
    sub.term_end = term_last_day(first)
    if sub.renewal_licences is not None and sub.renewal_licences != sub.licences:
        account.set_quantity(sub, day_start(first), sub.renewal_licences)
    sub.renewal_licences = None
    sub.renewal_booked = False
    account.touch(sub)
