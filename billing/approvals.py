"""Requests for approval: an admin asks, a super-admin decides once, the order is applied in
the same unit of work as the decision, so a request is never decided without its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from billing.errors import Refusal


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    """Decided by release 1f2cbf2, which applied the order in a second step: a request it
    left here (its process stopped in between) is applied when this release starts."""
    DENIED = "denied"
    APPLIED = "applied"
    FAILED = "failed"


OPEN = frozenset({ApprovalStatus.PENDING, ApprovalStatus.APPROVED})


@dataclass
class Approval:
    customer_id: int
    requested_by: str
    """The Slack user who asked."""
    requested_at: datetime
    request_key: str
    """The submission it came from: a double submission files one request."""
    action: str
    """The order's name (billing.commands.Command.name)."""
    order: dict[str, Any]
    """The order as JSON, read back into its command when it is applied."""
    locale: str
    status: ApprovalStatus = ApprovalStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    failure: Refusal | None = None
    """Why an approved order could not be applied."""
    channel: str | None = None
    message_ts: str | None = None
    id: int | None = None

    @property
    def subject(self) -> str:
        """How the audit trail names it."""
        return f"approval:{self.id}"

    @property
    def key(self) -> str:
        """The idempotency key its order is applied under, whoever applies it."""
        return f"approval:{self.id}"
