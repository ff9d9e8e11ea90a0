"""Payment methods and payments: set up billing, change the card, pay, refund credit."""

from __future__ import annotations

from datetime import datetime, timedelta

from billing import commands as cmd
from billing.account import Account
from billing.calendar import pacific_day
from billing.errors import BillingError
from billing.ledger import receive_payment, refund_credit
from billing.lifecycle import reactivate
from billing.model import Card, Change, Status
from billing.reminders import card_warning_day, warn_card_expiring

REACTIVATION_DELAY = timedelta(hours=4)
"""After a payment-method change the charge is retried, and service restored, this much later."""


def _card_snapshot(card: Card | None) -> dict[str, str] | None:
    return (
        None
        if card is None
        else {"brand": card.brand, "last4": card.last4, "expires": card.expires}
    )


def save_card(
    account: Account, card: Card, at: datetime, retry_after: timedelta = REACTIVATION_DELAY
) -> Change:
    """Make `card` the primary payment method; a card already past its expiry month is refused."""
    if not card.valid_on(pacific_day(at)):
        raise BillingError(
            "this card expired at the end of {expires}", field="card.expires", expires=card.expires
        )
    before = _card_snapshot(account.card)
    card.customer_id = account.id
    card.saved_at = at
    account.replace_card(card)
    if card_warning_day(card) <= pacific_day(at):
        warn_card_expiring(account, at)
    suspended = any(sub.status is Status.SUSPENDED for sub in account.subscriptions)
    due = at + retry_after
    already = any(retry.due_at == due and retry.done_at is None for retry in account.retries)
    if (account.unpaid() or suspended) and not already:
        account.schedule_retry(due, f"card:{at.isoformat()}")
    return Change("payment_method", account.customer.domain, before, _card_snapshot(card))


def setup_billing(
    account: Account,
    order: cmd.SetupBilling,
    at: datetime,
    retry_after: timedelta = REACTIVATION_DELAY,
) -> Change:
    details = order.card
    card = Card(details.brand, details.last4, *details.expires)
    return save_card(account, card, at, retry_after)


def update_card(
    account: Account,
    order: cmd.CardUpdate,
    at: datetime,
    retry_after: timedelta = REACTIVATION_DELAY,
) -> Change:
    current = account.card
    if current is None:
        raise BillingError("there is no card on file: set up billing first", field="card")
    year, month = order.expires or (current.exp_year, current.exp_month)
    card = Card(order.brand or current.brand, order.last4 or current.last4, year, month)
    return save_card(account, card, at, retry_after)


def pay(account: Account, order: cmd.Pay, at: datetime, occasion: str) -> Change:
    """A manual payment; clearing everything overdue reactivates a suspended service at once."""
    if order.card is not None:
        setup_billing(account, cmd.SetupBilling(card=order.card), at)
    before = {"balance_due": str(account.balance_due()), "credit": str(account.credit)}
    receive_payment(account, order.amount, at, occasion)
    revived = reactivate(account, at)
    after = {
        "amount": str(order.amount),
        "balance_due": str(account.balance_due()),
        "credit": str(account.credit),
        "reactivated": [sub.key for sub in revived],
    }
    return Change("pay", account.customer.domain, before, after)


def refund(account: Account, order: cmd.RefundCredit, at: datetime) -> Change:
    before = {"credit": str(account.credit)}
    amount = refund_credit(account, order.amount, at)
    return Change(
        "refund",
        account.customer.domain,
        before,
        {"refunded": str(amount), "credit": str(account.credit)},
    )
