"""Refunds of credit through the processor (SPEC "Payments through a processor" 8).

Credit is paid back against the payments that created it: a payment taken through the
processor whose excess became credit. The order records, in its own transaction, one `refund`
ledger row per payment refunded (so the credit is reserved at once and cannot be spent
twice) and one `Refund` request with it; a worker sends each with the key
`refund:<transaction id>` after commit and applies the answer here, in a unit of work of its
own. A refund the processor refuses, or that fails later (a webhook), puts the credit back as a
`credit` row whose memo says why, and alerts the billing channel.

The newest payments are refunded first: credit is used oldest first, so what is left came
from the newest payments, and a recent card charge is the one the processor can still pay
back. Credit with no processor payment behind it (a payment made before there was a processor)
cannot go back to a card: an order for all the credit refunds what can be refunded and says
how much stays; an order for an exact amount that cannot all go back is refused, naming what
can.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from billing.account import Account
from billing.errors import BillingError
from billing.gateway import RefundOutcome
from billing.model import (
    AlertKind,
    Change,
    ChargeStatus,
    Refund,
    Transaction,
    TxKind,
)
from billing.money import ZERO


def refundable(account: Account) -> Decimal:
    """How much of the account's credit can go back to a card through the processor."""
    behind = sum((source.refundable for source in account.refund_sources), ZERO)
    return min(account.credit, behind)


def refund_credit(
    account: Account, amount: Decimal | None, at: datetime, occasion: str
) -> tuple[Decimal, Decimal]:
    """Reserve `amount` of credit (None: all that can go back) and request its refunds, newest
    payment first; returns what is refunded and what credit stays on the account."""
    available = account.credit
    if available <= 0:
        raise BillingError("there is no credit to refund", field="amount")
    if amount is not None and amount > available:
        raise BillingError(
            "only {available} of credit can be refunded", field="amount", available=available
        )
    can = refundable(account)
    if can <= 0:
        raise BillingError(
            "none of the credit came from a card payment that can be paid back", field="amount"
        )
    if amount is not None and amount > can:
        raise BillingError(
            "only {refundable} of the credit came from card payments that can be paid back",
            field="amount",
            refundable=can,
        )
    wanted = can if amount is None else amount
    left = wanted
    sources = []
    for source in account.refund_sources:
        part = min(left, source.refundable)
        if part > 0:
            tx = account.record(
                Transaction(
                    account.id,
                    at,
                    TxKind.REFUND,
                    part,
                    memo=account.customer.descriptor,
                    processor_id=source.processor_id,
                )
            )
            account.request_refund(
                Refund(
                    account.id,
                    part,
                    at,
                    f"{occasion}:{source.processor_id}",
                    source.processor_id,
                    tx,
                )
            )
            left -= part
            source = replace(source, refundable=source.refundable - part)
        sources.append(source)
    account.refund_sources = [s for s in sources if s.refundable > 0]
    return wanted, account.credit


def apply_refund(
    account: Account, refund: Refund, outcome: RefundOutcome, at: datetime | None = None
) -> Change | None:
    """The processor's answer to a pending refund, at the refund's own instant; None when it
    was answered already."""
    if refund.status is not ChargeStatus.PENDING:
        return None
    when = at or refund.requested_at
    if outcome.succeeded:
        account.answer_refund(refund, ChargeStatus.SUCCEEDED, when, refund_id=outcome.refund_id)
        return Change("refund", refund.key or "", {"status": "pending"}, {"status": "succeeded"})
    return refund_failed(account, refund, outcome.reason or "refused", when, outcome.refund_id)


def refund_failed(
    account: Account,
    refund: Refund,
    reason: str,
    at: datetime,
    refund_id: str | None = None,
) -> Change | None:
    """The processor refused the refund, or it failed later: the credit goes back."""
    if refund.status is ChargeStatus.FAILED:
        return None
    before = refund.status.value
    account.answer_refund(refund, ChargeStatus.FAILED, at, reason[:100], refund_id)
    account.record(
        Transaction(
            account.id,
            at,
            TxKind.CREDIT,
            refund.amount,
            memo=f"refund failed: {reason}"[:100],
            processor_id=refund.charge_id,
        )
    )
    account.alert(
        AlertKind.REFUND_FAILED,
        at,
        f"refund:{refund.key or refund.transaction.id}",
        amount=refund.amount,
        reason=reason[:100],
    )
    for alert in account.pending.alerts[-1:]:
        alert.notify = alert.notify or refund.notify
    return Change(
        "refund", refund.key or "", {"status": before}, {"status": "failed", "reason": reason}
    )


def refund_confirmed(account: Account, refund: Refund, at: datetime) -> Change | None:
    """The processor confirms a refund (a webhook): a pending one has succeeded; one that
    already succeeded, or failed, stays as it is (late or repeated events)."""
    if refund.status is not ChargeStatus.PENDING:
        return None
    account.answer_refund(refund, ChargeStatus.SUCCEEDED, at)
    return Change("refund", refund.key or "", {"status": "pending"}, {"status": "succeeded"})
