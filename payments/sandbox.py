"""The built-in payment gateway: deterministic test cards, its books in the database.

It answers as a processor would (SPEC "Payments through a processor" 3): the card's last 4
digits pick the outcome, and each idempotency key is charged once, kept in its own table
(`sandbox_charges`), so a test can count what was really taken after a crash. Its payment
methods need no table: their ids carry the card reference itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from billing.gateway import (
    WAITS_FOR_PAYER,
    ChargeOutcome,
    Decline,
    EventKind,
    GatewayEvent,
    ProcessorPayment,
    RefundOutcome,
    SavedCard,
)
from storage.models import SandboxChargeRow, SandboxRefundRow, table_of

DECLINES = {
    "0002": Decline.CARD_DECLINED,
    "9995": Decline.INSUFFICIENT_FUNDS,
    "3184": Decline.AUTHENTICATION_REQUIRED,
    "0341": Decline.CARD_DECLINED,
}
"""The test cards that fail, by last 4; every other card succeeds like 4242."""

METHOD = re.compile(r"pm_sandbox_([a-z0-9]{1,20})_([0-9]{4})_([0-9]{4})([0-9]{2})")


def _now() -> datetime:
    return datetime.now(UTC)


def _id(prefix: str, key: str) -> str:
    """A processor-looking id, the same for the same key (a replay answers the same)."""
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class SandboxGateway:
    name = "sandbox"
    descriptor_limit = 22

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = _now, base_url: str = ""
    ) -> None:
        """`base_url`: the sandbox web app, which serves the card-entry page."""
        self.engine = engine
        self.clock = clock
        self.base_url = base_url.rstrip("/")

    # ---- customers and cards ---------------------------------------------------------
    def create_customer(self, customer_id: int, domain: str) -> str:
        return f"cus_sandbox_{customer_id}"

    def card_entry_url(self, processor_customer: str, state: str, return_url: str) -> str:
        return f"{self.base_url}/sandbox/card?state={state}"

    def adopt(self, brand: str, last4: str, exp_year: int, exp_month: int) -> str | None:
        """The test card for a reference saved before there was a processor (and for
        `simulate`'s `card: {brand, last4, expires}`)."""
        code = re.sub(r"[^a-z0-9]", "", brand.lower())[:20] or "card"
        return f"pm_sandbox_{code}_{last4}_{exp_year:04d}{exp_month:02d}"

    def payment_method(self, payment_method: str) -> SavedCard:
        found = METHOD.fullmatch(payment_method)
        if found is None:
            raise ValueError("not a sandbox payment method")
        brand, last4, year, month = found.groups()
        return SavedCard(payment_method, brand, last4, int(year), int(month))

    # ---- charges ---------------------------------------------------------------------
    def charge(
        self,
        processor_customer: str,
        payment_method: str,
        amount: Decimal,
        currency: str,
        key: str,
        descriptor: str,
    ) -> ChargeOutcome:
        kept = self.find_charge(key)
        if kept is not None:
            return kept
        reason = self._decide(payment_method)
        row = {
            "key": key,
            "charge_id": _id("ch_sandbox", key),
            "processor_customer": processor_customer,
            "payment_method": payment_method,
            "amount": amount,
            "currency": currency,
            "succeeded": reason is None,
            "reason": reason.value if reason else None,
            "created_at": self.clock(),
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(SandboxChargeRow), row)
        except IntegrityError:  # the same key from another worker, at the same moment
            pass
        found = self.find_charge(key)
        assert found is not None
        return found

    def _decide(self, payment_method: str) -> Decline | None:
        card = self.payment_method(payment_method)
        today = self.clock().date()
        if (today.year, today.month) > (card.exp_year, card.exp_month):
            return Decline.EXPIRED_CARD
        return DECLINES.get(card.last4)

    def find_charge(self, key: str) -> ChargeOutcome | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(SandboxChargeRow.__table__).where(SandboxChargeRow.key == key)
            ).first()
        if row is None:
            return None
        reason = Decline(row.reason) if row.reason else None
        return ChargeOutcome(
            key,
            row.succeeded,
            row.amount,
            row.charge_id,
            reason,
            self._authenticate_url(row.charge_id) if reason in WAITS_FOR_PAYER else None,
        )

    def _authenticate_url(self, charge_id: str) -> str | None:
        return f"{self.base_url}/sandbox/authenticate?charge={charge_id}" if self.base_url else None

    def authenticate(self, charge_id: str, at: datetime) -> GatewayEvent | None:
        """The payer confirms a charge that waited for authentication (the sandbox's page at
        the alert's link): it is taken, and told as a processor tells it, by an event. None
        when there is no such charge waiting."""
        table = table_of(SandboxChargeRow)
        with self.engine.begin() as connection:
            row = connection.execute(
                select(table).where(
                    table.c.charge_id == charge_id,
                    table.c.reason == Decline.AUTHENTICATION_REQUIRED.value,
                )
            ).first()
            if row is None:
                return None
            connection.execute(
                update(table)
                .where(table.c.charge_id == charge_id)
                .values(succeeded=True, reason=None)
            )
        return GatewayEvent(
            id=_id("evt_sandbox", charge_id),
            kind=EventKind.PAYMENT_SUCCEEDED,
            created=at,
            processor_customer=row.processor_customer,
            key=row.key,
            charge_id=charge_id,
            amount=row.amount,
            currency=row.currency,
        )

    def waiting_charge(self, charge_id: str) -> tuple[Decimal, str] | None:
        """The amount and currency of a charge waiting for the payer, for its page."""
        table = table_of(SandboxChargeRow)
        with self.engine.connect() as connection:
            row = connection.execute(
                select(table.c.amount, table.c.currency).where(
                    table.c.charge_id == charge_id,
                    table.c.reason == Decline.AUTHENTICATION_REQUIRED.value,
                )
            ).first()
        return None if row is None else (row.amount, row.currency)

    def charges(self) -> int:
        """How many charges the sandbox has taken or refused, every key once."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(SandboxChargeRow)
            ).scalar_one()

    # ---- refunds and reconciliation --------------------------------------------------
    def refund(self, charge_id: str, amount: Decimal, currency: str, key: str) -> RefundOutcome:
        with self.engine.begin() as connection:
            kept = connection.execute(
                select(SandboxRefundRow.__table__).where(SandboxRefundRow.key == key)
            ).first()
            if kept is not None:
                return RefundOutcome(key, kept.succeeded, kept.refund_id, kept.reason)
            charged = connection.execute(
                select(SandboxChargeRow.amount).where(
                    SandboxChargeRow.charge_id == charge_id, SandboxChargeRow.succeeded
                )
            ).scalar()
            refunded = connection.execute(
                select(SandboxRefundRow.amount).where(
                    SandboxRefundRow.charge_id == charge_id, SandboxRefundRow.succeeded
                )
            ).scalars()
            left = (charged or Decimal("0.00")) - sum(refunded, Decimal("0.00"))
            reason = None if amount <= left else "the refund exceeds what the charge has left"
            refund_id = _id("re_sandbox", key)
            row = {
                "key": key,
                "refund_id": refund_id,
                "charge_id": charge_id,
                "amount": amount,
                "succeeded": reason is None,
                "reason": reason,
                "created_at": self.clock(),
            }
            connection.execute(insert(SandboxRefundRow), row)
        return RefundOutcome(key, reason is None, refund_id, reason)

    def payments(self, start: datetime, end: datetime) -> list[ProcessorPayment]:
        with self.engine.connect() as connection:
            charges = connection.execute(
                select(SandboxChargeRow.__table__).where(
                    SandboxChargeRow.succeeded,
                    SandboxChargeRow.created_at >= start,
                    SandboxChargeRow.created_at < end,
                )
            ).all()
            refunds = connection.execute(
                select(SandboxRefundRow.__table__).where(
                    SandboxRefundRow.succeeded,
                    SandboxRefundRow.created_at >= start,
                    SandboxRefundRow.created_at < end,
                )
            ).all()
        return [
            ProcessorPayment(r.charge_id, "payment", r.amount, r.currency, r.created_at)
            for r in charges
        ] + [
            ProcessorPayment(r.charge_id, "refund", r.amount, "USD", r.created_at) for r in refunds
        ]
