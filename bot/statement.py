"""`licensebot simulate --format text`: the outcome of a timeline as a statement a person reads
(invoices with their lines, transactions, balance, subscriptions, alerts), made from the same
report as the JSON, so the two can never disagree."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from views.i18n import code, money

WIDTH = 100


def statement(report: dict[str, Any]) -> str:
    parts = [
        _invoices(report["invoices"]),
        _transactions(report["transactions"]),
        _balance(report["balance"]),
        _subscriptions(report["subscriptions"]),
        _alerts(report["alerts"]),
    ]
    return "\n\n".join(parts) + "\n"


def _when(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M PT")


def _usd(value: str) -> str:
    return money(Decimal(value), "en")


def _row(left: str, amount: str, indent: int = 2) -> str:
    """`left`, then the amount flush right (a text too long for its column pushes it, rather
    than lose its end)."""
    room = WIDTH - indent - len(amount) - 1
    return " " * indent + left.ljust(room) + " " + amount


def _invoices(invoices: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for invoice in invoices:
        lines.append(
            f"  {invoice['number']} · period {invoice['period']} · issued "
            f"{_when(invoice['issued_at'])} · {invoice['status']}"
        )
        for line in invoice["lines"]:
            days = f"{line['quantity_days']} licence-days" if line["quantity_days"] else ""
            right = f"{days:>18}  {_usd(line['amount']):>12}"
            lines.append(_row(line["description"], right, indent=6))
        lines.append(_row("Total", _usd(invoice["total"]), indent=6))
    return _part("Invoices", lines)


def _part(title: str, rows: list[str]) -> str:
    """A part of the statement: its title, then its rows (or "none")."""
    return "\n".join([title, *(rows or ["  none"])])


def _about(value: str | None) -> str:
    return f" · {value}" if value else ""


def _transactions(transactions: list[dict[str, Any]]) -> str:
    return _part(
        "Transactions",
        [
            _row(
                f"{_when(tx['at'])} · {code('en', tx['kind'])}{_about(tx['invoice'])}",
                _usd(tx["amount"]),
            )
            for tx in transactions
        ],
    )


def _balance(balance: dict[str, str]) -> str:
    return "\n".join(
        [
            "Balance",
            _row(
                "Current cycle (usage this month, not yet invoiced)", _usd(balance["current_cycle"])
            ),
            _row("Balance due (issued, unpaid)", _usd(balance["balance_due"])),
            _row("Credit", _usd(balance["credit"])),
            _row("Total (negative: a credit)", _usd(balance["total"])),
        ]
    )


def _subscriptions(subscriptions: list[dict[str, Any]]) -> str:
    rows = []
    for sub in subscriptions:
        counted = "licences" if sub["plan"] == "annual" else "users"
        ends = f" · term ends {sub['term_end']}" if sub["term_end"] else ""
        rows.append(
            f"  {sub['subscription']} · {sub['plan']} plan · {code('en', sub['status'])} · "
            f"{sub['licences']} {counted}{ends}"
        )
    return _part("Subscriptions", rows)


def _alerts(alerts: list[dict[str, Any]]) -> str:
    return _part(
        "Alerts",
        [
            f"  {_when(a['at'])} · {code('en', a['kind'])}{_about(a['subscription'])}"
            for a in alerts
        ],
    )
