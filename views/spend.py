"""Spend at a glance: the last 12 months' invoice totals per subscription, as bars.

Block Kit has no chart, and an image block needs a public URL Slack can fetch, so the
chart is drawn with block characters in a monospace block: one bar per month, one fill
per subscription, stacked, with a legend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from slack_sdk.models.blocks import Block

from billing.calendar import add_months, month_start, pacific_day
from billing.model import Invoice
from views.i18n import N_, money, short_month, t
from views.kit import context, section

FILLS = "█▓▒░▞▚"
WIDTH = 28
OTHER = "other"


def monthly_spend(
    invoices: Sequence[Invoice], today: date, months: int = 12
) -> tuple[list[str], dict[str, dict[str, Decimal]]]:
    """(months, {month: {subscription: total}}): usage by the month it was used, one-off
    charges (domain, cancellation, final) by the month they were issued."""
    first = add_months(month_start(today), -(months - 1))
    labels = [add_months(first, n).strftime("%Y-%m") for n in range(months)]
    spend: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for invoice in invoices:
        month = (
            invoice.period_start.strftime("%Y-%m")
            if invoice.period.count("-") == 1
            else pacific_day(invoice.issued_at).strftime("%Y-%m")
        )
        if month not in labels:
            continue
        for line in invoice.lines:
            spend[month][line.subscription_key or OTHER] += line.amount
    return labels, spend


def chart_blocks(lang: str, invoices: Sequence[Invoice], today: date) -> list[Block]:
    labels, spend = monthly_spend(invoices, today)
    keys = sorted({key for month in spend.values() for key in month}, key=lambda k: (k == OTHER, k))
    if not keys:
        return [
            section(f"*{t(lang, N_('Spend, last 12 months'))}*"),
            context(t(lang, N_("No invoice yet."))),
        ]
    fill = {key: FILLS[i % len(FILLS)] for i, key in enumerate(keys)}
    top = max(sum(month.values(), Decimal(0)) for month in spend.values()) or Decimal(1)
    names = {label: short_month(date.fromisoformat(f"{label}-01"), lang) for label in labels}
    room = max(len(name) for name in names.values())
    rows = []
    for label in labels:
        month = spend.get(label, {})
        bar = "".join(
            fill[key] * max(1, round(WIDTH * month[key] / top)) for key in keys if month.get(key)
        )
        total = sum(month.values(), Decimal(0))
        shown = f"{names[label]:<{room}} {bar:<{WIDTH + 2}} {money(total, lang) if total else ''}"
        rows.append(shown.rstrip())
    legend = "  ".join(
        f"{fill[key]} {t(lang, N_('one-off charges')) if key == OTHER else key}" for key in keys
    )
    return [
        section(f"*{t(lang, N_('Spend, last 12 months'))}*\n```" + "\n".join(rows) + "```"),
        context(legend),
    ]
