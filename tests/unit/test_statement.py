"""`licensebot simulate --format text` is a statement a person reads (issue "An app an admin
enjoys"): user-days on a flexible plan's lines, licence-days on an annual one's, the plan
found in the report's subscriptions; Pacific dates and times written out, said once to be
Pacific time, never "PT"; lines said from their facts. Expected strings are written by hand."""

from __future__ import annotations

from typing import Any

from bot.statement import statement

THIN, NARROW = "\u2009", "\u202f"
"""Babel's spaces: thin ones around a period's dash, a narrow no-break one before AM/PM."""


def _line(subscription: str | None, description: str, days: int, amount: str) -> dict[str, Any]:
    return {
        "subscription": subscription,
        "description": description,
        "quantity_days": days,
        "amount": amount,
    }


REPORT: dict[str, Any] = {
    "invoices": [
        {
            "number": "INV-000001",
            "issued_at": "2026-02-01T00:00:00-08:00",
            "period": "2026-01",
            "lines": [
                _line("ci", "Cloud Identity Premium, flexible plan, 2026-01", 195, "37.74"),
                _line("chrome", "Chrome Enterprise Upgrade, annual plan, 2026-01", 3100, "516.67"),
            ],
            "total": "554.41",
            "status": "paid",
        },
        {
            "number": "INV-000002",
            "issued_at": "2026-05-15T12:00:00-07:00",
            "period": "2026-05-16/2027-01-09",
            "lines": [
                _line(
                    "chrome",
                    "Chrome Enterprise Upgrade, rest of the annual commitment 2026-05-16–2027-01-09",
                    5980,
                    "819.89",
                )
            ],
            "total": "819.89",
            "status": "unpaid",
        },
        {
            "number": "INV-000003",
            "issued_at": "2026-06-11T12:00:00-07:00",
            "period": "2026-06-01/2026-06-11",
            "lines": [_line("ci", "Cloud Identity Premium, flexible plan, 2026-06", 77, "15.40")],
            "total": "15.40",
            "status": "paid",
        },
    ],
    "transactions": [
        {
            "at": "2026-02-01T00:00:00-08:00",
            "kind": "charge",
            "amount": "554.41",
            "invoice": "INV-000001",
        },
        {
            "at": "2026-02-03T09:30:00-08:00",
            "kind": "credit_applied",
            "amount": "10.00",
            "invoice": None,
        },
    ],
    "balance": {
        "current_cycle": "0.00",
        "balance_due": "819.89",
        "credit": "0.00",
        "total": "819.89",
    },
    "subscriptions": [
        {
            "subscription": "ci",
            "status": "transferred",
            "plan": "flexible",
            "licences": 1,
            "seats_used": 0,
            "term_end": "2026-06-11",
        },
        {
            "subscription": "chrome",
            "status": "cancelled",
            "plan": "annual",
            "licences": 20,
            "seats_used": 3,
            "term_end": "2026-05-15",
        },
    ],
    "alerts": [{"at": "2026-01-07T00:00:00-08:00", "kind": "trial_ending", "subscription": "ci"}],
}


def rows() -> list[str]:
    return statement(REPORT).splitlines()


def line_row(left: str, days: str, amount: str) -> str:
    """An invoice line as the statement sets it out in its 100 columns: the text in 67
    (6 of indent), the days flush right in 18, the amount flush right in 12."""
    return f"{'      ' + left:<67} {days:>18}  {amount:>12}"


def test_it_says_once_that_its_times_are_pacific_never_pt() -> None:
    text = statement(REPORT)
    assert (
        rows()[0] == "Dates and times are in Pacific time, the time zone of the billing calendar."
    )
    assert "PT" not in text and "T00:00" not in text


def test_an_invoice_gives_its_period_and_when_it_was_issued_written_out() -> None:
    assert f"  INV-000001 · January 2026 · issued Feb 1, 2026 at 12:00{NARROW}AM · paid" in rows()
    assert (
        f"  INV-000002 · May 16, 2026{THIN}–{THIN}Jan 9, 2027 · issued May 15, 2026 at"
        f" 12:00{NARROW}PM · unpaid"
    ) in rows()


def test_lines_count_user_days_on_a_flexible_plan_licence_days_on_an_annual_one() -> None:
    flexible = "Cloud Identity Premium, flexible plan, January 2026"
    annual = "Chrome Enterprise Upgrade, annual plan, January 2026"
    assert line_row(flexible, "195 user-days", "$37.74") in rows()
    assert line_row(annual, "3,100 licence-days", "$516.67") in rows()


def test_a_final_invoices_usage_covers_its_days_not_the_whole_month() -> None:
    line = f"Cloud Identity Premium, flexible plan, Jun 1{THIN}–{THIN}11, 2026"
    assert line_row(line, "77 user-days", "$15.40") in rows()


def test_a_line_too_long_for_its_column_goes_on_after_a_comma() -> None:
    at = rows().index("      Chrome Enterprise Upgrade, rest of the annual commitment,")
    wrapped = f"  May 16, 2026{THIN}–{THIN}Jan 9, 2027"
    assert rows()[at + 1] == line_row(wrapped, "5,980 licence-days", "$819.89")
    assert all(len(row) <= 100 for row in rows())


def test_transactions_subscriptions_and_alerts_are_written_for_people() -> None:
    charge = f"  Feb 1, 2026 at 12:00{NARROW}AM · charge · INV-000001"
    assert f"{charge:<92} $554.41" in rows()
    credit = f"  Feb 3, 2026 at 9:30{NARROW}AM · credit applied"
    assert f"{credit:<93} $10.00" in rows()
    assert "  ci · flexible plan · transferred · 1 user · term ends Jun 11, 2026" in rows()
    assert (
        "  chrome · annual plan · cancelled · 20 licences held · term ends May 15, 2026" in rows()
    )
    assert f"  Jan 7, 2026 at 12:00{NARROW}AM · trial ending · ci" in rows()
