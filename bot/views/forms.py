"""Modals: one form per change, a confirmation step for anything that spends money."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from billing.model import Card, Plan, Status, Subscription
from billing.money import MINIMUM_PAYMENT
from bot.i18n import N_, code, t
from bot.views.kit import checkbox, context, modal, radio, section, select, text_input
from storage.workspace import Product

REASONS = (
    "too_expensive",
    "no_longer_needed",
    "missing_features",
    "switching_provider",
    "technical_issues",
    "other",
)
BRANDS = (
    ("visa", "Visa"),
    ("mastercard", "Mastercard"),
    ("amex", "American Express"),
    ("discover", "Discover"),
    ("other", N_("Other")),
)
CARD_WARNING = N_(
    "Never type a full card number or a security code: licensebot only keeps the brand, the last 4 digits and the expiry."
)


def _subs(subs: Sequence[Subscription]) -> list[tuple[str, str]]:
    return [(s.key, f"{s.key} · {s.product}"[:75]) for s in subs]


def _form(
    lang: str, callback: str, title: str, blocks: list[Block], submit: str = N_("Next")
) -> View:
    return modal(callback, t(lang, title), blocks, submit=t(lang, submit), close=t(lang, "Cancel"))


def subscribe(lang: str, products: Sequence[Product]) -> View:
    return _form(
        lang,
        "signup",
        N_("Subscribe"),
        [
            select("product", t(lang, "Product"), [(p.code, p.name) for p in products]),
            radio(
                "plan",
                t(lang, "Plan"),
                [
                    (
                        Plan.FLEXIBLE.value,
                        t(lang, "Flexible: billed monthly for the users you have"),
                    ),
                    (Plan.ANNUAL.value, t(lang, "Annual: a yearly commitment, paid monthly")),
                ],
                initial=Plan.FLEXIBLE.value,
            ),
            text_input("licences", t(lang, "Licences"), placeholder="25", max_length=7),
            text_input(
                "subscription",
                t(lang, "Short name"),
                placeholder="chrome",
                hint=t(lang, "Used in commands, e.g. /license buy chrome 10."),
                max_length=40,
            ),
            checkbox("terms", t(lang, "Terms"), t(lang, "I accept the terms of service")),
            context(t(lang, "Every new subscription starts with a 14-day free trial.")),
        ],
    )


def buy(
    lang: str, subs: Sequence[Subscription], chosen: str | None = None, count: str | None = None
) -> View:
    return _form(
        lang,
        "add_licences",
        N_("Buy licences"),
        [
            select("subscription", t(lang, "Subscription"), _subs(subs), initial=chosen),
            text_input(
                "count",
                t(lang, "Additional licences"),
                initial=count,
                placeholder="25",
                max_length=7,
                hint=t(lang, "Only the licences to add, not the total: 25 held + 25 asked = 50."),
            ),
            checkbox("terms", t(lang, "Terms"), t(lang, "I accept the terms of service")),
        ],
    )


def users(
    lang: str, subs: Sequence[Subscription], chosen: str | None = None, count: str | None = None
) -> View:
    return _form(
        lang,
        "set_users",
        N_("Users"),
        [
            select("subscription", t(lang, "Subscription"), _subs(subs), initial=chosen),
            text_input(
                "count",
                t(lang, "Users (or devices)"),
                initial=count,
                placeholder="12",
                max_length=7,
            ),
            text_input(
                "perpetual",
                t(lang, "Of which devices with a built-in perpetual licence"),
                optional=True,
                placeholder="0",
                max_length=7,
                hint=t(lang, "They never need a licence and are never billed."),
            ),
        ],
    )


def renewal(lang: str, subs: Sequence[Subscription], chosen: str | None = None) -> View:
    current = next((s for s in subs if s.key == chosen), subs[0] if subs else None)
    return _form(
        lang,
        "renewal",
        N_("Renewal options"),
        [
            select("subscription", t(lang, "Subscription"), _subs(subs), initial=chosen),
            radio(
                "mode",
                t(lang, "At the end of the term"),
                [
                    ("auto", t(lang, "Renew automatically")),
                    ("manual", t(lang, "Renew by hand")),
                    ("cancel_at_expiry", t(lang, "Cancel my service at expiry")),
                ],
                initial=current.renewal_mode.value if current else "auto",
            ),
            text_input(
                "licences",
                t(lang, "Licences for the next term"),
                optional=True,
                max_length=7,
                hint=t(
                    lang,
                    "Leave empty to keep the current count. A reduction takes effect at renewal.",
                ),
            ),
        ],
    )


def cancel(lang: str, subs: Sequence[Subscription], chosen: str | None = None) -> View:
    return _form(
        lang,
        "cancel",
        N_("Cancel"),
        [
            select("subscription", t(lang, "Subscription"), _subs(subs), initial=chosen),
            radio(
                "when",
                t(lang, "When"),
                [
                    ("now", t(lang, "Now: the rest of the contract is billed")),
                    ("at_expiry", t(lang, "At the end of the contract")),
                ],
                initial="now",
            ),
            select("reason", t(lang, "Reason"), [(r, code(lang, r)) for r in REASONS]),
        ],
    )


def transfer(lang: str) -> View:
    return _form(
        lang,
        "transfer",
        N_("Transfer"),
        [
            section(
                t(
                    lang,
                    "Every licence and the domain move to the reseller, who bills you from then on.",
                )
            ),
            text_input("reseller", t(lang, "Reseller"), placeholder="Acme Partners"),
            text_input(
                "token",
                t(lang, "Transfer token"),
                optional=True,
                hint=t(lang, "Ask your reseller whether they need one."),
            ),
            checkbox(
                "confirm", t(lang, "Confirmation"), t(lang, "I understand that direct billing ends")
            ),
        ],
    )


def card(lang: str, callback: str, current: Card | None = None) -> View:
    title = N_("Set up billing") if callback == "setup_billing" else N_("Change card")
    expires = current.expires if current else None
    return _form(
        lang,
        callback,
        title,
        [
            context(f":lock: {t(lang, CARD_WARNING)}"),
            select(
                "brand",
                t(lang, "Brand"),
                [(v, t(lang, label)) for v, label in BRANDS],
                initial=current.brand if current else None,
            ),
            text_input(
                "last4",
                t(lang, "Last 4 digits"),
                initial=current.last4 if current else None,
                placeholder="4242",
                max_length=4,
            ),
            text_input(
                "expires",
                t(lang, "Expiry (YYYY-MM)"),
                initial=expires,
                placeholder="2028-12",
                max_length=7,
            ),
        ],
        submit=N_("Save"),
    )


def pay(lang: str, balance_due: str, current: Card | None, amount: str | None = None) -> View:
    methods = [("card", current.describe())] if current else []
    return _form(
        lang,
        "pay",
        N_("Pay"),
        [
            section(t(lang, "Balance due: {amount}", amount=balance_due)),
            select(
                "method", t(lang, "Payment method"), methods, initial="card" if current else None
            ),
            text_input(
                "amount",
                t(lang, "Amount (USD)"),
                initial=amount,
                placeholder="25.00",
                max_length=12,
                hint=t(lang, "At least {minimum} USD.", minimum=str(MINIMUM_PAYMENT)),
            ),
        ],
    )


def refund(lang: str, credit: str) -> View:
    return _form(
        lang,
        "refund",
        N_("Refund credit"),
        [
            section(t(lang, "Credit available: {amount}", amount=credit)),
            text_input(
                "amount",
                t(lang, "Amount (USD)"),
                optional=True,
                max_length=12,
                hint=t(lang, "Leave empty to refund all of it."),
            ),
        ],
    )


def confirm(
    lang: str, title: str, summary: str, lines: Sequence[str], metadata: str, approval: bool
) -> View:
    note = (
        t(lang, "A super-admin will be asked to approve this.")
        if approval
        else t(lang, "Check the amounts, then confirm.")
    )
    return modal(
        "confirm",
        t(lang, title),
        [
            section(f"*{summary}*"),
            *[section(line) for line in lines],
            context(note),
        ],
        submit=t(lang, "Request approval") if approval else t(lang, "Confirm"),
        close=t(lang, "Back"),
        metadata=metadata,
    )


def result(lang: str, title: str, text: str) -> View:
    return modal("result", t(lang, title), [section(text)], submit=None, close=t(lang, "Done"))


def annual_only(subs: Sequence[Subscription]) -> list[Subscription]:
    return [s for s in subs if s.plan is Plan.ANNUAL and not s.ended and s.billed_directly]


def changeable(subs: Sequence[Subscription]) -> list[Subscription]:
    return [
        s for s in subs if not s.ended and s.billed_directly and s.status is not Status.RESELLER
    ]
