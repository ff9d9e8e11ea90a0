"""Modal submissions: validate field by field, confirm anything that spends money, commit."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App
from slack_sdk import WebClient

from billing.errors import BillingError
from bot.actions import ACTIONS, describe, order_data, order_from, quote_lines
from bot.context import Deps
from bot.i18n import refusal, t
from bot.people import Role
from bot.views import forms
from handlers.changes import commit, post_request, quote_for
from handlers.forms import FormErrors, order, values
from handlers.payloads import asker_of

NO_CONFIRMATION = {"setup_billing", "update_card"}
"""Saving a card reference spends nothing; every other change shows its amounts first."""
FORMS = re.compile(f"^({'|'.join(ACTIONS)})$")


def block_for(field: str | None, view: dict[str, Any], fallback: str) -> str:
    """The input a refusal belongs on: the order field's last part ("card.expires" is the
    "expires" input) when the form has it, else the form's first input."""
    block = (field or "").split(".")[-1]
    return block if block in values(view) else fallback


def register(app: App, deps: Deps) -> None:
    @app.view(FORMS)
    def submit_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        asker = asker_of(deps, body)
        view = body.get("view") or {}
        action = view.get("callback_id", "")
        if asker is None:
            ack()
            return
        lang = asker.lang
        first = next(iter(values(view)), "subscription")
        if asker.role is Role.NONE:
            ack(
                response_action="errors",
                errors={
                    first: t(
                        lang, "Only the organisation's admins can use licensebot. Ask an admin."
                    )
                },
            )
            return
        try:
            wanted = order(action, view, lang, deps.workspaces)
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        if action in NO_CONFIRMATION:
            _finish(ack, client, deps, asker, action, wanted, view, first)
            return
        try:
            quote = quote_for(deps, asker.customer_id, action, wanted)
        except BillingError as error:
            ack(
                response_action="errors",
                errors={block_for(error.field, view, first): refusal(lang, error)},
            )
            return
        lines = [] if quote is None else quote_lines(lang, action, quote)
        metadata = json.dumps({"a": action, "o": order_data(wanted)}, separators=(",", ":"))
        summary = describe(lang, action, wanted)
        confirm = forms.confirm(
            lang, ACTIONS[action].title, summary, lines, metadata, asker.role is Role.ADMIN
        )
        ack(response_action="update", view=confirm.to_dict())

    @app.view("confirm")
    def submit_confirmation(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        asker = asker_of(deps, body)
        view = body.get("view") or {}
        if asker is None:
            ack()
            return
        try:
            metadata = json.loads(view.get("private_metadata") or "")
            action = metadata["a"]
            wanted = order_from(action, metadata["o"])
        except (ValueError, KeyError, TypeError, ValidationError):
            ack(
                response_action="update",
                view=forms.result(
                    asker.lang, "licensebot", t(asker.lang, "This form is not known.")
                ).to_dict(),
            )
            return
        _finish(ack, client, deps, asker, action, wanted, view, None)

    def _finish(
        ack: Ack,
        client: WebClient,
        deps: Deps,
        asker: Any,
        action: str,
        wanted: Any,
        view: dict[str, Any],
        field: str | None,
    ) -> None:
        outcome = commit(deps, asker, action, wanted, key=f"slack-view:{view.get('id')}")
        if not outcome.ok and field is not None:
            ack(
                response_action="errors",
                errors={block_for(outcome.field, view, field): outcome.text},
            )
            return
        icon = ":white_check_mark:" if outcome.ok else ":no_entry:"
        ack(
            response_action="update",
            view=forms.result(
                asker.lang, ACTIONS[action].title, f"{icon} {outcome.text}"
            ).to_dict(),
        )
        if outcome.approval is not None:
            post_request(deps, client, outcome.approval)
