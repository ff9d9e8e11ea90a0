"""Approve / Deny: only super-admins, decided once, message updated, requester told."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.approving import STUCK_AFTER, announce, apply_approved
from bot.context import Deps
from bot.i18n import code, t
from bot.people import Role
from bot.views import approvals as views
from handlers.payloads import asker_of
from storage.approvals import Approval

REQUEST_ID = re.compile(r"^[0-9]{1,18}$")
"""A button's value as the bot wrote it: ASCII digits that fit a BIGINT."""


def register(app: App, deps: Deps) -> None:
    @app.action(views.APPROVE)
    def approve(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        deps.after_ack(lambda: decide(body, action, respond, client, approve=True))

    @app.action(views.DENY)
    def deny(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        deps.after_ack(lambda: decide(body, action, respond, client, approve=False))

    def stuck(approval_id: int) -> Approval | None:
        """An approval recorded but never applied (its process stopped in between), found
        by a later Approve: it is applied now, under the same key, so at most once."""
        current = deps.approvals.get(approval_id)
        if current is None or current.status != "approved" or current.decided_at is None:
            return None
        return current if deps.clock() - current.decided_at > STUCK_AFTER else None

    def already_decided(respond: Respond, approval_id: int, lang: str) -> None:
        current = deps.approvals.get(approval_id)
        assert current is not None
        status = code(lang, current.status)
        tell(
            respond,
            t(
                lang,
                "Already decided by <@{user}>: {status}.",
                user=current.decided_by,
                status=status,
            ),
        )

    def tell(respond: Respond, text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    def decide(
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        approve: bool,
    ) -> None:
        asker = asker_of(deps, body)
        if asker is None:
            return
        lang = asker.lang
        value = str(action.get("value") or "")
        if not REQUEST_ID.match(value):
            tell(respond, t(lang, "This request is not known."))
            return
        if asker.role is not Role.SUPER_ADMIN:
            tell(
                respond,
                t(
                    lang,
                    "Only a super-admin can approve or deny (and not from a @gmail.com account).",
                ),
            )
            return
        request = deps.approvals.get(int(value))
        if request is None or request.customer_id != asker.customer_id:
            tell(respond, t(lang, "This request is not known."))
            return
        decided = deps.approvals.decide(request.id, approve, asker.person.id, deps.clock())
        if decided is None and approve:
            decided = stuck(request.id)
        if decided is None:
            already_decided(respond, request.id, lang)
        elif not approve:
            announce(deps, client, decided.id)
        elif not apply_approved(deps, client, decided, asker.actor):
            already_decided(respond, decided.id, lang)
