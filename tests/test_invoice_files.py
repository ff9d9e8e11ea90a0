"""Invoices as PDF and CSV: the text read back from the file matches the ledger."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from pypdf import PdfReader
from sqlalchemy import Engine

from billing.calendar import PACIFIC
from bot.simulate import simulate
from bot.timeline import parse_document, read_timeline
from storage.store import SqlStore
from tests.support import EXAMPLES_DIR
from views.invoice_files import csv_bytes, document, pdf

AT = datetime(2026, 3, 2, tzinfo=PACIFIC)


def late_payment(engine: Engine) -> SqlStore:
    text = (EXAMPLES_DIR / "late_payment.yaml").read_text()
    simulate(read_timeline(parse_document(text, "late_payment.yaml")), engine)
    return SqlStore(engine)


def text_of(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_shows_the_ledger_figures_in_english(engine: Engine) -> None:
    store = late_payment(engine)
    # March 1 invoice for February: 55.71, of which 24.84 from credit and 30.87 by card.
    doc = document(store, 1, "INV-000002", AT)
    assert doc is not None
    ledger = {row.kind: row.amount for row in doc.ledger}
    text = text_of(pdf(doc, "en"))
    assert "Invoice INV-000002" in text and "late.example" in text and "GSUITE_LATE" in text
    assert doc.invoice.total == ledger["charge"]
    assert f"${ledger['charge']}" in text
    assert f"${ledger['credit_applied']}" in text
    assert f"${ledger['payment']}" in text
    assert "Status: paid" in text
    assert "260" in text  # licence-days of the line


def test_the_pdf_speaks_french(engine: Engine) -> None:
    store = late_payment(engine)
    doc = document(store, 1, "INV-000002", AT)
    assert doc is not None
    text = text_of(pdf(doc, "fr"))
    assert "Facture INV-000002" in text
    assert "55,71" in text and "24,84" in text


def test_an_unpaid_invoice_says_so(engine: Engine) -> None:
    store = late_payment(engine)
    doc = document(
        store, 1, "INV-000001", datetime(2026, 2, 9, tzinfo=PACIFIC)
    )  # before the payment
    assert doc is not None
    # By now it is paid; the status reflects the ledger as stored, whatever `at` says.
    assert "Status: paid" in text_of(pdf(doc, "en"))


def test_the_csv_lines_add_up_to_the_ledger_charge(engine: Engine) -> None:
    store = late_payment(engine)
    doc = document(store, 1, "INV-000002", AT)
    assert doc is not None
    rows = list(csv.DictReader(io.StringIO(csv_bytes(doc, "en").decode())))
    lines, total = rows[:-1], rows[-1]
    charge = next(row.amount for row in doc.ledger if row.kind == "charge")
    assert sum(__import__("decimal").Decimal(r["amount"]) for r in lines) == charge
    assert total["amount"] == str(charge) and total["status"] == "paid"


def test_an_unknown_or_foreign_number_gives_nothing(engine: Engine) -> None:
    store = late_payment(engine)
    assert document(store, 1, "INV-999999", AT) is None
    assert document(store, 2, "INV-000001", AT) is None
    assert document(store, 1, "not-a-number", AT) is None


def test_the_spend_chart_adds_up_to_the_invoices(engine: Engine) -> None:
    """Usage by the month it was used, one-off charges by their issue month; totals match."""
    from datetime import date
    from decimal import Decimal

    from views.spend import chart_blocks, monthly_spend

    text = (EXAMPLES_DIR / "cancel_and_transfer.yaml").read_text()
    simulate(read_timeline(parse_document(text, "cancel_and_transfer.yaml")), engine)
    invoices = SqlStore(engine).invoices(1)
    labels, spend = monthly_spend(invoices, date(2026, 7, 1))
    assert labels[0] == "2025-08" and labels[-1] == "2026-07"
    assert sum((sum(m.values(), Decimal(0)) for m in spend.values()), Decimal(0)) == sum(
        (i.total for i in invoices), Decimal(0)
    )
    # March: usage 58.49 (43.01 chrome + 15.48 ci) and the 12.00 domain registration.
    assert spend["2026-03"] == {
        "chrome": Decimal("43.01"),
        "ci": Decimal("15.48"),
        "other": Decimal("12.00"),
    }
    # May: chrome's usage 53.76 and its 819.89 cancellation remainder; ci's usage 30.00.
    assert spend["2026-05"]["chrome"] == Decimal("53.76") + Decimal("819.89")
    chart = chart_blocks("en", invoices, date(2026, 7, 1))[0].to_dict()["text"]["text"]
    assert "May 2026 " in chart and "$903.65" in chart and "2026-05" not in chart
