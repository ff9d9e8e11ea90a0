"""Requests for approval: created by an admin, decided once by a super-admin.

"Once" is the database's job: a request is unique per form submission, and a decision
is a conditional UPDATE from `pending`, so however many clicks, retries or replicas
race, exactly one of them wins. Each step writes its audit row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.models import ApprovalRow, AuditRow, table_of
from storage.saving import plain
from storage.store import SqlStore

TABLE = table_of(ApprovalRow)


@dataclass(frozen=True)
class Approval:
    id: int
    customer_id: int
    requested_by: str
    requested_at: datetime
    request_key: str
    action: str
    order: dict[str, Any]
    locale: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    outcome: str | None
    channel: str | None
    message_ts: str | None


def _audit(
    connection: Connection,
    approval_id: int,
    customer_id: int,
    actor: str,
    action: str,
    at: datetime,
    before: Any,
    after: Any,
) -> None:
    connection.execute(
        insert(table_of(AuditRow)),
        {
            "at": at,
            "actor": f"slack:{actor}",
            "customer_id": customer_id,
            "action": action,
            "subject": f"approval:{approval_id}",
            "before": plain(before),
            "after": plain(after),
            "idempotency_key": None,
        },
    )


class Approvals:
    def __init__(self, store: SqlStore) -> None:
        self.engine = store.engine

    def request(
        self,
        customer_id: int,
        requested_by: str,
        action: str,
        order: dict[str, Any],
        locale: str,
        at: datetime,
        key: str,
    ) -> tuple[Approval, bool]:
        """The request for this submission, and whether it is new."""
        try:
            with self.engine.begin() as connection:
                new_id = connection.execute(
                    insert(TABLE).returning(TABLE.c.id),
                    {
                        "customer_id": customer_id,
                        "requested_by": requested_by,
                        "requested_at": at,
                        "request_key": key,
                        "action": action,
                        "order": plain(order),
                        "locale": locale,
                        "status": "pending",
                    },
                ).scalar_one()
                _audit(
                    connection,
                    new_id,
                    customer_id,
                    requested_by,
                    "approval_request",
                    at,
                    None,
                    {"action": action, "order": order},
                )
            created = True
        except IntegrityError:
            created = False
        with self.engine.connect() as connection:
            row = connection.execute(select(TABLE).where(TABLE.c.request_key == key)).one()
        return Approval(**row._mapping), created

    def get(self, approval_id: int) -> Approval | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(TABLE).where(TABLE.c.id == approval_id)).first()
        return Approval(**row._mapping) if row else None

    def posted(self, approval_id: int, channel: str, ts: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(TABLE)
                .where(TABLE.c.id == approval_id)
                .values(channel=channel, message_ts=ts)
            )

    def decide(self, approval_id: int, approve: bool, by: str, at: datetime) -> Approval | None:
        """Record the decision if none was made yet; None when someone else decided first."""
        status = "approved" if approve else "denied"
        with self.engine.begin() as connection:
            won = connection.execute(
                update(TABLE)
                .where(TABLE.c.id == approval_id, TABLE.c.status == "pending")
                .values(status=status, decided_by=by, decided_at=at)
            ).rowcount
            if won == 1:
                customer_id = connection.execute(
                    select(TABLE.c.customer_id).where(TABLE.c.id == approval_id)
                ).scalar_one()
                _audit(
                    connection,
                    approval_id,
                    customer_id,
                    by,
                    f"approval_{status}",
                    at,
                    {"status": "pending"},
                    {"status": status},
                )
        return self.get(approval_id) if won == 1 else None

    def finish(self, approval_id: int, applied: bool, outcome: str) -> bool:
        """Record the outcome of an approved request; False when it was already recorded."""
        with self.engine.begin() as connection:
            moved = connection.execute(
                update(TABLE)
                .where(TABLE.c.id == approval_id, TABLE.c.status == "approved")
                .values(status="applied" if applied else "failed", outcome=outcome[:2000])
            ).rowcount
        return bool(moved == 1)

    def approved_before(self, instant: datetime) -> list[Approval]:
        """Requests approved before `instant` and still not applied, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(TABLE)
                .where(TABLE.c.status == "approved", TABLE.c.decided_at < instant)
                .order_by(TABLE.c.decided_at, TABLE.c.id)
            ).all()
        return [Approval(**row._mapping) for row in rows]

    def pending(self, customer_id: int) -> list[Approval]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(TABLE)
                .where(TABLE.c.customer_id == customer_id, TABLE.c.status == "pending")
                .order_by(TABLE.c.id)
            ).all()
        return [Approval(**row._mapping) for row in rows]
