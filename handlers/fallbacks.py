"""Anything Slack sends that no listener knows: a clear answer, and nothing changed."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.context import Deps
from bot.i18n import t
from bot.views import forms
from handlers.payloads import Interaction, parse

ANYTHING = re.compile(".*")


def register(app: App, deps: Deps) -> None:
    """Register last: Bolt tries listeners in order, so these only catch what is left."""

    def language(body: dict[str, Any]) -> str:
        interaction: Interaction | None = parse(Interaction, body)
        return deps.directory.person(interaction.user.id).language if interaction else "en"

    @app.action(ANYTHING)
    def unknown_action(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        if body.get("response_url"):
            deps.after_ack(lambda: tell(body, respond))

    def tell(body: dict[str, Any], respond: Respond) -> None:
        respond(
            text=t(language(body), "This button is not known (any more). Nothing was changed."),
            response_type="ephemeral",
            replace_original=False,
        )

    @app.view(ANYTHING)
    def unknown_view(ack: Ack, body: dict[str, Any]) -> None:
        lang = language(body)
        ack(
            response_action="update",
            view=forms.result(
                lang, "licensebot", t(lang, "This form is not known. Nothing was changed.")
            ).to_dict(),
        )
