"""`licensebot simulate --format text`: the outcome of a timeline as a statement a person reads
(invoices with their lines, transactions, balance, subscriptions, alerts), made from the same
report as the JSON, so the two can never disagree.

The report keeps what the JSON pins (ISO instants in Pacific time, the English descriptions
stored with the lines); the statement says them as the screens do: dates written out, a line
from its facts, its days counted as its plan counts them (the plan is the subscription's,
from the report's own list of subscriptions).
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_time

from billing.lines import LineFacts, LineKind, read_line
from billing.model import Plan
from views.i18n import (
    DAYS_USED,
    FALLBACK,
    LOCALES,
    billing_day,
    billing_month,
    billing_period,
    code,
    money,
    t,
    tn,
)
from views.lines import facts_text
from views.replies import HELD, USERS

WIDTH = 100
LANG = "en"
ZONE = "Dates and times are in Pacific time, the time zone of the billing calendar."


def statement(report: dict[str, Any]) -> str:
    plans = {sub["subscription"]: Plan(sub["plan"]) for sub in report["subscriptions"]}
    parts = [
        ZONE,
        _invoices(report["invoices"], plans),
        _transactions(report["transactions"]),
        _balance(report["balance"]),
        _subscriptions(report["subscriptions"]),
        _alerts(report["alerts"]),
    ]
    return "\n\n".join(parts) + "\n"


def _when(value: str) -> str:
    """An instant of the report (Pacific, with its offset), as a person writes it."""
    at = datetime.fromisoformat(value)
    time = format_time(at, "short", locale=LOCALES[LANG])
    return t(LANG, FALLBACK, date=billing_day(at.date(), LANG), time=time)


def _period(value: str) -> tuple[date, date] | None:
    """An invoice's period as the report writes it: "2026-01", or "2026-03-03/2027-03-02"."""
    if "/" in value:
        start, end = value.split("/")
        return date.fromisoformat(start), date.fromisoformat(end)
    return None


def _period_text(value: str) -> str:
    days = _period(value)
    if days is None:
        return billing_month(date.fromisoformat(f"{value}-01"), LANG)
    return billing_period(*days, LANG)


def _usd(value: str) -> str:
    return money(Decimal(value), LANG)


def _row(left: str, amount: str, indent: int = 2) -> str:
    """`left`, then the amount flush right; a text too long for its column goes on over
    further lines, the amount standing on the last (never cut, never pushed out)."""
    room = WIDTH - indent - len(amount) - 1
    first, *rest = _wrap(left, room)
    if not rest:
        return " " * indent + first.ljust(room) + " " + amount
    *middle, last = rest
    return "\n".join(
        [" " * indent + part for part in (first, *middle)]
        + [" " * indent + last.ljust(room) + " " + amount]
    )


def _wrap(text: str, room: int) -> list[str]:
    """`text` in lines of `room` characters, broken after a comma where one is (between a
    line's product, plan and period), continuation lines indented."""
    lines: list[str] = []
    for part in text.split(", "):
        joined = f"{lines[-1]}, {part}" if lines else part
        if lines and len(joined) <= room:
            lines[-1] = joined
        elif lines:
            lines[-1] += ","
            lines.append("  " + part)
        else:
            lines.append(part)
    return [piece for line in lines for piece in textwrap.wrap(line, room) or [""]]


def _invoices(invoices: list[dict[str, Any]], plans: dict[str, Plan]) -> str:
    lines: list[str] = []
    for invoice in invoices:
        lines.append(
            f"  {invoice['number']} · {_period_text(invoice['period'])} · issued "
            f"{_when(invoice['issued_at'])} · {invoice['status']}"
        )
        for line in invoice["lines"]:
            plan = plans.get(line["subscription"] or "")
            facts = read_line(line["description"])
            days = ""
            if line["quantity_days"]:
                unit = plan or (facts.plan if facts else None) or Plan.ANNUAL
                days = tn(LANG, DAYS_USED[unit], line["quantity_days"])
            right = f"{days:>18}  {_usd(line['amount']):>12}"
            lines.append(_row(_line_text(line["description"], invoice["period"]), right, indent=6))
        lines.append(_row("Total", _usd(invoice["total"]), indent=6))
    return _part("Invoices", lines)


def _line_text(description: str, period: str) -> str:
    """A line from its facts; a month's usage on an invoice of fewer days (a transfer's final
    invoice) covers the invoice's days, not its whole month."""
    facts = read_line(description)
    if facts is None:
        return description
    days = _period(period)
    if facts.kind is LineKind.USAGE and days is not None:
        start, end = max(facts.start, days[0]), min(facts.end, days[1])
        facts = LineFacts(facts.kind, facts.subject, start, end, facts.plan)
    return facts_text(facts, LANG)


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
                f"{_when(tx['at'])} · {code(LANG, tx['kind'])}{_about(tx['invoice'])}",
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
        counted = tn(LANG, HELD if sub["plan"] == "annual" else USERS, sub["licences"])
        ends = (
            f" · term ends {billing_day(date.fromisoformat(sub['term_end']), LANG)}"
            if sub["term_end"]
            else ""
        )
        rows.append(
            f"  {sub['subscription']} · {sub['plan']} plan · {code(LANG, sub['status'])} · "
            f"{counted}{ends}"
        )
    return _part("Subscriptions", rows)


def _alerts(alerts: list[dict[str, Any]]) -> str:
    return _part(
        "Alerts",
        [
            f"  {_when(a['at'])} · {code(LANG, a['kind'])}{_about(a['subscription'])}"
            for a in alerts
        ],
    )
