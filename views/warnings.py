"""What needs an admin's attention, said where they look (App Home, `/license status`):
billing not set up while a trial runs, a card expired or about to expire."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import Block

from billing.calendar import month_end
from billing.model import Card, Subscription
from billing.reminders import card_warning_day
from views.i18n import N_, billing_day, t
from views.kit import button, section
from views.openers import CARD

NO_BILLING = N_(
    ":warning: Billing is not set up: each subscription is suspended when its free trial ends."
)
EXPIRED = N_(":warning: The card {card} has expired: automatic payments fail until it is updated.")
EXPIRING = N_(":warning: The card {card} works until {day}: update it before then.")
"""The card's own reference gives its expiry month; the warning gives the last day it works."""


REENTER = N_(
    ":warning: The card {card} was saved before payments went through the processor: enter it"
    " again on the secure page, or automatic payments fail."
)


def warnings(
    lang: str,
    subscriptions: Sequence[Subscription],
    card: Card | None,
    today: date,
    reenter: bool = False,
) -> list[Block]:
    """`reenter`: the card on file must be entered again on the processor's page (a card
    from before the processor, in Stripe mode)."""
    live = [sub for sub in subscriptions if not sub.ended and sub.billed_directly]
    if not live:
        return []
    if card is None:
        return [_with_button(t(lang, NO_BILLING), t(lang, "Set up billing"))]
    if reenter:
        return [
            _with_button(t(lang, REENTER, card=card.describe()), t(lang, "Enter the card again"))
        ]
    if not card.valid_on(today):
        return [_with_button(t(lang, EXPIRED, card=card.describe()), t(lang, "Update the card"))]
    if today >= card_warning_day(card):
        last = month_end(date(card.exp_year, card.exp_month, 1))
        text = t(lang, EXPIRING, card=card.describe(), day=billing_day(last, lang))
        return [_with_button(text, t(lang, "Update the card"))]
    return []


def _with_button(text: str, label: str) -> Block:
    return section(text, accessory=button(label, CARD, style="primary"))
