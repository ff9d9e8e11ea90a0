"""The Slack side of storage: which customer a workspace is, and the product catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from billing.model import Change, Customer
from storage.loading import customer_of
from storage.models import AuditRow, CustomerRow, ProductRow, table_of
from storage.saving import plain
from storage.store import SqlStore


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    annual_price: Decimal
    flexible_price: Decimal
    currency: str


class Workspaces:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def customer(self, team_id: str, domain: str, at: datetime) -> Customer:
        """The workspace's customer, created on first use under `domain`."""
        table = table_of(CustomerRow)
        with self.store.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.team_id == team_id)).first()
        if row is not None:
            return customer_of(row)
        try:
            with self.store.engine.begin() as connection:
                connection.execute(
                    insert(table),
                    {"domain": domain, "currency": "USD", "created_at": at, "team_id": team_id},
                )
        except IntegrityError:
            with self.store.engine.begin() as connection:  # the domain exists: adopt it
                connection.execute(
                    update(table)
                    .where(table.c.domain == domain, table.c.team_id.is_(None))
                    .values(team_id=team_id)
                )
        with self.store.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.team_id == team_id)).first()
        if row is None:
            raise LookupError(f"{domain} already belongs to another workspace")
        return customer_of(row)

    def products(self) -> list[Product]:
        table = table_of(ProductRow)
        with self.store.engine.connect() as connection:
            rows = connection.execute(select(table).order_by(table.c.name)).all()
        return [Product(r.code, r.name, r.annual_price, r.flexible_price, r.currency) for r in rows]

    def product(self, code: str) -> Product | None:
        return next((p for p in self.products() if p.code == code), None)

    def set_price(
        self,
        code: str,
        plan: str,
        price: Decimal,
        *,
        at: datetime,
        actor: str,
        customer_id: int | None = None,
    ) -> Change:
        """Change a catalogue price (new subscriptions only: each keeps the price it started at).

        Audited under the customer whose super-admin changed it, so their `/license audit` shows it."""
        table = table_of(ProductRow)
        column = "annual_price" if plan == "annual" else "flexible_price"
        with self.store.engine.begin() as connection:
            row = connection.execute(
                select(table).where(table.c.code == code).with_for_update()
            ).first()
            if row is None:
                raise LookupError(code)
            before = {"product": code, column: getattr(row, column)}
            connection.execute(
                update(table).where(table.c.code == code).values({column: price, "updated_at": at})
            )
            change = Change("set_price", code, before, {"product": code, column: price})
            connection.execute(
                insert(table_of(AuditRow)),
                {
                    "at": at,
                    "actor": actor,
                    "customer_id": customer_id,
                    "action": change.action,
                    "subject": code,
                    "before": plain(change.before),
                    "after": plain(change.after),
                    "idempotency_key": None,
                },
            )
        return change
