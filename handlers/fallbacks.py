"""Anything Slack sends that no listener knows: a clear answer, and nothing changed.

Registered last: Bolt tries listeners in order, so these only catch what is left."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from handlers.errors import answered
from handlers.wiring import asker_of
from views import forms
from views.i18n import t

ANYTHING = re.compile(".*")


def _language(context: BoltContext) -> str:
    asker = asker_of(context)
    return asker.lang if asker is not None else "en"


@answered
def unknown_action(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    if body.get("response_url"):
        respond(
            text=t(_language(context), "This button is not known (any more). Nothing was changed."),
            response_type="ephemeral",
            replace_original=False,
        )


def nothing(ack: Ack) -> None:
    """A shortcut, a suggestion, a closed view, an event or a command the bot has no use
    for: acknowledged (Slack would retry a refusal) and left."""
    ack()


def unknown_view(ack: Ack, context: BoltContext) -> None:
    lang = _language(context)
    ack(
        response_action="update",
        view=forms.result(
            lang, "licensebot", t(lang, "This form is not known. Nothing was changed.")
        ).to_dict(),
    )
