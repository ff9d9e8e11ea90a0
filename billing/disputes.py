"""Disputes (chargebacks; SPEC "Payments through a processor" 9).

A disputed payment's amount is owed again until the dispute is won. It is an invoice of its
own, kind `dispute`, issued when the processor reports the dispute, whose ledger row is a
`dispute` (as an issued invoice's is a `charge`): `balance_due` counts it, and every figure
stays a sum over the ledger, whatever the disputed payment had paid (an invoice, credit, or
both). The dispute invoice is not charged to the card when it is opened (the card holder has
just disputed a charge on it); otherwise it is owed like any invoice: a payment settles it, a
card change charges it again, and unpaid seven days after issue it suspends the service.

Won: the processor gives the money back, a `dispute_won` row that settles what the dispute
invoice still owes (what the customer had paid on it meanwhile becomes credit), and the
account may be reactivated. Lost: it stays owed. Both are alerted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from billing.account import Account
from billing.ledger import draft
from billing.lifecycle import reactivate
from billing.model import (
    AlertKind,
    Change,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    Transaction,
    TxKind,
)


def dispute_key(charge_id: str) -> str:
    return f"dispute:{charge_id}"[:120]


def _invoice(account: Account, charge_id: str) -> Invoice | None:
    key = dispute_key(charge_id)
    return next((inv for inv in account.open_invoices if inv.key == key), None)


def dispute_opened(
    account: Account, charge_id: str, amount: Decimal, reason: str | None, at: datetime
) -> Change | None:
    """The card holder disputed the payment `charge_id`: `amount` is owed again. None when
    this dispute is known already (a late or repeated event)."""
    if amount <= 0:
        return None
    line = InvoiceLine(f"Disputed payment {charge_id}"[:200], amount)
    invoice = draft(account, InvoiceKind.DISPUTE, dispute_key(charge_id), [line], at)
    if not account.add_invoice(invoice, TxKind.DISPUTE, charge_id):
        return None
    account.alert(
        AlertKind.PAYMENT_DISPUTED,
        at,
        invoice.key,
        invoice=invoice,
        amount=amount,
        reason=reason or "",
    )
    return Change(
        "dispute", charge_id, None, {"status": "open", "amount": str(amount), "reason": reason}
    )


def dispute_closed(
    account: Account, charge_id: str, amount: Decimal, won: bool, at: datetime
) -> Change | None:
    """The dispute is decided; None when it was won already. A closing that arrives before
    the opening opens it first, so the books end the same in either order."""
    key = dispute_key(charge_id)
    if charge_id in account.won_disputes:
        return None
    opened = None
    if key not in account.invoice_keys:  # the closing arrived before the opening
        opened = dispute_opened(account, charge_id, amount, None, at)
        if opened is None:
            return None
    occasion = f"{key}:closed"
    if not won:
        invoice = _invoice(account, charge_id)
        owed = invoice.unpaid if invoice is not None else Decimal("0.00")
        account.alert(AlertKind.DISPUTE_LOST, at, occasion, invoice=invoice, amount=owed)
        return Change("dispute", charge_id, {"status": "open"}, {"status": "lost"})
    invoice = _invoice(account, charge_id)
    part = min(amount, invoice.unpaid) if invoice is not None else Decimal("0.00")
    allocations = [(invoice, part)] if invoice is not None and part > 0 else []
    account.record(
        Transaction(
            account.id,
            at,
            TxKind.DISPUTE_WON,
            amount,
            invoice,
            allocations,
            memo="dispute won",
            processor_id=charge_id,
        )
    )
    if amount > part:
        account.record(
            Transaction(
                account.id,
                at,
                TxKind.CREDIT,
                amount - part,
                memo="dispute won",
                processor_id=charge_id,
            )
        )
    account.won_disputes.add(charge_id)
    revived = reactivate(account, at)
    account.alert(AlertKind.DISPUTE_WON, at, occasion, invoice=invoice, amount=amount)
    after = {"status": "won", "amount": str(amount)}
    if revived:
        after["reactivated"] = ",".join(sub.key for sub in revived)
    return Change("dispute", charge_id, {"status": "open"}, after)
