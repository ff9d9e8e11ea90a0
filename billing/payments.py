"""Payment methods and payments: set up billing, change the card, pay, refund credit."""

from __future__ import annotations

from datetime import datetime, timedelta

from billing import commands as cmd
from billing import ledger, refunds
from billing.account import Account
from billing.calendar import pacific_day
from billing.charging import request_payment
from billing.errors import BillingError
from billing.gateway import SavedCard
from billing.model import AlertKind, Card, Change, Occasion, Status
from billing.reminders import card_warning_day, warn_card_expiring


def _card_snapshot(card: Card | None) -> dict[str, str] | None:
    return (
        None
        if card is None
        else {"brand": card.brand, "last4": card.last4, "expires": card.expires}
    )


def save_card(
    account: Account, card: Card, at: datetime, retry_after: timedelta
) -> datetime | None:
    """Make `card` the primary payment method; a card already past its expiry month is refused.
    Returns when the amount due is charged again on it (None: nothing is owed)."""
    if not card.valid_on(pacific_day(at)):
        raise BillingError(
            "this card expired at the end of {expires}", field="card.expires", expires=card.expires
        )
    card.customer_id = account.id
    card.saved_at = at
    account.replace_card(card)
    if card_warning_day(card) <= pacific_day(at):
        warn_card_expiring(account, at)
    suspended = any(sub.status is Status.SUSPENDED for sub in account.subscriptions)
    due = at + retry_after
    already = any(retry.due_at == due and retry.done_at is None for retry in account.retries)
    if not (account.unpaid() or suspended):
        return None
    if not already:
        account.schedule_retry(due, f"card:{at.isoformat()}")
    return due


def _announce(account: Account, card: Card, at: datetime) -> None:
    """A card entered on the processor's hosted page is saved: the billing channel, and the
    admin who asked for the page, are told (a reference alone, as `simulate` gives, is not)."""
    if card.payment_method is not None:
        account.alert(
            AlertKind.CARD_SAVED,
            at,
            f"{card.payment_method}:{at.isoformat()}",
            card=card.describe(),
        )


def _card_of(details: cmd.CardDetails) -> Card:
    return Card(
        details.brand, details.last4, *details.expires, payment_method=details.payment_method
    )


def setup_billing(
    account: Account, order: cmd.SetupBilling, at: datetime, occasion: Occasion
) -> Change:
    before = _card_snapshot(account.card)
    card = _card_of(order.card)
    retry = save_card(account, card, at, occasion.retry_after)
    _announce(account, card, at)
    return Change(order.name, account.customer.domain, before, _saved(card, retry))


def update_card(
    account: Account, order: cmd.UpdateCard, at: datetime, occasion: Occasion
) -> Change:
    current = account.card
    if current is None:
        raise BillingError("there is no card on file: set up billing first", field="card")
    year, month = order.expires or (current.exp_year, current.exp_month)
    brand, last4 = order.brand or current.brand, order.last4 or current.last4
    same = (brand, last4) == (current.brand, current.last4)
    method = order.payment_method or (current.payment_method if same else None)
    card = Card(brand, last4, year, month, payment_method=method)
    before = _card_snapshot(current)
    retry = save_card(account, card, at, occasion.retry_after)
    if order.payment_method is not None:
        _announce(account, card, at)
    return Change(order.name, account.customer.domain, before, _saved(card, retry))


def _saved(card: Card, retry: datetime | None) -> dict[str, str] | None:
    """The card as saved, and when what is owed is charged to it (the service that payment
    failure suspended comes back then)."""
    saved = _card_snapshot(card)
    if saved is not None and retry is not None:
        saved["charged_again_at"] = retry.isoformat()
    return saved


def pay(account: Account, order: cmd.Pay, at: datetime, occasion: Occasion) -> Change:
    """A manual payment, charged once the order commits; when the processor takes it, clearing
    everything overdue reactivates a suspended service at once (billing.charging)."""
    if order.card is not None:
        save_card(account, _card_of(order.card), at, occasion.retry_after)
    ledger.check_payable(account, at)
    before = {"balance_due": str(account.balance_due()), "credit": str(account.credit)}
    request_payment(account, order.amount, at, occasion.name)
    return Change(order.name, account.customer.domain, before, {"amount": str(order.amount)})


def refund_credit(
    account: Account, order: cmd.RefundCredit, at: datetime, occasion: Occasion
) -> Change:
    """Credit paid back to the card through the processor, against the payments that made
    it (billing.refunds); what cannot go back stays as credit, and the change says so."""
    before = {"credit": str(account.credit)}
    amount, left = refunds.refund_credit(account, order.amount, at, occasion.name)
    after = {"refunded": str(amount), "credit": str(left)}
    if order.amount is None and left > 0:
        after["not_refundable"] = str(left)
    return Change(order.name, account.customer.domain, before, after)


def card_refreshed(
    account: Account, saved: SavedCard, at: datetime, retry_after: timedelta
) -> Change | None:
    """The processor's news of the card on file (a new expiry sent by the card network): the
    same payment method, its reference brought up to date. None when it is not the card on
    file any more, or nothing changed (a late or repeated event)."""
    current = account.card
    if current is None or current.payment_method != saved.payment_method:
        return None
    card = Card(saved.brand, saved.last4, saved.exp_year, saved.exp_month)
    card.payment_method = saved.payment_method
    if (card.brand, card.last4, card.expires) == (current.brand, current.last4, current.expires):
        return None
    before = _card_snapshot(current)
    retry = save_card(account, card, at, retry_after)
    return Change("card_updated", account.customer.domain, before, _saved(card, retry))
