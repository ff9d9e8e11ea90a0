"""Invoices as files: a PDF to read and keep, a CSV to load into a spreadsheet.

Every figure comes from the ledger as stored (lines, credit applied, payments); nothing
is recomputed here. English or French, as the reader prefers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fpdf import FPDF

from billing.history import LedgerEntry
from billing.model import Customer, Invoice
from billing.store import Reader
from views.i18n import N_, billing_day, days_unit, days_used, labelled, money, period, t
from views.lines import line_text

LATIN = str.maketrans(
    {
        "\u202f": " ",
        "\u00a0": " ",
        "\u2009": " ",
        "–": "-",
        "—": "-",
        "•": "*",
        "“": '"',
        "”": '"',
        "’": "'",
        "…": "...",
    }
)


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: Invoice
    customer: Customer
    ledger: list[LedgerEntry]
    """The ledger rows that name this invoice: its charge, payments, credit applied."""
    at: datetime

    def total_of(self, kind: str) -> Decimal:
        return sum((row.amount for row in self.ledger if row.kind == kind), Decimal("0.00"))

    @property
    def credit_applied(self) -> Decimal:
        return self.total_of("credit_applied")

    @property
    def status(self) -> str:
        if self.invoice.unpaid == 0:
            return N_("paid")
        return N_("overdue") if self.invoice.overdue_at(self.at) else N_("unpaid")

    def filename(self, extension: str) -> str:
        return f"{self.invoice.number}-{self.customer.domain}.{extension}"


def document(store: Reader, customer_id: int, number: str, at: datetime) -> InvoiceDocument | None:
    invoice = store.invoice(customer_id, number)
    customer = store.customer(customer_id)
    if invoice is None or customer is None:
        return None
    return InvoiceDocument(invoice, customer, store.ledger(customer_id, invoice=number), at)


def _latin(text: str) -> str:
    """The PDF's built-in fonts speak Latin-1: narrow spaces and typographic marks are folded."""
    return text.translate(LATIN).encode("latin-1", "replace").decode("latin-1")


def pdf(document: InvoiceDocument, lang: str) -> bytes:
    invoice, customer = document.invoice, document.customer
    page = FPDF(format="A4")
    page.set_auto_page_break(auto=True, margin=15)
    page.add_page()
    page.set_title(_latin(f"{t(lang, 'Invoice')} {invoice.number}"))
    page.set_font("helvetica", "B", 18)
    page.cell(
        0, 10, _latin(f"{t(lang, 'Invoice')} {invoice.number}"), new_x="LMARGIN", new_y="NEXT"
    )
    page.set_font("helvetica", "", 10)
    facts = [
        (t(lang, "Customer"), customer.domain),
        (t(lang, "Issued"), billing_day(invoice.issued_at, lang)),
        (t(lang, "Period"), period(invoice, lang)),
        (t(lang, "Payment due by"), billing_day(invoice.due_at, lang)),
        (t(lang, "Statement descriptor"), customer.descriptor),
        (t(lang, "Currency"), customer.currency),
    ]
    for label, value in facts:
        page.cell(45, 6, _latin(label))
        page.cell(0, 6, _latin(value), new_x="LMARGIN", new_y="NEXT")
    page.ln(4)
    widths = (25, 85, 45, 35)
    page.set_font("helvetica", "B", 10)
    for width, heading in zip(
        widths,
        (
            t(lang, "Subscription"),
            t(lang, "Description"),
            t(lang, "Days used"),
            t(lang, "Amount"),
        ),
        strict=True,
    ):
        page.cell(
            width,
            7,
            _latin(heading),
            border="B",
            align="R" if heading == t(lang, "Amount") else "L",
        )
    page.ln()
    page.set_font("helvetica", "", 9)
    for line in invoice.lines:
        cells = (
            line.subscription_key or "-",
            line_text(line, lang),
            days_used(line, lang) if line.quantity_days else "",
            money(line.amount, lang),
        )
        _row(page, widths, cells)
    page.ln(2)
    page.set_font("helvetica", "", 10)
    summary = [
        (t(lang, "Total"), money(invoice.total, lang)),
        (t(lang, "Credit applied"), money(document.credit_applied, lang)),
        (t(lang, "Paid"), money(invoice.paid - document.credit_applied, lang)),
        (t(lang, "Amount due"), money(invoice.unpaid, lang)),
    ]
    for label, value in summary:
        page.cell(widths[0] + widths[1] + widths[2], 6, _latin(label), align="R")
        page.cell(widths[3], 6, _latin(value), align="R", new_x="LMARGIN", new_y="NEXT")
    page.set_font("helvetica", "B", 11)
    page.cell(
        0,
        8,
        _latin(labelled(lang, t(lang, "Status"), t(lang, document.status))),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    page.set_font("helvetica", "", 8)
    page.multi_cell(
        0,
        4,
        _latin(
            t(
                lang,
                "Billing periods are computed in US Pacific time. Charges appear on card statements as {descriptor}.",
                descriptor=customer.descriptor,
            )
        ),
    )
    return bytes(page.output())


def _row(page: FPDF, widths: tuple[int, ...], cells: tuple[str, ...]) -> None:
    """One line of the invoice: its description (the second cell) wraps within its column,
    as a French period is longer than the English one; the other cells stand on its first
    line."""
    wrapped = page.multi_cell(widths[1], 6, _latin(cells[1]), dry_run=True, output="LINES")
    height = 6 * max(1, len(wrapped) if isinstance(wrapped, list) else 1)
    if page.will_page_break(height):
        page.add_page()
    top = page.get_y()
    for column, (width, value, align) in enumerate(zip(widths, cells, "LLRR", strict=True)):
        if column == 1:
            page.multi_cell(width, 6, _latin(value), align=align, new_x="RIGHT", new_y="TOP")
        else:
            page.cell(width, 6, _latin(value), align=align)
    page.set_xy(page.l_margin, top + height)


def csv_bytes(document: InvoiceDocument, lang: str) -> bytes:
    invoice = document.invoice
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "invoice",
            "issued_at",
            "period",
            "subscription",
            "description",
            "quantity_days",
            "quantity_unit",
            "amount",
            "currency",
            "status",
        ]
    )
    for line in invoice.lines:
        writer.writerow(
            [
                invoice.number,
                invoice.issued_at.isoformat(),
                invoice.period,
                line.subscription_key or "",
                line_text(line, lang),
                line.quantity_days,
                days_unit(line, lang) if line.quantity_days else "",
                str(line.amount),
                document.customer.currency,
                document.status,
            ]
        )
    writer.writerow(
        [
            invoice.number,
            invoice.issued_at.isoformat(),
            invoice.period,
            "",
            t(lang, "Total"),
            "",
            "",
            str(invoice.total),
            document.customer.currency,
            document.status,
        ]
    )
    return out.getvalue().encode("utf-8")
