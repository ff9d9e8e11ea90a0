"""Alert messages for the billing channel: the facts, when it happened in each reader's own
time zone (Slack's date tokens), the billing days that matter (Pacific calendar dates), what
to do next, and a button where it helps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from babel.lists import format_list
from slack_sdk.models.blocks import Block

from billing.history import Notice
from views.i18n import (
    LOCALES,
    N_,
    Nn_,
    Plural,
    billing_day,
    card_expiry,
    card_text,
    holder_text,
    instant,
    labelled,
    money,
    t,
    tn,
)
from views.kit import actions, button, context, link, section
from views.openers import CARD, opener
from views.replies import INVOICE_CSV, INVOICE_PDF

TITLES: dict[str, str | Plural] = {
    "trial_ending": Nn_(
        ":hourglass: The free trial of {subscription} ends in {days} day",
        ":hourglass: The free trial of {subscription} ends in {days} days",
    ),
    "trial_converted": N_(
        ":white_check_mark: {subscription}: the trial is over, paid service has started"
    ),
    "trial_ended_suspended": N_(
        ":no_entry: {subscription} is suspended: the trial ended without billing set up"
    ),
    "invoice_issued": N_(":receipt: Invoice {invoice} issued: {amount}"),
    "payment_succeeded": N_(":white_check_mark: Payment received: {amount}"),
    "payment_failed": N_(":x: The automatic payment of {amount} failed"),
    "suspended_non_payment": N_(":no_entry: {subscription} is suspended for non-payment"),
    "reactivated": N_(":white_check_mark: {subscription} is active again"),
    "renewal_upcoming": Nn_(
        ":calendar: {subscription}: the term ends in {days} day",
        ":calendar: {subscription}: the term ends in {days} days",
    ),
    "card_expiring": N_(":credit_card: The card {card} expires soon"),
    "domain_renewal_upcoming": N_(
        ":globe_with_meridians: The domain {domain} renews in 30 days ({amount})"
    ),
    "cancelled": N_(":wave: {subscription} is cancelled"),
    "transferred": N_(":handshake: {subscription} moved to the reseller {reseller}"),
    "seats_low": N_(":chair: {subscription}: {used} of {licences} licences are assigned"),
    "seats_exhausted": N_(":warning: {subscription}: all {licences} licences are assigned"),
    "refund_failed": N_(":warning: The refund of {amount} failed: the credit is back"),
    "payment_disputed": N_(":rotating_light: A payment of {amount} is disputed"),
    "dispute_won": N_(":white_check_mark: The dispute over {amount} is won"),
    "dispute_lost": N_(":x: The dispute over {amount} is lost: it stays owed"),
    "reconciliation_difference": N_(":mag: The books and the payment processor differ for {day}"),
    "card_saved": N_(":credit_card: The card {card} is saved: automatic payments use it"),
    "card_reentry_needed": N_(":warning: The card {card} must be entered again"),
}
TOGETHER: dict[str, str | Plural] = {
    "trial_ending": Nn_(
        ":hourglass: The free trials of {subscriptions} end in {days} day",
        ":hourglass: The free trials of {subscriptions} end in {days} days",
    ),
    "trial_converted": N_(
        ":white_check_mark: {subscriptions}: the trials are over, paid service has started"
    ),
    "trial_ended_suspended": N_(
        ":no_entry: {subscriptions} are suspended: the trial ended without billing set up"
    ),
    "suspended_non_payment": N_(":no_entry: {subscriptions} are suspended for non-payment"),
    "reactivated": N_(":white_check_mark: {subscriptions} are active again"),
    "renewal_upcoming": Nn_(
        ":calendar: {subscriptions}: the terms end in {days} day",
        ":calendar: {subscriptions}: the terms end in {days} days",
    ),
    "cancelled": N_(":wave: {subscriptions} are cancelled"),
    "transferred": N_(":handshake: {subscriptions} moved to the reseller {reseller}"),
}
"""Titles of one message about several subscriptions (the same alert, at the same instant)."""
NEXT_STEPS = {
    "trial_ending": N_(
        "Set up billing before the trial ends, or the service is suspended: /license billing"
    ),
    "trial_ended_suspended": N_(
        "Set up billing to reactivate it (a few hours), or pay to reactivate at once."
    ),
    "invoice_issued": N_("It is charged automatically to the card on file; see /license invoices."),
    "payment_failed": N_(
        "Update the card or pay by hand: unpaid 7 days after issue, the service is suspended."
    ),
    "suspended_non_payment": N_(
        "Pay the balance due to reactivate at once; fixing the card reactivates in a few hours."
    ),
    "renewal_upcoming": N_("Check the renewal options: /license renewal"),
    "card_expiring": N_("Update the card's expiry: /license card"),
    "card_reentry_needed": N_(
        "It was saved before payments went through the processor: enter it on the secure page,"
        " or automatic payments fail."
    ),
    "seats_low": N_("Buy more before they run out, or release unused seats: /license seats"),
    "seats_exhausted": N_(
        "Buy more to give anyone else a licence, or release unused seats: /license seats"
    ),
    "refund_failed": N_("The credit stays on the account, used by the next invoice."),
    "payment_disputed": N_(
        "The disputed amount is owed again until the dispute is won: answer it at the processor."
    ),
    "reconciliation_difference": N_(
        "Check these payments at the processor and in /license transactions."
    ),
}
BUTTONS = {
    "payment_failed": (N_("Pay now"), opener("pay")),
    "suspended_non_payment": (N_("Pay now"), opener("pay")),
    "trial_ending": (N_("Set up billing"), CARD),
    "trial_ended_suspended": (N_("Set up billing"), CARD),
    "card_expiring": (N_("Update the card"), CARD),
    "card_reentry_needed": (N_("Enter the card again"), CARD),
    "seats_low": (N_("Buy licences"), opener("add_licences")),
    "seats_exhausted": (N_("Buy licences"), opener("add_licences")),
}
PREFILLED = frozenset({"seats_low", "seats_exhausted"})
"""Alerts whose button opens its form for the alert's subscription."""


EXPIRED = N_("Why: the card on file has expired.")
DECLINES = {
    "expired_card": EXPIRED,
    "card_expired": EXPIRED,  # as alerts saved before the payment gateway say it
    "insufficient_funds": N_("Why: the card has insufficient funds."),
    "authentication_required": N_("Why: the bank asks the cardholder to confirm the payment."),
    "processing_error": N_("Why: the card's bank could not process it; it can be tried again."),
}
"""Why a charge failed, in the processor's codes (billing.gateway.Decline); any other code,
`card_declined` included, is a plain decline."""
AUTHENTICATE = N_("Confirm the payment")
DECLINED = N_("Why: the card was declined.")

READY = N_(
    "Billing is set up: paid service starts the day after the last trial day, charged to the"
    " card on file. Nothing to do."
)
"""A trial ending with a card on file (settled detail 12: the text differs)."""


def _billing_ready(alert: Notice) -> bool:
    return alert.kind == "trial_ending" and bool(alert.facts.get("billing_set_up", False))


UNASSIGNED = Nn_(
    "{count} licence is not assigned to anyone.", "{count} licences are not assigned to anyone."
)


def _unused(lang: str, facts: dict[str, Any]) -> list[str]:
    """Seats the admin may renew for fewer of (SPEC "Licence seats" 5)."""
    lines = []
    if facts.get("unassigned"):
        lines.append(tn(lang, UNASSIGNED, int(facts["unassigned"])))
    if facts.get("reclaim"):
        held = format_list([holder_text(h) for h in facts["reclaim"]], locale=LOCALES[lang])
        lines.append(t(lang, "Held by people who left: {holders}.", holders=held))
    return lines


DIFFERENCES = {
    "missing_at_processor": N_("Missing at the processor: {kind} {charge} ({ledger})"),
    "missing_in_ledger": N_("Missing in the books: {kind} {charge} ({processor})"),
    "amount_differs": N_("{kind} {charge}: {ledger} in the books, {processor} at the processor"),
}
"""One difference the daily reconciliation found (services.reconciliation)."""
MOVEMENTS = {"payment": N_("payment"), "refund": N_("refund")}


def _difference(lang: str, one: dict[str, Any]) -> str:
    return t(
        lang,
        DIFFERENCES[str(one["what"])],
        kind=t(lang, MOVEMENTS.get(str(one["kind"]), str(one["kind"]))),
        charge=one["id"],
        ledger=_amount(one.get("ledger"), lang),
        processor=_amount(one.get("processor"), lang),
    )


def _amount(value: Any, lang: str) -> str:
    return money(Decimal(str(value)), lang) if value not in (None, "") else ""


def message(alert: Notice, lang: str, alike: Sequence[Notice] = ()) -> tuple[str, list[Block]]:
    """The alert's message; with `alike` (the same alert about other subscriptions, at the
    same instant), one message about them all."""
    facts = alert.facts
    together = [alert, *alike] if alike else []
    days = facts.get("days_left", "")
    params = {
        "subscription": alert.subscription or "",
        "days": days,
        "invoice": alert.invoice or "",
        "amount": _amount(
            facts.get(
                "amount",
                alert.invoice_total
                if alert.invoice_total is not None
                else facts.get("total", facts.get("price")),
            ),
            lang,
        ),
        "card": card_text(str(facts.get("card", ""))),
        "domain": facts.get("domain", alert.domain),
        "reseller": facts.get("reseller", ""),
        "used": facts.get("used", ""),
        "licences": facts.get("licences", ""),
        "day": billing_day(date.fromisoformat(facts["day"]), lang) if facts.get("day") else "",
    }
    found = TITLES.get(alert.kind, alert.kind)
    if together and alert.kind in TOGETHER:
        keys = [one.subscription or "" for one in together]
        params["subscriptions"] = format_list(keys, locale=LOCALES[lang])
        found = TOGETHER[alert.kind]
    title = (
        t(lang, found, **params)
        if isinstance(found, str)
        else tn(lang, found, int(days or 0), **params)
    )
    lines = [f"*{title}*"]
    if together:
        lines += [f"*{one.subscription}* · {one.product}" for one in together if one.product]
    elif alert.product:
        lines.append(alert.product)
    for name, label in (
        ("last_day", N_("Last trial day")),
        ("term_end", N_("Term ends")),
        ("renews_on", N_("Renews on")),
        ("expires", N_("Card expires")),
    ):
        if facts.get(name):
            value = facts[name]
            lines.append(
                labelled(
                    lang,
                    t(lang, label),
                    billing_day(date.fromisoformat(value), lang)
                    if name != "expires"
                    else card_expiry(value),
                )
            )
    ready = _billing_ready(alert)
    if alert.kind == "trial_ending" and not ready:
        lines.append(t(lang, "Billing is not set up yet."))
    if alert.kind == "payment_failed":
        lines.append(t(lang, DECLINES.get(str(facts.get("reason")), DECLINED)))
    if alert.kind == "renewal_upcoming":
        lines += _unused(lang, facts)
    if alert.kind == "refund_failed" and facts.get("reason"):
        lines.append(t(lang, "Why: {reason}", reason=facts["reason"]))
    if alert.kind == "payment_disputed" and facts.get("reason"):
        lines.append(t(lang, "Reason given: {reason}", reason=facts["reason"]))
    if alert.kind == "reconciliation_difference":
        lines += [_difference(lang, one) for one in facts.get("differences", [])]
    if alert.kind == "suspended_non_payment" and params["amount"]:
        lines.append(t(lang, "Balance due: {amount}", amount=params["amount"]))
    blocks: list[Block] = [section("\n".join(lines))]
    if ready:
        blocks.append(context(t(lang, READY)))
    elif alert.kind in NEXT_STEPS:
        blocks.append(context(t(lang, NEXT_STEPS[alert.kind])))
    if alert.kind == "payment_failed" and facts.get("action_url"):
        text, action_id = BUTTONS[alert.kind]
        blocks.append(
            actions(
                link(t(lang, AUTHENTICATE), str(facts["action_url"])),
                button(t(lang, text), action_id),
            )
        )
    elif alert.kind in BUTTONS and not ready:
        text, action_id = BUTTONS[alert.kind]
        value = f"subscription={alert.subscription}" if alert.kind in PREFILLED else ""
        blocks.append(actions(button(t(lang, text), action_id, value, style="primary")))
    elif alert.kind == "invoice_issued" and alert.invoice:
        blocks.append(
            actions(
                button(t(lang, "PDF"), INVOICE_PDF, alert.invoice),
                button(t(lang, "CSV"), INVOICE_CSV, alert.invoice),
            )
        )
    blocks.append(context(f"{alert.domain} · {instant(alert.at, lang)}"))
    return title, blocks
