"""Approve / Deny: only super-admins, decided once, message updated, requester told."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from billing.errors import BillingError
from bot.actions import describe, order_from, perform
from bot.context import Deps
from bot.i18n import code, t
from bot.people import Role
from bot.views import approvals as views
from bot.views.kit import dicts
from handlers.changes import refusal
from handlers.payloads import asker_of
from storage.approvals import Approval

STUCK_AFTER = timedelta(minutes=1)
"""An approval still not applied this long after its decision was cut short."""
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
            current = deps.approvals.get(request.id)
            assert current is not None
            tell(
                respond,
                t(
                    lang,
                    "Already decided by <@{user}>: {status}.",
                    user=current.decided_by,
                    status=code(lang, current.status),
                ),
            )
            return
        order = order_from(decided.action, decided.order)
        if approve:
            try:
                perform(
                    deps.billing,
                    decided.action,
                    decided.customer_id,
                    order,
                    at=deps.clock(),
                    actor=asker.actor,
                    key=f"approval:{decided.id}",
                )
                deps.approvals.finish(decided.id, True, describe("en", decided.action, order))
            except BillingError as error:
                deps.approvals.finish(
                    decided.id, False, refusal(deps.settings.channel_language, error)
                )
        final = deps.approvals.get(decided.id)
        assert final is not None
        channel_lang = deps.settings.channel_language
        summary = describe(channel_lang, final.action, order)
        if final.channel and final.message_ts:
            client.chat_update(
                channel=final.channel,
                ts=final.message_ts,
                text=summary,
                blocks=dicts(views.decided_blocks(channel_lang, final, summary)),
            )
        requester_lang = final.locale
        requester_blocks = views.decided_blocks(
            requester_lang, final, describe(requester_lang, final.action, order)
        )
        client.chat_postMessage(
            channel=final.requested_by,
            text=describe(requester_lang, final.action, order),
            blocks=dicts(requester_blocks),
        )
