"""Automatic and manual charges: what is requested, and how the processor's answer is applied.

A rule never calls the processor. It records a `Charge` in its own transaction; a worker
submits it through the gateway once that has committed, then applies the outcome here, in a
new unit of work on the account. Applying is idempotent: an answer for a charge that is no
longer pending changes nothing, so a redelivered webhook or a second worker is harmless.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from billing.account import Account
from billing.calendar import pacific_day
from billing.gateway import HARD_DECLINES, WAITS_FOR_PAYER, ChargeOutcome, Decline
from billing.lifecycle import reactivate
from billing.model import (
    AlertKind,
    Change,
    Charge,
    ChargeStatus,
    Invoice,
    Transaction,
    TxKind,
)


def charge_automatically(
    account: Account, invoices: list[Invoice], at: datetime, occasion: str
) -> bool:
    """Request a charge of what each of these invoices still owes to the card on file; False
    when no charge can be attempted.

    Without a card there is no attempt and so no alert. A card known to be past its expiry
    month fails the attempt at once (a hard decline: the processor is not asked), with one
    `payment_failed` for all it would have charged. An invoice whose charge is still pending
    is not charged again.
    """
    owing = [inv for inv in invoices if inv.unpaid > 0 and not _in_flight(account, inv)]
    if not owing:
        return True
    card = account.card
    if card is None:
        return False
    if not card.valid_on(pacific_day(at)):
        total = sum((inv.unpaid for inv in owing), Decimal("0.00"))
        account.alert(
            AlertKind.PAYMENT_FAILED,
            at,
            occasion,
            amount=total,
            card=card.describe(),
            reason=Decline.EXPIRED_CARD.value,
        )
        return False
    for invoice in owing:
        attempt = 1 + len(account.charges_on(invoice))
        account.request_charge(
            Charge(account.id, invoice.unpaid, at, f"{occasion}:{invoice.key}", invoice, attempt)
        )
    return True


def _in_flight(account: Account, invoice: Invoice) -> bool:
    return any(c.status is ChargeStatus.PENDING for c in account.charges_on(invoice))


def retry_charge(account: Account, at: datetime, occasion: str) -> None:
    """The charge retried after a payment-method change; reactivates if nothing is overdue."""
    charge_automatically(account, account.unpaid(), at, occasion)
    reactivate(account, at)


def retryable(account: Account, invoice: Invoice) -> bool:
    """Whether the retry schedule may charge `invoice` again: not after a hard decline or one
    that waits for the payer, until the card changes (which retries on its own)."""
    attempts = account.charges_on(invoice)
    if not attempts:
        return True
    last = attempts[-1]
    if last.status is ChargeStatus.PENDING:
        return False
    reason = Decline(last.reason) if last.reason in set(Decline) else None
    return reason not in HARD_DECLINES | WAITS_FOR_PAYER


def retry_on_schedule(account: Account, at: datetime, days: tuple[int, ...]) -> list[Invoice]:
    """SPEC 6: charge a still-unpaid invoice again at 00:00 Pacific on each of `days` after
    its issue day, unless its last failure was a hard decline or waits for the payer."""
    today = pacific_day(at)
    card = account.card
    if card is None or not card.valid_on(today):  # an expired card is a hard decline
        return []
    due = [
        invoice
        for invoice in account.unpaid()
        if (today - pacific_day(invoice.issued_at)).days in days and retryable(account, invoice)
    ]
    for invoice in due:
        after = (today - pacific_day(invoice.issued_at)).days
        charge_automatically(account, [invoice], at, f"schedule:{after}")
    return due


def request_payment(account: Account, amount: Decimal, at: datetime, occasion: str) -> Charge:
    """A manual payment, charged once the order has committed."""
    return account.request_charge(Charge(account.id, amount, at, occasion))


def apply_outcome(
    account: Account, charge: Charge, outcome: ChargeOutcome, at: datetime | None = None
) -> Change | None:
    """Apply the processor's answer to a pending charge, at the charge's own instant (or `at`,
    when the processor reports it later); None when it was applied already.

    A charge that failed for want of the payer's authentication is still taken if the payer
    then completes it (SPEC 5: it waits for the admin, who completes it from a link)."""
    waited = (
        charge.status is ChargeStatus.FAILED
        and charge.reason == Decline.AUTHENTICATION_REQUIRED.value
        and outcome.succeeded
    )
    if charge.status is not ChargeStatus.PENDING and not waited:
        return None
    told = len(account.pending.alerts)
    change = _apply(account, charge, outcome, at or charge.requested_at)
    for alert in account.pending.alerts[told:]:
        alert.notify = alert.notify or charge.notify
    return change


def _apply(account: Account, charge: Charge, outcome: ChargeOutcome, at: datetime) -> Change:
    charge.processor_id = outcome.charge_id or charge.processor_id
    if outcome.succeeded:
        account.answer_charge(charge, ChargeStatus.SUCCEEDED, at)
        _receive(account, charge, outcome.amount, at)
        revived = reactivate(account, at)
        after = {"status": "succeeded", "amount": str(outcome.amount)}
        if revived:
            after["reactivated"] = ",".join(sub.key for sub in revived)
    else:
        reason = (outcome.reason or Decline.PROCESSING_ERROR).value
        account.answer_charge(charge, ChargeStatus.FAILED, at, reason)
        card = account.card
        facts: dict[str, Any] = {"amount": charge.amount, "reason": reason}
        if card is not None:
            facts["card"] = card.describe()
        if outcome.action_url:
            facts["action_url"] = outcome.action_url
        account.alert(AlertKind.PAYMENT_FAILED, at, charge.occasion, **facts)
        after = {"status": "failed", "reason": reason}
    return Change("charge", charge.key or charge.idempotency_key(), {"status": "pending"}, after)


def _receive(account: Account, charge: Charge, amount: Decimal, at: datetime) -> None:
    """Money received: it settles the charge's invoice (a manual payment: the oldest unpaid
    first), and whatever nothing owes any more becomes credit (SPEC orders 11)."""
    owing = [charge.invoice] if charge.invoice is not None else account.unpaid()
    allocations: list[tuple[Invoice, Decimal]] = []
    left = amount
    for invoice in owing:
        part = min(left, invoice.unpaid)
        if part > 0:
            allocations.append((invoice, part))
            left -= part
    first = allocations[0][0] if allocations else charge.invoice
    account.record(
        Transaction(
            account.id,
            at,
            TxKind.PAYMENT,
            amount,
            first,
            allocations,
            memo=account.customer.descriptor,
            processor_id=charge.processor_id,
        )
    )
    if left > 0:
        account.record(Transaction(account.id, at, TxKind.CREDIT, left, memo="overpayment"))
    if charge.invoice is None:
        account.alert(
            AlertKind.PAYMENT_SUCCEEDED,
            at,
            charge.occasion,
            invoice=first,
            amount=amount,
            credit=left,
        )
    else:
        account.alert(
            AlertKind.PAYMENT_SUCCEEDED, at, charge.occasion, invoice=charge.invoice, amount=amount
        )


def assume_taken(account: Account) -> None:
    """Apply the charges requested so far as if the processor took them: a quote shows what
    an order leaves once its money has moved (a dry run never reaches the processor)."""
    for charge in list(account.pending.charges):
        outcome = ChargeOutcome(charge.idempotency_key(), True, charge.amount)
        apply_outcome(account, charge, outcome)
