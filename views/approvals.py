"""The approval request posted to the approvals channel, before and after its decision."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from billing.approvals import Approval, ApprovalStatus
from views.i18n import instant, refusal, t
from views.kit import actions, button, context, header, section

APPROVE = "approval_approve"
DENY = "approval_deny"


def request_blocks(
    lang: str, approval: Approval, summary: str, lines: Sequence[str]
) -> list[Block]:
    return [
        header(t(lang, "Approval requested")),
        section(
            t(lang, "<@{user}> asks: *{summary}*", user=approval.requested_by, summary=summary)
        ),
        *([section("\n".join(lines))] if lines else []),
        actions(
            button(t(lang, "Approve"), APPROVE, str(approval.id), style="primary"),
            button(t(lang, "Deny"), DENY, str(approval.id), style="danger"),
            block_id=f"approval-{approval.id}",
        ),
        context(
            t(
                lang,
                "Only a super-admin can decide. Requested {when}.",
                when=instant(approval.requested_at, lang),
            )
        ),
    ]


def verdict(lang: str, approval: Approval) -> str:
    """What became of a request, said to the channel and to the person who asked."""
    if approval.status is ApprovalStatus.DENIED:
        return t(lang, ":x: Denied by <@{user}>", user=approval.decided_by)
    if approval.status is ApprovalStatus.FAILED:
        return t(
            lang,
            ":warning: Approved by <@{user}>, but it could not be done: {reason}",
            user=approval.decided_by,
            reason=refusal(lang, approval.failure) if approval.failure else "",
        )
    return t(lang, ":white_check_mark: Approved by <@{user}> and done", user=approval.decided_by)


def decided_blocks(lang: str, approval: Approval, summary: str) -> list[Block]:
    when = instant(approval.decided_at, lang) if approval.decided_at else ""
    return [
        header(t(lang, "Approval requested")),
        section(
            t(lang, "<@{user}> asks: *{summary}*", user=approval.requested_by, summary=summary)
        ),
        section(verdict(lang, approval)),
        context(when),
    ]
