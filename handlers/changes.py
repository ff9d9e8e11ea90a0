"""Making a change: directly for a super-admin, as an approval request for an admin.

Shared by the modal flow and the approval buttons, so both apply a change through
`bot.actions.perform` with an idempotency key, and both render the outcome the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import BaseModel
from slack_sdk import WebClient

from billing.errors import BillingError
from billing.quotes import Quote
from bot.actions import ACTIONS, describe, order_data, order_from, perform, quote_lines
from bot.context import Asker, Deps
from bot.i18n import refusal, t
from bot.people import Role
from bot.views import approvals as approval_views
from bot.views.kit import dicts
from storage.approvals import Approval

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    ok: bool
    text: str
    approval: Approval | None = None
    """A request this submission filed, to post; None when a double submission found it."""
    field: str | None = None
    """The order field a refusal is about (e.g. "card.expires"), to show it on that input."""


def commit(deps: Deps, asker: Asker, action: str, order: BaseModel, key: str) -> Outcome:
    """Apply the order (super-admin) or file it for approval (admin)."""
    lang = asker.lang
    summary = describe(lang, action, order)
    if asker.role is Role.SUPER_ADMIN:
        try:
            change = perform(
                deps.billing,
                action,
                asker.customer_id,
                order,
                at=deps.clock(),
                actor=asker.actor,
                key=key,
            )
        except BillingError as error:
            return Outcome(False, refusal(lang, error), field=error.field)
        note = t(lang, " (already done: this request arrived twice)") if change.replayed else ""
        return Outcome(True, t(lang, "Done: {summary}.", summary=summary) + note)
    if asker.role is Role.ADMIN:
        approval, new = deps.approvals.request(
            asker.customer_id,
            asker.person.id,
            action,
            order_data(order),
            lang,
            deps.clock(),
            key,
        )
        return Outcome(
            True,
            t(lang, "Sent to the super-admins for approval: {summary}.", summary=summary),
            approval if new else None,  # only the submission that filed it posts it
        )
    return Outcome(
        False, t(lang, "Only the organisation's admins can use licensebot. Ask an admin.")
    )


def post_request(deps: Deps, client: WebClient, approval: Approval) -> None:
    """Post a new request to the approvals channel, once (a re-submission finds it posted)."""
    if approval.message_ts is not None:
        return
    lang = deps.settings.channel_language
    order = order_from(approval.action, approval.order)
    summary = describe(lang, approval.action, order)
    lines = quote_lines_for(deps, approval.customer_id, approval.action, order, lang)
    blocks = approval_views.request_blocks(lang, approval, summary, lines)
    posted = client.chat_postMessage(
        channel=deps.settings.approvals_channel, text=summary, blocks=dicts(blocks)
    )
    deps.approvals.posted(approval.id, posted["channel"], posted["ts"])


def quote_for(deps: Deps, customer_id: int, action: str, order: BaseModel) -> Quote | None:
    """The billing quote for an order, if it has one; BillingError when the order itself
    would be refused (it is tried on a copy of the account that is never saved)."""
    quote = ACTIONS[action].quote
    at = deps.clock()
    return deps.billing.quote(
        customer_id,
        lambda account: quote(account, order, at) if quote is not None else None,
        deps.billing.dry_run(action, order, at),
    )


def quote_lines_for(
    deps: Deps, customer_id: int, action: str, order: BaseModel, lang: str
) -> list[str]:
    try:
        quote = quote_for(deps, customer_id, action, order)
    except BillingError:
        return []
    return [] if quote is None else quote_lines(lang, action, quote)
