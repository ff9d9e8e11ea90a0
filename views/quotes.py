"""What a confirmation or an approval request says: the order in one sentence, then the amounts
of its quote (what is invoiced now, what it settles, the credit it leaves, what it adds to this
month) and the order's own forward-looking sentences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing import commands as cmd
from billing.model import Change, InvoiceKind
from billing.quotes import Line, Quote
from services.forms import N_
from services.orders import ORDERS
from views.alerts import DECLINED, DECLINES
from views.i18n import card_snapshot, instant, render, t

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


CARD_ORDERS = ("setup_billing", "update_card")


def declined(lang: str, change: Change) -> str | None:
    """What a payment the card declined says (nothing was paid), or None if it went through."""
    if change.payment != "failed":
        return None
    why = t(lang, DECLINES.get(str(change.declined), DECLINED))
    return t(lang, "The card declined the payment: nothing was paid.") + " " + why


def aftermath(lang: str, change: Change, now: datetime, tz: str | None = None) -> str:
    """What an order just did, beyond its summary: a card change says what changed and,
    when something is owed, when it is charged to the new card (the service a failed payment
    suspended comes back then), in the reader's time zone."""
    if change.payment == "pending":
        return t(lang, "The card is being charged: its result is posted in the billing channel.")
    if change.action not in CARD_ORDERS or change.after is None:
        return ""
    said = []
    before, after = change.before, change.after
    if before is not None:
        said.append(t(lang, "Card: {before} → {after}.", before=_card(before), after=_card(after)))
    again = after.get("charged_again_at")
    if again:
        at = datetime.fromisoformat(str(again))
        hours = max(1, round((at - now).total_seconds() / 3600))
        said.append(
            t(
                lang,
                "What is owed is charged to it at {time} (in about {hours} h); a service suspended"
                " for non-payment comes back once it is paid.",
                time=instant(at, lang, tz),
                hours=hours,
            )
        )
    return " ".join(said)


def _card(snapshot: dict[str, Any]) -> str:
    return card_snapshot(snapshot) or "—"
