"""The changes admins can make from Slack, each mapped to one billing service method.

A modal, an approval and a test all go through `perform`, so a change made directly by a
super-admin and one approved from a request run the same code, once (idempotency key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from billing import commands as cmd
from billing import quotes
from billing.account import Account
from billing.model import Change
from billing.quotes import Quote
from billing.service import Billing
from bot.i18n import N_, code, day, money, price, t
from bot.views.kit import escape


@dataclass(frozen=True)
class AdminAction:
    name: str
    model: type[BaseModel]
    quote: Callable[[Account, Any, datetime], Quote] | None
    title: str
    """Modal title (English message id)."""


def _no_account_quote(
    fn: Callable[[Any, datetime], Quote],
) -> Callable[[Account, Any, datetime], Quote]:
    return lambda _account, order, at: fn(order, at)


ACTIONS: dict[str, AdminAction] = {
    action.name: action
    for action in (
        AdminAction("signup", cmd.Signup, _no_account_quote(quotes.signup), N_("Subscribe")),
        AdminAction(
            "add_licences",
            cmd.AddLicences,
            quotes.add_licences,
            N_("Buy licences"),
        ),
        AdminAction("set_users", cmd.SetUsers, quotes.users, N_("Users")),
        AdminAction(
            "renewal",
            cmd.Renewal,
            lambda a, o, _at: quotes.renewal(a, o),
            N_("Renewal options"),
        ),
        AdminAction("cancel", cmd.Cancel, quotes.cancel, N_("Cancel")),
        AdminAction(
            "transfer",
            cmd.Transfer,
            lambda a, _o, at: quotes.transfer(a, at),
            N_("Transfer"),
        ),
        AdminAction("setup_billing", cmd.SetupBilling, None, N_("Set up billing")),
        AdminAction("update_card", cmd.CardUpdate, None, N_("Change card")),
        AdminAction("pay", cmd.Pay, lambda a, o, _at: quotes.pay(a, o), N_("Pay")),
        AdminAction("refund", cmd.RefundCredit, None, N_("Refund credit")),
    )
}


def plan_name(lang: str, plan: str) -> str:
    return t(lang, N_("annual plan")) if plan == "annual" else t(lang, N_("flexible plan"))


def perform(
    billing: Billing,
    action: str,
    customer_id: int,
    order: BaseModel,
    *,
    at: datetime,
    actor: str,
    key: str,
) -> Change:
    """Every admin action is the billing order of the same name."""
    return billing.order(action, customer_id, order, at=at, actor=actor, key=key)


def order_data(order: BaseModel) -> dict[str, Any]:
    """The order as JSON that `order_from` reads back (modal metadata, an approval row);
    the command models write every field as they read it (a card expiry as YYYY-MM)."""
    return order.model_dump(mode="json")


def order_from(action: str, data: dict[str, Any]) -> BaseModel:
    """Rebuild a validated order from its JSON form (modal metadata, an approval row)."""
    return ACTIONS[action].model.model_validate(data)


def describe(lang: str, action: str, order: Any) -> str:
    """One line saying what the order asks for, for confirmations and approval requests."""
    match action:
        case "signup":
            return t(
                lang,
                "Subscribe to {product} ({plan}), {licences} licences at {price}, as “{subscription}”",
                product=order.product,
                plan=plan_name(lang, order.plan.value),
                licences=order.licences,
                price=price(order.price, lang),
                subscription=order.subscription,
            )
        case "add_licences":
            return t(
                lang,
                "Buy {count} additional licences for {subscription}",
                count=order.count,
                subscription=order.subscription,
            )
        case "set_users":
            return t(
                lang,
                "Set {subscription} to {count} users",
                subscription=order.subscription,
                count=order.count - order.perpetual,
            )
        case "renewal":
            licences = (
                t(lang, ", {count} licences at renewal", count=order.licences)
                if order.licences
                else ""
            )
            return (
                t(
                    lang,
                    "Set the renewal of {subscription} to “{mode}”",
                    subscription=order.subscription,
                    mode=code(lang, order.mode.value),
                )
                + licences
            )
        case "cancel":
            when = t(lang, "now") if order.when == "now" else t(lang, "at the end of the contract")
            return t(
                lang,
                "Cancel {subscription} {when} (reason: {reason})",
                subscription=order.subscription,
                when=when,
                reason=code(lang, order.reason),
            )
        case "transfer":
            return t(
                lang,
                "Transfer every subscription to the reseller {reseller}",
                reseller=escape(order.reseller),
            )
        case "setup_billing":
            return t(
                lang,
                "Set up billing with {brand} •••• {last4}, expiring {expires}",
                brand=order.card.brand,
                last4=order.card.last4,
                expires="{}-{:02d}".format(*order.card.expires),
            )
        case "update_card":
            expires = "{}-{:02d}".format(*order.expires) if order.expires else "—"
            return t(lang, "Update the card (expiry {expires})", expires=expires)
        case "pay":
            return t(lang, "Pay {amount}", amount=money(order.amount, lang))
        case "refund":
            return (
                t(lang, "Refund the credit")
                if order.amount is None
                else t(lang, "Refund {amount} of credit", amount=money(order.amount, lang))
            )
    return action


def quote_lines(lang: str, action: str, quote: Quote) -> list[str]:
    """The amounts a confirmation shows, from the billing quote."""
    lines = []
    notes = quote.notes
    if action == "signup":
        trial_last_day = notes["trial_last_day"]
        assert isinstance(trial_last_day, date)
        lines.append(
            t(
                lang,
                "Free trial until {date}; then {amount} per month.",
                date=day(trial_last_day, lang),
                amount=money(quote.per_month, lang),
            )
        )
    if action == "add_licences":
        if notes.get("in_trial"):
            lines.append(t(lang, "Still in the free trial: nothing is charged before it ends."))
        else:
            lines.append(
                t(
                    lang,
                    "Added to this month's usage: {amount} (prorated by days).",
                    amount=money(quote.this_month, lang),
                )
            )
        lines.append(
            t(
                lang,
                "Then {amount} per month for {licences} licences.",
                amount=money(quote.per_month, lang),
                licences=notes["licences"],
            )
        )
    if action == "set_users":
        lines.append(
            t(
                lang,
                "From {before} to {licences}: {amount} per month for a whole month.",
                before=notes["before"],
                licences=notes["licences"],
                amount=money(quote.per_month, lang),
            )
        )
    if action == "renewal":
        lines.append(
            t(
                lang,
                "Next term: {licences} licences, {amount} per month.",
                licences=notes["licences"],
                amount=money(quote.per_month, lang),
            )
        )
    if action == "cancel":
        if notes.get("when") == "at_expiry":
            lines.append(t(lang, "Service ends with the term; nothing more is charged."))
        elif notes.get("in_trial"):
            lines.append(t(lang, "Cancelling during the free trial costs nothing."))
        else:
            lines.append(t(lang, "Days used this month are billed on the next monthly invoice."))
            if quote.due_now:
                lines.append(
                    t(
                        lang,
                        "The rest of the annual commitment is invoiced now: {amount}.",
                        amount=money(quote.due_now, lang),
                    )
                )
    if action == "transfer":
        lines.append(
            t(
                lang,
                "A final invoice for this month's usage is issued now: {amount}.",
                amount=money(quote.due_now, lang),
            )
        )
    if action == "pay":
        settles = notes.get("settles", [])
        assert isinstance(settles, list)
        for number, part in settles:
            lines.append(
                t(lang, "{amount} settles {invoice}", amount=money(part, lang), invoice=number)
            )
        credit = notes.get("credit")
        if credit:
            assert isinstance(credit, Decimal)
            lines.append(
                t(
                    lang,
                    "{amount} becomes credit, used by the next invoice or refunded on request.",
                    amount=money(credit, lang),
                )
            )
    return lines
