"""What the books show afterwards, as plain records for screens and reports: ledger entries,
alerts and audit rows. The store reads them; views render them; nothing changes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing.actors import Actor


@dataclass(frozen=True)
class LedgerEntry:
    at: datetime
    kind: str
    amount: Decimal
    invoice: str | None
    """The invoice's number, when the entry is about one."""


@dataclass(frozen=True)
class AlertRecord:
    id: int
    at: datetime
    kind: str
    subscription: str | None
    invoice: str | None
    facts: dict[str, Any]
    status: str


@dataclass(frozen=True)
class Notice:
    """An alert as delivery renders it: the alert with the names its message shows."""

    id: int
    customer_id: int
    kind: str
    at: datetime
    attempts: int
    domain: str
    subscription: str | None
    product: str | None
    invoice: str | None
    invoice_total: Decimal | None
    facts: dict[str, Any]
    notify: str | None
    """The Slack user who caused it, told directly too."""


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    actor: Actor
    action: str
    subject: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    id: int = 0


@dataclass(frozen=True)
class AuditPage:
    """Which part of the audit trail to show: the newest `limit` rows older than the row
    `before` (None: from the newest), about one `subject` and by one `actor`, if given."""

    limit: int = 20
    before: int | None = None
    subject: str | None = None
    actor: Actor | None = None
