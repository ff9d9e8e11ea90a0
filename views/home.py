"""The App Home tab: subscriptions, licences, balance, next invoice, recent alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from billing.history import AlertRecord
from billing.model import Plan, Subscription
from services.billing import Overview
from views.i18n import N_, code, instant, money, t
from views.kit import (
    actions,
    button,
    context,
    divider,
    header,
    home_tab,
    overflow,
    packed,
    section,
)
from views.openers import CARD, menu, opener
from views.replies import balance_fields, subscription_line
from views.warnings import warnings


def home(
    lang: str,
    overview: Overview | None,
    alerts: Sequence[AlertRecord],
    can_act: bool,
    tz: str | None = None,
    spend: Sequence[Block] = (),
    today: date | None = None,
    reenter: bool = False,
) -> View:
    """`reenter`: the card on file must be entered again on the processor's page."""
    blocks: list[Block] = [header(t(lang, "Licences and billing"))]
    if overview is None:
        blocks.append(
            section(
                t(
                    lang,
                    "Only the organisation's admins can see its billing. Ask an admin if you need a licence.",
                )
            )
        )
        return home_tab(blocks)
    subs = [s for s in overview.subscriptions if not s.ended]
    if today is not None:
        blocks += warnings(lang, overview.subscriptions, overview.card, today, reenter)
    if subs:
        blocks += _subscriptions(lang, subs, can_act)
    else:
        blocks.append(section(t(lang, "No subscription yet.")))
    if can_act:
        blocks.append(
            actions(
                button(t(lang, "Subscribe"), opener("signup")),
                button(t(lang, "Buy licences"), opener("add_licences")),
                button(t(lang, "Pay"), opener("pay"), style="primary"),
                button(t(lang, "Card"), CARD),
            )
        )
    blocks += [
        divider(),
        section(f"*{t(lang, 'Balance')}*", fields=balance_fields(lang, overview.balance)),
        context(
            t(
                lang,
                "Next invoice, if nothing changes: {amount}.",
                amount=money(overview.next_invoice, lang),
            )
        ),
    ]
    if overview.card is not None:
        blocks.append(context(t(lang, "Card on file: {card}", card=overview.card.describe())))
    if spend:
        blocks += [divider(), *spend]
    blocks += [divider(), section(f"*{t(lang, 'Recent alerts')}*")]
    if alerts:
        blocks.append(
            section(
                "\n".join(
                    f"{instant(a.at, lang, tz)} · {code(lang, a.kind)}"
                    + (f" · {a.subscription}" if a.subscription else "")
                    for a in list(alerts)[-8:][::-1]
                )
            )
        )
    else:
        blocks.append(context(t(lang, "No alert yet.")))
    return home_tab(blocks)


MENU_LIMIT = 40
"""Subscriptions shown with their own menu; more are listed together (a view holds 100 blocks)."""
CHOICES = {
    Plan.ANNUAL: (
        ("add_licences", N_("Buy licences")),
        ("renewal", N_("Renewal options")),
        ("cancel", N_("Cancel")),
    ),
    Plan.FLEXIBLE: (("set_users", N_("Change the users")), ("cancel", N_("Cancel"))),
}
"""What a subscription's menu offers, by plan: each value is an order's name."""


def _subscriptions(lang: str, subs: Sequence[Subscription], can_act: bool) -> list[Block]:
    """Each subscription with a menu of what can be done to it; a reseller's has none."""
    if not can_act or len(subs) > MENU_LIMIT:
        return list(packed([subscription_line(lang, sub) for sub in subs]))
    blocks: list[Block] = []
    for sub in subs:
        accessory = None
        if sub.billed_directly:
            choices = [(name, t(lang, text)) for name, text in CHOICES[sub.plan]]
            accessory = overflow(menu(sub.key), choices)
        blocks.append(section(subscription_line(lang, sub), accessory=accessory))
    return blocks
