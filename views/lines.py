"""An invoice line in the reader's language: what it bills (a product on a plan, the rest of
an annual commitment, a domain's registration) and the billing days it covers, written from
the line's facts rather than shown as the English text stored with it.

Every screen that lists invoice lines (the invoices list, the PDF, the CSV, the simulate
statement) says a line through `line_text`, so they all say it the same way.
"""

from __future__ import annotations

from datetime import date

from billing.calendar import month_end
from billing.lines import LineFacts, LineKind, read_line
from billing.model import InvoiceLine
from views.i18n import N_, billing_month, billing_period, t, value

SAID = {
    LineKind.USAGE: N_("{product}, {plan}, {period}"),
    LineKind.REMAINDER: N_("{product}, rest of the annual commitment, {period}"),
    LineKind.DOMAIN: N_("Domain registration {domain}, {period}"),
}


def days_text(start: date, end: date, language: str) -> str:
    """The billing days a line covers: a whole month by its name ("January 2026"), other
    days as a period ("Jun 1 – 11, 2026")."""
    if start.day == 1 and end == month_end(start):
        return billing_month(start, language)
    return billing_period(start, end, language)


def facts_text(facts: LineFacts, language: str) -> str:
    period = days_text(facts.start, facts.end, language)
    if facts.kind is LineKind.DOMAIN:
        return t(language, SAID[facts.kind], domain=facts.subject, period=period)
    plan = value(language, "plan", facts.plan) if facts.plan else ""
    return t(language, SAID[facts.kind], product=facts.subject, plan=plan, period=period)


def line_text(line: InvoiceLine, language: str) -> str:
    """The line as the reader's language says it; a description written some other way (by
    hand, by an older release) is shown as stored. The days are the line's own when it
    has them: a final invoice's usage stops at the transfer, mid-month."""
    facts = read_line(line.description)
    if facts is None:
        return line.description
    start, end = line.period_start or facts.start, line.period_end or facts.end
    plan = line.plan or facts.plan
    return facts_text(LineFacts(facts.kind, facts.subject, start, end, plan), language)
