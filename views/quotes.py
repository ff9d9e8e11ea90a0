"""What a confirmation or an approval request says: the order in one sentence, then the amounts
of its quote (what is invoiced now, what it settles, the credit it leaves, what it adds to this
month) and the order's own forward-looking sentences."""

from __future__ import annotations

from billing import commands as cmd
from billing.model import InvoiceKind
from billing.quotes import Line, Quote
from services.forms import N_
from services.orders import ORDERS
from views.i18n import render

INVOICED_NOW = {
    InvoiceKind.CANCELLATION: N_("The rest of the annual commitment is invoiced now: {amount}."),
    InvoiceKind.FINAL: N_("A final invoice for this month's usage is issued now: {amount}."),
    InvoiceKind.DOMAIN: N_("The domain registration for the year is invoiced now: {amount}."),
    InvoiceKind.MONTHLY: N_("Invoiced now: {amount}."),
}


def describe(lang: str, order: cmd.Command) -> str:
    """One line saying what the order asks for; user-typed values are made inert."""
    return "".join(render(lang, line, escape=True) for line in ORDERS.of(order).describe(order))


def quote_lines(lang: str, quote: Quote) -> list[str]:
    """The amounts a confirmation shows."""
    lines: list[Line] = []
    if quote.this_month > 0:
        lines.append(
            Line(
                "Added to this month's usage: {amount} (prorated by days).",
                {"amount": quote.this_month},
            )
        )
    lines += quote.lines
    lines += [Line(INVOICED_NOW[kind], {"amount": total}) for kind, total in quote.invoiced]
    lines += [
        Line("{amount} settles {invoice}", {"amount": amount, "invoice": number})
        for number, amount in quote.settles
    ]
    if quote.credit > 0:
        lines.append(
            Line(
                "{amount} becomes credit, used by the next invoice or refunded on request.",
                {"amount": quote.credit},
            )
        )
    return [render(lang, line) for line in lines]
