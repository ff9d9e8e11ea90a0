"""Card entry: `/license billing`, `/license card` and the buttons that set up billing or
change the card answer with a link to the processor's secure page, made for this request
(single use, expiring); the card is saved when the processor confirms it."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from services.card_entry import Purpose
from services.context import Asker, Services
from services.people import Role
from views import card_entry as view
from views import forms
from views.i18n import N_, t

NOT_AVAILABLE = N_("Card entry is not available on this bot. Nothing was changed.")


@dataclass(frozen=True)
class Link:
    url: str | None
    has_card: bool
    problem: str | None = None
    """Why there is no link, in the asker's language."""


def link(services: Services, asker: Asker) -> Link:
    """A new link for the asker's account, or why there is none."""
    if asker.role is not Role.SUPER_ADMIN:
        return Link(None, False, t(asker.lang, view.SUPER_ONLY))
    if services.card_entry is None:
        return Link(None, False, t(asker.lang, NOT_AVAILABLE))
    now = services.clock()
    has_card = services.billing.overview(asker.customer_id, now).card is not None
    purpose: Purpose = "update_card" if has_card else "setup_billing"
    return Link(
        services.card_entry.start(asker.customer_id, asker.person.id, purpose, now), has_card
    )


def link_blocks(services: Services, asker: Asker) -> tuple[str | None, list[Block]]:
    """The link as a message's blocks; (the refusal, []) when there is none."""
    found = link(services, asker)
    if found.url is None:
        return found.problem, []
    return None, view.link_blocks(asker.lang, found.url, found.has_card)


def link_view(services: Services, asker: Asker) -> View:
    """The link as a modal (an App Home or alert button), or the refusal."""
    found = link(services, asker)
    if found.url is None:
        return forms.result(asker.lang, "licensebot", found.problem or "")
    return view.link_modal(asker.lang, found.url, found.has_card)
