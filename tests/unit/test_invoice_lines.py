"""An invoice line in the reader's language (issue "An app an admin enjoys"): every screen
says what a line bills from its facts (product, plan, billing days, kind of line) with
Babel's dates, while the English description stored with it stays as it was written.
Expected strings are written by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from pypdf import PdfReader

from billing.calendar import PACIFIC
from billing.lines import LineFacts, LineKind, read_line
from billing.model import Customer, Invoice, InvoiceKind, InvoiceLine, Plan
from views.invoice_files import InvoiceDocument, csv_bytes, pdf
from views.kit import dicts
from views.lines import line_text
from views.replies import invoices_blocks

THIN = "\u2009"
"""Babel sets a thin space either side of the dash of a period across months."""

USAGE = InvoiceLine(
    "Cloud Identity Premium, flexible plan, 2026-01",
    Decimal("37.74"),
    195,
    1,
    "ci",
    date(2026, 1, 1),
    date(2026, 1, 31),
    Plan.FLEXIBLE,
)
FINAL_USAGE = InvoiceLine(
    "Chrome Enterprise Upgrade, annual plan, 2026-06",
    Decimal("45.83"),
    275,
    2,
    "chrome",
    date(2026, 6, 1),
    date(2026, 6, 11),
    Plan.ANNUAL,
)
REMAINDER = InvoiceLine(
    "Chrome Enterprise Upgrade, rest of the annual commitment 2026-05-16–2027-01-09",
    Decimal("819.89"),
    5980,
    2,
    "chrome",
    date(2026, 5, 16),
    date(2027, 1, 9),
    Plan.ANNUAL,
)
DOMAIN = InvoiceLine(
    "Domain registration moving.example, 2026-03-03–2027-03-02",
    Decimal("12.00"),
    0,
    period_start=date(2026, 3, 3),
    period_end=date(2027, 3, 2),
)


# ---- the stored text: written and read back in one place -----------------------------------


def test_the_stored_descriptions_are_the_english_text_of_the_first_releases() -> None:
    usage = LineFacts(
        LineKind.USAGE, "Cloud Identity Premium", date(2026, 1, 1), date(2026, 1, 31), Plan.FLEXIBLE
    )
    assert usage.description == "Cloud Identity Premium, flexible plan, 2026-01"
    remainder = LineFacts(
        LineKind.REMAINDER, "Chrome Enterprise Upgrade", date(2026, 5, 16), date(2027, 1, 9)
    )
    assert (
        remainder.description
        == "Chrome Enterprise Upgrade, rest of the annual commitment 2026-05-16–2027-01-09"
    )
    domain = LineFacts(LineKind.DOMAIN, "moving.example", date(2026, 3, 3), date(2027, 3, 2))
    assert domain.description == "Domain registration moving.example, 2026-03-03–2027-03-02"


def test_a_description_reads_back_into_its_facts() -> None:
    assert read_line("Cloud Identity Premium, flexible plan, 2026-02") == LineFacts(
        LineKind.USAGE, "Cloud Identity Premium", date(2026, 2, 1), date(2026, 2, 28), Plan.FLEXIBLE
    )
    assert read_line(REMAINDER.description) == LineFacts(
        LineKind.REMAINDER,
        "Chrome Enterprise Upgrade",
        date(2026, 5, 16),
        date(2027, 1, 9),
        Plan.ANNUAL,
    )
    assert read_line(DOMAIN.description) == LineFacts(
        LineKind.DOMAIN, "moving.example", date(2026, 3, 3), date(2027, 3, 2)
    )
    # A product whose name has a comma keeps it.
    assert read_line("Workspace, Business, annual plan, 2026-01") == LineFacts(
        LineKind.USAGE, "Workspace, Business", date(2026, 1, 1), date(2026, 1, 31), Plan.ANNUAL
    )


def test_a_description_written_otherwise_is_not_read() -> None:
    assert read_line("Consulting, 3 hours") is None
    assert read_line("Chrome, annual plan, 2026-13") is None  # no such month
    assert read_line("Chrome, weekly plan, 2026-01") is None
    assert read_line("Domain registration a.example, 2026-03-03-2027-03-02") is None


# ---- every screen says it in the reader's language -----------------------------------------


def test_a_month_of_usage_is_its_product_plan_and_month() -> None:
    assert line_text(USAGE, "en") == "Cloud Identity Premium, flexible plan, January 2026"
    assert line_text(USAGE, "fr") == "Cloud Identity Premium, forfait modulable, janvier 2026"


def test_usage_that_stops_mid_month_gives_its_days() -> None:
    """A final invoice's usage ends on the transfer day."""
    assert line_text(FINAL_USAGE, "en") == (
        f"Chrome Enterprise Upgrade, annual plan, Jun 1{THIN}–{THIN}11, 2026"
    )
    assert (
        line_text(FINAL_USAGE, "fr") == "Chrome Enterprise Upgrade, forfait annuel, 1–11 juin 2026"
    )


def test_the_rest_of_a_commitment_gives_its_days() -> None:
    assert line_text(REMAINDER, "en") == (
        "Chrome Enterprise Upgrade, rest of the annual commitment,"
        f" May 16, 2026{THIN}–{THIN}Jan 9, 2027"
    )
    assert line_text(REMAINDER, "fr") == (
        "Chrome Enterprise Upgrade, reste de l'engagement annuel,"
        f" 16 mai 2026{THIN}–{THIN}9 janv. 2027"
    )


def test_a_domain_registration_gives_its_year() -> None:
    assert line_text(DOMAIN, "en") == (
        f"Domain registration moving.example, Mar 3, 2026{THIN}–{THIN}Mar 2, 2027"
    )
    assert line_text(DOMAIN, "fr") == (
        f"Enregistrement du domaine moving.example, 3 mars 2026{THIN}–{THIN}2 mars 2027"
    )


def test_a_line_written_otherwise_is_shown_as_stored() -> None:
    line = InvoiceLine("Consulting, 3 hours", Decimal("90.00"))
    assert line_text(line, "fr") == "Consulting, 3 hours"


def _invoice(kind: InvoiceKind, *lines: InvoiceLine) -> Invoice:
    return Invoice(
        1,
        kind,
        "k",
        lines[0].period_start or date(2026, 1, 1),
        lines[0].period_end or date(2026, 1, 31),
        datetime(2026, 5, 16, 19, 0, tzinfo=UTC),
        datetime(2026, 5, 23, 19, 0, tzinfo=UTC),
        list(lines),
        id=4,
    )


def test_the_invoices_list_says_lines_in_french() -> None:
    at = datetime(2026, 6, 1, tzinfo=PACIFIC)
    shown = json.dumps(
        dicts(invoices_blocks("fr", [_invoice(InvoiceKind.CANCELLATION, REMAINDER)], at)),
        ensure_ascii=False,
    )
    assert (
        "• Chrome Enterprise Upgrade, reste de l'engagement annuel,"
        f" 16 mai 2026{THIN}–{THIN}9 janv. 2027\u00a0: 819,89\u00a0$US (5\u202f980 jours-licences)"
    ) in shown
    assert "rest of the annual commitment" not in shown and "2026-05-16" not in shown


def _document(invoice: Invoice) -> InvoiceDocument:
    customer = Customer(1, "moving.example", "USD", datetime(2026, 1, 1, tzinfo=UTC))
    return InvoiceDocument(invoice, customer, [], datetime(2026, 6, 1, tzinfo=UTC))


def _pdf_text(doc: InvoiceDocument, lang: str) -> str:
    """The PDF's words, one space apart (a description wraps over lines of its column)."""
    return " ".join(PdfReader(io.BytesIO(pdf(doc, lang))).pages[0].extract_text().split())


def test_the_pdf_and_csv_say_lines_in_the_readers_language() -> None:
    doc = _document(_invoice(InvoiceKind.DOMAIN, DOMAIN))
    fr = _pdf_text(doc, "fr")
    # The PDF's fonts are Latin-1: thin spaces are plain ones there, the dash a hyphen.
    assert "Enregistrement du domaine moving.example, 3 mars 2026 - 2 mars 2027" in fr
    assert "Domain registration" not in fr and "?" not in fr
    en = _pdf_text(doc, "en")
    assert "Domain registration moving.example, Mar 3, 2026 - Mar 2, 2027" in en
    rows = list(csv.DictReader(io.StringIO(csv_bytes(doc, "fr").decode())))
    assert rows[0]["description"] == (
        f"Enregistrement du domaine moving.example, 3 mars 2026{THIN}–{THIN}2 mars 2027"
    )


def test_a_long_description_wraps_in_its_column_of_the_pdf() -> None:
    """Cut at 60 characters it lost its end; left whole it ran over the days and amount."""
    doc = _document(_invoice(InvoiceKind.CANCELLATION, REMAINDER))
    fr = _pdf_text(doc, "fr")
    assert (
        "chrome Chrome Enterprise Upgrade, reste de l'engagement annuel, 16 mai 2026 - 9 janv. 2027"
        " 5 980 jours-licences 819,89 $US"
    ) in fr
