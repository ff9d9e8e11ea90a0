"""The App Home tab: subscriptions, licences, balance, next invoice, recent alerts."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from billing.service import Overview
from bot.i18n import code, moment, money, t
from bot.views.kit import actions, button, context, divider, header, home_tab, packed, section
from bot.views.replies import balance_fields, subscription_line
from storage.store import AlertRecord

OPEN = {"buy": "open_buy", "pay": "open_pay", "card": "open_card", "subscribe": "open_subscribe"}


def home(
    lang: str,
    overview: Overview | None,
    alerts: Sequence[AlertRecord],
    can_act: bool,
    tz: str | None = None,
    spend: Sequence[Block] = (),
) -> View:
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
    if subs:
        blocks += packed([subscription_line(lang, sub) for sub in subs])
    else:
        blocks.append(section(t(lang, "No subscription yet.")))
    if can_act:
        blocks.append(
            actions(
                button(t(lang, "Subscribe"), OPEN["subscribe"]),
                button(t(lang, "Buy licences"), OPEN["buy"]),
                button(t(lang, "Pay"), OPEN["pay"], style="primary"),
                button(t(lang, "Card"), OPEN["card"]),
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
                    f"{moment(a.at, lang, tz)} · {code(lang, a.kind)}"
                    + (f" · {a.subscription}" if a.subscription else "")
                    for a in list(alerts)[-8:][::-1]
                )
            )
        )
    else:
        blocks.append(context(t(lang, "No alert yet.")))
    return home_tab(blocks)
