"""Applying an approved request, and telling the approvals channel and the requester.

Shared by the Approve button and the scheduler's sweep, which applies a request whose
approval was recorded but whose process stopped before applying it. The order runs
under the key `approval:<id>`, so it takes effect at most once; the announcement is made
by whichever process moves the request out of `approved`, so it is made once too.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient

from billing.errors import BillingError
from bot.actions import describe, order_from, perform
from bot.context import Deps
from bot.i18n import refusal
from bot.views import approvals as views
from bot.views.kit import dicts
from storage.approvals import Approval

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=1)
"""An approval still not applied this long after its decision was cut short."""


def apply_approved(deps: Deps, client: WebClient, approval: Approval, actor: str) -> bool:
    """Perform the approved order and announce the outcome; False when another process
    finished the request first (it announced it)."""
    order = order_from(approval.action, approval.order)
    try:
        perform(
            deps.billing,
            approval.action,
            approval.customer_id,
            order,
            at=deps.clock(),
            actor=actor,
            key=f"approval:{approval.id}",
        )
        won = deps.approvals.finish(approval.id, True, describe("en", approval.action, order))
    except BillingError as error:
        outcome = refusal(deps.settings.channel_language, error)
        won = deps.approvals.finish(approval.id, False, outcome)
    if won:
        announce(deps, client, approval.id)
    return won


def announce(deps: Deps, client: WebClient, approval_id: int) -> None:
    """The request's message shows the decision; the requester is told in a DM."""
    final = deps.approvals.get(approval_id)
    assert final is not None
    order = order_from(final.action, final.order)
    channel_lang = deps.settings.channel_language
    summary = describe(channel_lang, final.action, order)
    if final.channel and final.message_ts:
        client.chat_update(
            channel=final.channel,
            ts=final.message_ts,
            text=summary,
            blocks=dicts(views.decided_blocks(channel_lang, final, summary)),
        )
    requester_summary = describe(final.locale, final.action, order)
    client.chat_postMessage(
        channel=final.requested_by,
        text=requester_summary,
        blocks=dicts(views.decided_blocks(final.locale, final, requester_summary)),
    )


def apply_stuck_approvals(deps: Deps, client: WebClient) -> int:
    """The scheduler's sweep: approvals recorded at least STUCK_AFTER ago and never applied
    are applied now, in the name of the super-admin who approved them."""
    applied = 0
    for approval in deps.approvals.approved_before(deps.clock() - STUCK_AFTER):
        try:
            applied += apply_approved(deps, client, approval, f"slack:{approval.decided_by}")
        except Exception:
            log.exception("approval %s could not be applied; the sweep tries again", approval.id)
    return applied
