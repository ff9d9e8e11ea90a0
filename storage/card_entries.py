"""The card-entry links on the database (billing.store.CardEntries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from billing.store import CardEntryLink
from storage.models import CardEntryRow, PaymentMethodRow, table_of
from storage.store import SqlStore


class SqlCardEntries:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create(self, link: CardEntryLink) -> None:
        with self.store.engine.begin() as connection:
            connection.execute(
                insert(table_of(CardEntryRow)),
                {
                    "state": link.state,
                    "customer_id": link.customer_id,
                    "requested_by": link.requested_by,
                    "purpose": link.purpose,
                    "created_at": link.created_at,
                    "expires_at": link.expires_at,
                    "used_at": link.used_at,
                },
            )

    def find(self, state: str) -> CardEntryLink | None:
        table = table_of(CardEntryRow)
        with self.store.engine.connect() as connection:  # the writer: a link made a moment ago
            row = connection.execute(select(table).where(table.c.state == state)).first()
        if row is None:
            return None
        return CardEntryLink(
            row.state,
            row.customer_id,
            row.requested_by,
            row.purpose,
            row.created_at,
            row.expires_at,
            row.used_at,
        )

    def use(self, state: str, at: datetime) -> bool:
        table = table_of(CardEntryRow)
        with self.store.engine.begin() as connection:
            done = connection.execute(
                update(table)
                .where(table.c.state == state, table.c.used_at.is_(None))
                .values(used_at=at)
            )
        return bool(done.rowcount)

    def without_processor_method(self) -> list[tuple[int, int]]:
        table = table_of(PaymentMethodRow)
        query = (
            select(table.c.customer_id, table.c.id)
            .where(table.c.replaced_at.is_(None), table.c.processor_method.is_(None))
            .order_by(table.c.customer_id)
        )
        with self.store.reads.connect() as connection:
            return [(row.customer_id, row.id) for row in connection.execute(query)]
