"""An invoice line says what its days count (issue "An app an admin enjoys"): user-days on a
flexible plan ("jours-utilisateurs"), licence-days on an annual one ("jours-licences"), on
the invoices list, the PDF and the CSV, with counts written the reader's way. Expected
strings are written by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from pypdf import PdfReader

from billing.calendar import PACIFIC
from billing.model import Customer, Invoice, InvoiceKind, InvoiceLine, Plan
from views.invoice_files import InvoiceDocument, csv_bytes, pdf
from views.kit import dicts
from views.replies import invoices_blocks

NNBSP = "\u202f"


def text(blocks: list) -> str:  # type: ignore[type-arg]
    return json.dumps(dicts(blocks), ensure_ascii=False)


def invoice(*lines: InvoiceLine) -> Invoice:
    return Invoice(
        1,
        InvoiceKind.MONTHLY,
        "2026-01",
        date(2026, 1, 1),
        date(2026, 1, 31),
        datetime(2026, 2, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 2, 8, 8, 0, tzinfo=UTC),
        list(lines),
        id=1,
    )


FLEXIBLE = InvoiceLine(
    "Cloud Identity Premium, flexible plan, 2026-01",
    Decimal("37.74"),
    195,
    1,
    "ci",
    plan=Plan.FLEXIBLE,
)
ANNUAL = InvoiceLine(
    "Chrome Enterprise Upgrade, annual plan, 2026-01",
    Decimal("516.67"),
    3100,
    2,
    "chrome",
    plan=Plan.ANNUAL,
)


# ---- 3. licence-days and user-days ---------------------------------------------------------


def test_an_invoice_line_counts_user_days_on_a_flexible_plan_licence_days_on_an_annual_one() -> (
    None
):
    at = datetime(2026, 2, 2, tzinfo=PACIFIC)
    en = text(invoices_blocks("en", [invoice(FLEXIBLE, ANNUAL)], at))
    assert "Cloud Identity Premium, flexible plan, January 2026: $37.74 (195 user-days)" in en
    assert (
        "Chrome Enterprise Upgrade, annual plan, January 2026: $516.67 (3,100 licence-days)" in en
    )
    fr = text(invoices_blocks("fr", [invoice(FLEXIBLE, ANNUAL)], at))
    assert "(195 jours-utilisateurs)" in fr
    assert f"(3{NNBSP}100 jours-licences)" in fr
    assert "licence-days" not in fr


def document() -> InvoiceDocument:
    customer = Customer(1, "acme.example", "USD", datetime(2026, 1, 1, tzinfo=UTC))
    return InvoiceDocument(
        invoice(FLEXIBLE, ANNUAL), customer, [], datetime(2026, 2, 2, tzinfo=UTC)
    )


def test_the_invoice_pdf_and_csv_say_user_days_on_a_flexible_plan() -> None:
    en = PdfReader(io.BytesIO(pdf(document(), "en"))).pages[0].extract_text()
    assert "195 user-days" in en and "3,100 licence-days" in en
    assert "Period January 2026" in en and "Issued Feb 1, 2026" in en
    fr = PdfReader(io.BytesIO(pdf(document(), "fr"))).pages[0].extract_text()
    assert "195 jours-utilisateurs" in fr and "3 100 jours-licences" in fr
    rows = list(csv.DictReader(io.StringIO(csv_bytes(document(), "fr").decode())))
    assert [(r["quantity_days"], r["quantity_unit"]) for r in rows] == [
        ("195", "jours-utilisateurs"),
        ("3100", "jours-licences"),
        ("", ""),
    ]
