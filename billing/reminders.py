"""Alerts announced ahead of time, checked once a day at 00:00 Pacific."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from billing import seats
from billing.account import Account
from billing.calendar import day_start
from billing.model import AlertKind, Card, Plan, Status

TRIAL_REMINDERS = (7, 3, 1)
"""Days before the last trial day."""
RENEWAL_REMINDERS = (30, 7)
"""Days before the last day of an annual term."""
CARD_WARNING = timedelta(days=30)
DOMAIN_REMINDER = timedelta(days=30)


def card_warning_day(card: Card) -> date:
    """30 days before the end of the card's expiry month (00:00 Pacific on the 1st after)."""
    year, month = (
        (card.exp_year + 1, 1) if card.exp_month == 12 else (card.exp_year, card.exp_month + 1)
    )
    return date(year, month, 1) - CARD_WARNING


def card_identity(card: Card) -> str:
    return f"{card.brand}:{card.last4}:{card.expires}"


def warn_card_expiring(account: Account, at: datetime) -> None:
    card = account.card
    if card is not None:
        account.alert(
            AlertKind.CARD_EXPIRING,
            at,
            card_identity(card),
            card=card.describe(),
            expires=card.expires,
        )


def send_reminders(account: Account, day: date) -> None:
    at = day_start(day)
    for sub in account.subscriptions:
        if sub.status is Status.TRIAL:
            for days_left in TRIAL_REMINDERS:
                if sub.trial_last_day - timedelta(days=days_left) == day:
                    account.alert(
                        AlertKind.TRIAL_ENDING,
                        at,
                        f"{days_left}d",
                        sub,
                        days_left=days_left,
                        last_day=sub.trial_last_day,
                        billing_set_up=account.card is not None,
                    )
        if (
            sub.plan is Plan.ANNUAL
            and sub.status in (Status.ACTIVE, Status.SUSPENDED)
            and sub.term_end
        ):
            for days_left in RENEWAL_REMINDERS:
                if sub.term_end - timedelta(days=days_left) == day:
                    account.alert(
                        AlertKind.RENEWAL_UPCOMING,
                        at,
                        f"{sub.term_end}:{days_left}d",
                        sub,
                        days_left=days_left,
                        term_end=sub.term_end,
                        mode=sub.renewal_mode.value,
                        unassigned=seats.unassigned(sub),
                        reclaim=seats.to_reclaim(sub),
                    )
    if account.card is not None and card_warning_day(account.card) == day:
        warn_card_expiring(account, at)
    if account.customer.reseller is None:
        for registration in account.domains:
            if registration.next_renewal_on - DOMAIN_REMINDER == day:
                account.alert(
                    AlertKind.DOMAIN_RENEWAL_UPCOMING,
                    at,
                    f"{registration.domain}:{registration.next_renewal_on}",
                    domain=registration.domain,
                    renews_on=registration.next_renewal_on,
                    price=registration.price,
                )
