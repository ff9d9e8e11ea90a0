"""Money movements on an account: issuing and credit (charges: billing.charging; refunds:
billing.refunds).

Every movement is a ledger row; an invoice's paid amount and the account's credit are
derived from those rows, so the ledger never creates or loses a cent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from billing.account import Account
from billing.calendar import day_start, pacific_day
from billing.charging import charge_automatically
from billing.errors import PaymentDeclined
from billing.model import AlertKind, Invoice, InvoiceKind, InvoiceLine, Transaction, TxKind

PAYMENT_TERMS = timedelta(days=7)


def draft(
    account: Account,
    kind: InvoiceKind,
    key: str,
    lines: list[InvoiceLine],
    at: datetime,
    period: tuple[date, date] | None = None,
) -> Invoice:
    """An invoice issued at `at`, overdue at 00:00 Pacific seven days after its issue date."""
    issued_on = pacific_day(at)
    first, last = period or (issued_on, issued_on)
    return Invoice(
        customer_id=account.id,
        kind=kind,
        key=key,
        period_start=first,
        period_end=last,
        issued_at=at,
        due_at=day_start(issued_on + PAYMENT_TERMS),
        lines=[line for line in lines if line.amount > 0],
    )


def issue(account: Account, invoice: Invoice) -> bool:
    """Issue an invoice once, use any credit, and charge the card on file for the rest."""
    if not invoice.lines or not account.add_invoice(invoice):
        return False
    at = invoice.issued_at
    account.alert(AlertKind.INVOICE_ISSUED, at, invoice.key, invoice=invoice, total=invoice.total)
    apply_credit(account, invoice, at)
    charge_automatically(account, [invoice], at, f"invoice:{invoice.key}")
    return True


def apply_credit(account: Account, invoice: Invoice, at: datetime) -> None:
    used = min(account.credit, invoice.unpaid)
    if used > 0:
        account.record(Transaction(account.id, at, TxKind.CREDIT_APPLIED, used, invoice))


def check_payable(account: Account, at: datetime) -> None:
    """A manual payment needs a card on file that has not expired (refused before charging)."""
    card = account.card
    if card is None:
        raise PaymentDeclined("no payment method on file: set up billing first", field="card")
    if not card.valid_on(pacific_day(at)):
        raise PaymentDeclined(
            "the card {card} has expired: update it first", field="card", card=card.describe()
        )
