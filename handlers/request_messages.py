"""Requests for approval in Slack: posted to the approvals channel with Approve / Deny, and,
once decided, the message shows the decision and the requester is told in a direct message."""

from __future__ import annotations

from slack_sdk import WebClient

from billing.approvals import Approval
from billing.errors import BillingError
from services.approvals import Approvals
from services.context import Services
from views import approvals as views
from views.kit import dicts
from views.quotes import describe, quote_lines


def summary(lang: str, approval: Approval) -> str:
    order = Approvals.order_of(approval)
    return describe(lang, order) if order is not None else approval.action


def post(services: Services, client: WebClient, approval: Approval) -> None:
    """Post a new request to the approvals channel, once (a re-submission finds it posted)."""
    if approval.message_ts is not None:
        return
    settings = services.workspaces.settings_for(approval.customer_id)
    lang = settings.channel_language
    order = Approvals.order_of(approval)
    lines: list[str] = []
    if order is not None:
        try:
            quote = services.billing.quote(approval.customer_id, order, services.clock())
            lines = quote_lines(lang, quote)
        except BillingError:
            lines = []
    text = summary(lang, approval)
    blocks = views.request_blocks(lang, approval, text, lines)
    posted = client.chat_postMessage(
        channel=settings.approvals_channel, text=text, blocks=dicts(blocks)
    )
    services.approvals.posted(approval, posted["channel"], posted["ts"])


def announce(services: Services, client: WebClient, approval: Approval) -> None:
    """The request's message shows the decision; the requester is told in their language."""
    lang = services.workspaces.settings_for(approval.customer_id).channel_language
    if approval.channel and approval.message_ts:
        text = summary(lang, approval)
        client.chat_update(
            channel=approval.channel,
            ts=approval.message_ts,
            text=f"{text}\n{views.verdict(lang, approval)}",
            blocks=dicts(views.decided_blocks(lang, approval, text)),
        )
    told = summary(approval.locale, approval)
    client.chat_postMessage(
        channel=approval.requested_by,
        text=f"{told}\n{views.verdict(approval.locale, approval)}",  # what a notification shows
        blocks=dicts(views.decided_blocks(approval.locale, approval, told)),
    )
