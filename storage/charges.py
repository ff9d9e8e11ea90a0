"""The queue of charges waiting for the processor, read and rescheduled without loading an
account: the worker takes the answer back to the account only once it has one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Select, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from billing.model import ChargeStatus, TxKind
from billing.reconciliation import Movement
from billing.store import WaitingCharge, WaitingRefund
from storage.models import (
    ChargeRow,
    CustomerRow,
    PaymentMethodRow,
    ProcessorCustomerRow,
    ProcessorEventRow,
    RefundRow,
    TransactionRow,
    table_of,
)
from storage.store import SqlStore


class SqlChargeQueue:
    """billing.store.ChargeQueue on the database."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def waiting(
        self, now: datetime, limit: int, customer_id: int | None = None
    ) -> list[WaitingCharge]:
        """Pending charges due to be sent at `now`, oldest first."""
        charges, customers, cards = (
            table_of(ChargeRow),
            table_of(CustomerRow),
            table_of(PaymentMethodRow),
        )
        query = (
            select(
                charges,
                customers.c.domain,
                customers.c.currency,
                cards.c.brand,
                cards.c.last4,
                cards.c.exp_year,
                cards.c.exp_month,
                cards.c.processor_method,
            )
            .join(customers, customers.c.id == charges.c.customer_id)
            .outerjoin(
                cards,
                (cards.c.customer_id == charges.c.customer_id) & cards.c.replaced_at.is_(None),
            )
            .where(charges.c.status == ChargeStatus.PENDING.value, charges.c.next_try_at <= now)
            .order_by(charges.c.next_try_at, charges.c.id)
            .limit(limit)
        )
        if customer_id is not None:
            query = query.where(charges.c.customer_id == customer_id)
        with self.store.reads.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_waiting(row) for row in rows]

    def postpone(self, charge: WaitingCharge, sent_at: datetime, retry_at: datetime) -> None:
        """No answer came: send the same key again at `retry_at`."""
        table = table_of(ChargeRow)
        with self.store.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == charge.id, table.c.status == ChargeStatus.PENDING.value)
                .values(
                    tries=charge.tries + 1,
                    next_try_at=retry_at,
                    first_sent_at=charge.first_sent_at or sent_at,
                )
            )

    def sent(self, charge: WaitingCharge, sent_at: datetime) -> None:
        """The key went out: from now on its age counts against the processor's key life."""
        if charge.first_sent_at is not None:
            return
        table = table_of(ChargeRow)
        with self.store.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == charge.id, table.c.first_sent_at.is_(None))
                .values(first_sent_at=sent_at)
            )

    def outcomes(self, charge_ids: list[int]) -> list[tuple[str, str | None]]:
        table = table_of(ChargeRow)
        with self.store.reads.connect() as connection:
            rows = connection.execute(
                select(table.c.id, table.c.status, table.c.reason).where(table.c.id.in_(charge_ids))
            ).all()
        found = {row.id: (row.status, row.reason) for row in rows}
        return [found[i] for i in charge_ids if i in found]

    def waiting_refunds(
        self, now: datetime, limit: int, customer_id: int | None = None
    ) -> list[WaitingRefund]:
        """Pending refunds due to be sent at `now`, oldest first."""
        refunds, customers = table_of(RefundRow), table_of(CustomerRow)
        query = (
            select(refunds, customers.c.currency)
            .join(customers, customers.c.id == refunds.c.customer_id)
            .where(refunds.c.status == ChargeStatus.PENDING.value, refunds.c.next_try_at <= now)
            .order_by(refunds.c.next_try_at, refunds.c.id)
            .limit(limit)
        )
        if customer_id is not None:
            query = query.where(refunds.c.customer_id == customer_id)
        with self.store.reads.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            WaitingRefund(
                id=row["id"],
                customer_id=row["customer_id"],
                key=row["key"],
                charge_id=row["charge_id"],
                amount=row["amount"],
                currency=row["currency"],
                requested_at=row["requested_at"],
                tries=row["tries"],
            )
            for row in rows
        ]

    def postpone_refund(self, refund: WaitingRefund, retry_at: datetime) -> None:
        """No answer came: send the same key again at `retry_at`."""
        table = table_of(RefundRow)
        with self.store.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == refund.id, table.c.status == ChargeStatus.PENDING.value)
                .values(tries=refund.tries + 1, next_try_at=retry_at)
            )

    def processor_customer(self, customer_id: int, gateway: str) -> str | None:
        table = table_of(ProcessorCustomerRow)
        with self.store.reads.connect() as connection:
            return connection.execute(
                select(table.c.processor_id).where(
                    table.c.customer_id == customer_id, table.c.gateway == gateway
                )
            ).scalar()

    def keep_processor_customer(self, customer_id: int, gateway: str, processor_id: str) -> str:
        """Record the processor's customer; the first one recorded wins (two workers)."""
        try:
            with self.store.engine.begin() as connection:
                connection.execute(
                    insert(table_of(ProcessorCustomerRow)),
                    {"customer_id": customer_id, "gateway": gateway, "processor_id": processor_id},
                )
        except IntegrityError:
            pass
        kept = self.processor_customer(customer_id, gateway)
        assert kept is not None
        return kept


def _waiting(row: RowMapping) -> WaitingCharge:
    card = (
        None
        if row["brand"] is None
        else (
            row["brand"],
            row["last4"],
            row["exp_year"],
            row["exp_month"],
            row["processor_method"],
        )
    )
    return WaitingCharge(
        id=row["id"],
        customer_id=row["customer_id"],
        key=row["key"],
        amount=row["amount"],
        currency=row["currency"],
        domain=row["domain"],
        requested_at=row["requested_at"],
        tries=row["tries"],
        first_sent_at=row["first_sent_at"],
        card=card,
    )


def ledger_movements(store: SqlStore, start: datetime, end: datetime) -> list[Movement]:
    """The ledger's payments through the processor and its refunds that have not failed,
    dated in [start, end), for reconciliation."""
    tx, refunds = table_of(TransactionRow), table_of(RefundRow)
    with store.reads.connect() as connection:
        payments = connection.execute(
            select(tx.c.customer_id, tx.c.processor_id, tx.c.amount, tx.c.at).where(
                tx.c.kind == TxKind.PAYMENT.value,
                tx.c.processor_id.is_not(None),
                tx.c.at >= start,
                tx.c.at < end,
            )
        ).all()
        paid_back = connection.execute(
            select(
                refunds.c.customer_id,
                refunds.c.charge_id,
                refunds.c.amount,
                refunds.c.requested_at,
            ).where(
                refunds.c.status != ChargeStatus.FAILED.value,
                refunds.c.requested_at >= start,
                refunds.c.requested_at < end,
            )
        ).all()
    return [Movement("payment", p, amount, at, c) for c, p, amount, at in payments] + [
        Movement("refund", p, amount, at, c) for c, p, amount, at in paid_back
    ]


class ProcessorLinks:
    """Which customer a processor's event is about, read from what the bot sent it."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def _one(self, query: Select[Any]) -> int | None:
        with self.store.reads.connect() as connection:
            return connection.execute(query.limit(1)).scalar()

    def by_charge_key(self, key: str) -> int | None:
        table = table_of(ChargeRow)
        return self._one(select(table.c.customer_id).where(table.c.key == key))

    def by_refund_key(self, key: str) -> int | None:
        table = table_of(RefundRow)
        return self._one(select(table.c.customer_id).where(table.c.key == key))

    def by_processor_customer(self, gateway: str, processor_id: str) -> int | None:
        table = table_of(ProcessorCustomerRow)
        return self._one(
            select(table.c.customer_id).where(
                table.c.gateway == gateway, table.c.processor_id == processor_id
            )
        )

    def by_payment_method(self, payment_method: str) -> int | None:
        table = table_of(PaymentMethodRow)
        return self._one(
            select(table.c.customer_id).where(
                table.c.processor_method == payment_method, table.c.replaced_at.is_(None)
            )
        )

    def by_charge_id(self, charge_id: str) -> int | None:
        table = table_of(ChargeRow)
        return self._one(select(table.c.customer_id).where(table.c.processor_id == charge_id))

    def seen(self, event_id: str) -> bool:
        table = table_of(ProcessorEventRow)
        return self._one(select(literal(1)).where(table.c.id == event_id)) is not None
