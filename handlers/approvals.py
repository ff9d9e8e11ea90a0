"""Approve / Deny: only super-admins; decided once, in the same transaction as the order it
applies; the message updated and the requester told by whoever decided."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from billing.approvals import OPEN
from handlers import request_messages
from handlers.errors import answered
from handlers.wiring import asker_of, services_of
from services.people import Role
from views import approvals as views
from views.i18n import code, t

APPROVE, DENY = views.APPROVE, views.DENY
DECISIONS = re.compile(f"^({APPROVE}|{DENY})$")
REQUEST_ID = re.compile(r"^[0-9]{1,18}$")
"""A button's value as the bot wrote it: ASCII digits that fit a BIGINT."""


@answered
def decide(
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Approve or Deny, as the button pressed says."""
    _decide(action, respond, client, context, approve=action.get("action_id") == APPROVE)


def _decide(
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    approve: bool,
) -> None:
    services, asker = services_of(context), asker_of(context)
    if asker is None or not context.response_url:
        return  # a click in a message always has a response_url: nobody to answer
    lang = asker.lang
    value = str(action.get("value") or "")
    if not REQUEST_ID.match(value):
        _tell(respond, t(lang, "This request is not known."))
        return
    if asker.role is not Role.SUPER_ADMIN:
        _tell(
            respond,
            t(lang, "Only a super-admin can approve or deny (and not from a @gmail.com account)."),
        )
        return
    request = services.approvals.get(asker.customer_id, int(value))
    if request is None:
        _tell(respond, t(lang, "This request is not known."))
        return
    decided = None
    if request.status in OPEN:  # a decided request needs no unit of work to say so
        decided = services.approvals.decide(
            asker.customer_id, int(value), approve, asker.actor, services.clock()
        )
    if decided is None:
        current = (
            request
            if request.status not in OPEN
            else services.approvals.get(asker.customer_id, int(value))
        )
        assert current is not None
        already = t(
            lang,
            "Already decided by <@{user}>: {status}.",
            user=current.decided_by,
            status=code(lang, current.status.value),
        )
        _tell(respond, already)
        return
    request_messages.announce(services, client, decided)


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)
