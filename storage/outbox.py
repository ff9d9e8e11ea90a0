"""The alert outbox, delivered at least once towards Slack and recorded exactly once.

An alert is claimed under a row lock (FOR UPDATE SKIP LOCKED on PostgreSQL, so two
replicas never send the same one; SQLite's single writer does the same there), sent,
and marked in the same transaction. A crash between sending and marking rolls the mark
back: the alert is sent once more after restart, which is the one duplicate possible.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, func, insert, select, type_coerce, update

from billing.account import AuditEntry
from billing.actors import SCHEDULER
from billing.history import Notice
from billing.model import Change
from storage.models import (
    AlertRow,
    AuditRow,
    CustomerRow,
    InvoiceLineRow,
    SubscriptionRow,
    WorkspaceRow,
    table_of,
)
from storage.saving import audit_row
from storage.store import SqlStore
from storage.types import Money

ALERTS = table_of(AlertRow)
WORKSPACES = table_of(WorkspaceRow)
HELD_FOR = timedelta(days=30)
"""How long the alerts of an uninstalled workspace wait for a reinstall (SPEC "Many
workspaces" 4)."""


def _held() -> ColumnElement[bool]:
    """The alert's workspace is uninstalled. A customer without a workspaces row (single-
    workspace mode) is never held."""
    return exists().where(
        WORKSPACES.c.customer_id == ALERTS.c.customer_id, WORKSPACES.c.uninstalled_at.is_not(None)
    )


class Claim:
    """One claimed message: an alert, with the alerts of other subscriptions that share its
    instant, kind and facts (they go out as one message); exactly one of sent / retry /
    failed closes them all."""

    def __init__(self, connection: Connection, alerts: list[Notice]) -> None:
        self.connection = connection
        self.alerts = alerts

    @property
    def alert(self) -> Notice:
        return self.alerts[0]

    def sent(self, at: datetime) -> None:
        self._set(status="sent", delivered_at=at, attempts=self.alert.attempts + 1, last_error=None)

    def retry(self, at: datetime, error: str, count_attempt: bool = True) -> None:
        attempts = self.alert.attempts + (1 if count_attempt else 0)
        self._set(next_attempt_at=at, attempts=attempts, last_error=error[:500])

    def failed(self, at: datetime, error: str) -> None:
        self._set(status="failed", attempts=self.alert.attempts + 1, last_error=error[:500])
        for alert in self.alerts:
            change = Change(
                "alert_failed",
                f"{alert.kind}:{alert.id}",
                None,
                {"error": error[:500], "attempts": alert.attempts + 1},
            )
            entry = AuditEntry(SCHEDULER, at, change)
            self.connection.execute(insert(table_of(AuditRow)), audit_row(alert.customer_id, entry))

    def _set(self, **values: Any) -> None:
        ids = [alert.id for alert in self.alerts]
        self.connection.execute(update(ALERTS).where(ALERTS.c.id.in_(ids)).values(**values))


class Outbox:
    def __init__(self, store: SqlStore) -> None:
        self.engine = store.engine
        self.postgres = store.postgres

    @contextmanager
    def claim(self, now: datetime, skip: Collection[int] = ()) -> Iterator[Claim | None]:
        """The oldest alert due by `now` that no one else holds, locked until the block ends,
        of a customer not in `skip`. Alerts of uninstalled workspaces wait for a reinstall:
        skipped here, they neither block the others nor are claimed again at every sweep."""
        with self.engine.begin() as connection:
            query = (
                select(ALERTS)
                .where(ALERTS.c.status == "pending", ALERTS.c.next_attempt_at <= now, ~_held())
                .order_by(ALERTS.c.next_attempt_at, ALERTS.c.id)
                .limit(1)
            )
            if skip:
                query = query.where(ALERTS.c.customer_id.not_in(list(skip)))
            if self.postgres:
                query = query.with_for_update(skip_locked=True)
            row = connection.execute(query).first()
            if row is None:
                yield None
                return
            rows = [row, *self._alike(connection, row)]
            yield Claim(connection, [self._outgoing(connection, one) for one in rows])

    def _alike(self, connection: Connection, row: Any) -> list[Any]:
        """Pending alerts about other subscriptions of the same customer, of the same kind, at
        the same instant, with the same facts and person to tell: one message says them all."""
        if row.subscription_id is None:
            return []
        query = (
            select(ALERTS)
            .where(
                ALERTS.c.status == "pending",
                ALERTS.c.customer_id == row.customer_id,
                ALERTS.c.kind == row.kind,
                ALERTS.c.at == row.at,
                ALERTS.c.subscription_id.is_not(None),
                ALERTS.c.id != row.id,
            )
            .order_by(ALERTS.c.id)
        )
        if self.postgres:
            query = query.with_for_update(skip_locked=True)
        return [
            other
            for other in connection.execute(query).all()
            if (other.facts or {}) == (row.facts or {})
            and other.notify_user == row.notify_user
            and other.attempts == row.attempts
        ]

    def _outgoing(self, connection: Connection, row: Any) -> Notice:
        domain = connection.execute(
            select(CustomerRow.domain).where(CustomerRow.id == row.customer_id)
        ).scalar_one()
        key = product = None
        if row.subscription_id is not None:
            key, product = connection.execute(
                select(SubscriptionRow.key, SubscriptionRow.product).where(
                    SubscriptionRow.id == row.subscription_id
                )
            ).one()
        total = None
        if row.invoice_id is not None:
            lines = select(type_coerce(func.coalesce(func.sum(InvoiceLineRow.amount), 0), Money()))
            total = connection.execute(
                lines.where(InvoiceLineRow.invoice_id == row.invoice_id)
            ).scalar_one()
        return Notice(
            row.id,
            row.customer_id,
            row.kind,
            row.at,
            row.attempts,
            domain,
            key,
            product,
            f"INV-{row.invoice_id:06d}" if row.invoice_id else None,
            total,
            dict(row.facts or {}),
            row.notify_user,
        )

    def drop_held(self, now: datetime, older_than: timedelta = HELD_FOR) -> int:
        """Pending alerts of uninstalled workspaces that fell due more than `older_than` ago
        are dropped, each with an audit row: a reinstall months later should not bring back
        stale news. Returns how many. Rows another replica holds are left to it."""
        with self.engine.begin() as connection:
            query = select(ALERTS.c.id, ALERTS.c.customer_id, ALERTS.c.kind, ALERTS.c.at).where(
                ALERTS.c.status == "pending", ALERTS.c.at < now - older_than, _held()
            )
            if self.postgres:
                query = query.with_for_update(skip_locked=True)
            rows = connection.execute(query.order_by(ALERTS.c.id)).all()
            if not rows:
                return 0
            ids = [row.id for row in rows]
            connection.execute(update(ALERTS).where(ALERTS.c.id.in_(ids)).values(status="dropped"))
            for row in rows:
                change = Change(
                    "alert_dropped",
                    f"{row.kind}:{row.id}",
                    None,
                    {"due": row.at.isoformat(), "why": "uninstalled"},
                )
                entry = AuditEntry(SCHEDULER, now, change)
                connection.execute(insert(table_of(AuditRow)), audit_row(row.customer_id, entry))
        return len(rows)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(ALERTS.c.status, func.count()).group_by(ALERTS.c.status)
            ).all()
        return {status: count for status, count in rows}
