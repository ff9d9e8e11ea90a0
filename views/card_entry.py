"""Card entry in Slack: a link button to the processor's secure page, never a card field.

No card digit passes through Slack (SPEC "Payments through a processor" 2): `/license
billing`, `/license card` and every button that used to open a card form answer with this.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from views.forms import RESULT
from views.i18n import N_, t
from views.kit import actions, context, link, modal, section

"""The link button's action id: Slack sends its click too, which is only acknowledged."""
ENTER = N_("Enter the card on a secure page")
SETUP = N_(
    ":lock: Set up billing: enter the card on the payment processor's secure page. The card"
    " number never passes through Slack, and licensebot keeps only its brand, last 4 digits"
    " and expiry."
)
UPDATE = N_(
    ":lock: Change the card: enter the new one on the payment processor's secure page. The"
    " card number never passes through Slack, and licensebot keeps only its brand, last 4"
    " digits and expiry."
)
VALID = N_("This link works once, for an hour. You are told here when the card is saved.")
SUPER_ONLY = N_("Only a super-admin can enter a card. Ask one of them to run `/license billing`.")


def link_blocks(lang: str, url: str, has_card: bool) -> list[Block]:
    return [
        section(t(lang, UPDATE if has_card else SETUP)),
        actions(link(t(lang, ENTER), url, style="primary")),
        context(t(lang, VALID)),
    ]


def link_modal(lang: str, url: str, has_card: bool) -> View:
    """The same, as a modal: what a button in the App Home or an alert opens."""
    title = t(lang, "Change card" if has_card else "Set up billing")
    return modal(
        RESULT, title, link_blocks(lang, url, has_card), submit=None, close=t(lang, "Done")
    )
