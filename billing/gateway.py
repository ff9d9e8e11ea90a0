"""The payment gateway: the port through which money really moves (SPEC "Payments through a
processor").

The domain never talks to a processor; it records charge requests, and a worker submits them
through a `PaymentGateway` after the transaction that made them has committed. Two adapters
implement this port: the built-in sandbox (deterministic test cards) and Stripe.

Amounts cross the port as `Decimal` major units with their ISO currency; each adapter converts
to what its processor counts in (Stripe: integer minor units).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class Decline(StrEnum):
    """Why a charge failed, in SPEC's codes; a processor's other answers map onto these."""

    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    AUTHENTICATION_REQUIRED = "authentication_required"
    EXPIRED_CARD = "expired_card"
    PROCESSING_ERROR = "processing_error"


HARD_DECLINES = frozenset({Decline.EXPIRED_CARD})
"""Never charged again until the card changes."""

WAITS_FOR_PAYER = frozenset({Decline.AUTHENTICATION_REQUIRED})
"""Completed by the admin from a link, not by a retry."""


class GatewayUnavailable(Exception):
    """A timeout or an outage: nothing is known about the charge, so the same attempt is sent
    again later with the same idempotency key. Never a decline, never an alert."""


@dataclass(frozen=True)
class SavedCard:
    """A payment method as the processor reports it: its id and the reference the bot may keep."""

    payment_method: str
    brand: str
    last4: str
    exp_year: int
    exp_month: int


@dataclass(frozen=True)
class ChargeOutcome:
    """What the processor answered for one idempotency key."""

    key: str
    succeeded: bool
    amount: Decimal
    charge_id: str | None = None
    """The processor's own id (Stripe: the PaymentIntent), kept to refund and reconcile."""
    reason: Decline | None = None
    action_url: str | None = None
    """Where the payer completes an authentication the charge is waiting for."""


@dataclass(frozen=True)
class RefundOutcome:
    key: str
    succeeded: bool
    refund_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ProcessorPayment:
    """A payment or refund as the processor's books have it, for reconciliation."""

    charge_id: str
    kind: str
    """"payment" or "refund"."""
    amount: Decimal
    currency: str
    at: datetime


class EventKind(StrEnum):
    """The processor's notifications that change the books."""

    SETUP_COMPLETED = "setup_completed"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"
    PAYMENT_METHOD_UPDATED = "payment_method_updated"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_CLOSED = "dispute_closed"


@dataclass(frozen=True)
class GatewayEvent:
    """One verified notification, in the domain's terms; `id` is the processor's event id,
    applied once."""

    id: str
    kind: EventKind
    created: datetime
    processor_customer: str | None = None
    key: str | None = None
    """The idempotency key of the charge or refund it is about, when the bot made it."""
    charge_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    reason: str | None = None
    card: SavedCard | None = None
    state: str | None = None
    """For a completed card entry: the single-use state the entry link carried."""
    won: bool | None = None
    """For a closed dispute: whether the merchant won it."""


class PaymentGateway(Protocol):
    """What the bot asks of a payment processor."""

    name: str
    descriptor_limit: int
    """The longest statement descriptor the processor accepts."""

    def create_customer(self, customer_id: int, domain: str) -> str:
        """The processor's customer for this account (created once; same answer after)."""
        ...

    def card_entry_url(self, processor_customer: str, state: str, return_url: str) -> str:
        """A hosted page where the payer enters a card for this customer; `state` comes back
        with the completed set-up, so the link is single use."""
        ...

    def adopt(self, brand: str, last4: str, exp_year: int, exp_month: int) -> str | None:
        """A payment-method id for a card saved before there was a processor, or None when
        it must be entered again on the hosted page (SPEC: the sandbox keeps it working)."""
        ...

    def payment_method(self, payment_method: str) -> SavedCard:
        """The card behind a payment-method id, as the processor knows it now."""
        ...

    def charge(
        self,
        processor_customer: str,
        payment_method: str,
        amount: Decimal,
        currency: str,
        key: str,
        descriptor: str,
    ) -> ChargeOutcome:
        """Charge off-session, once per `key`: the same key answers the same outcome.
        Raises GatewayUnavailable when the answer is unknown."""
        ...

    def find_charge(self, key: str) -> ChargeOutcome | None:
        """The charge made under `key`, if the processor has one (a key older than the
        processor keeps keys for is looked up before anything is sent again)."""
        ...

    def refund(self, charge_id: str, amount: Decimal, currency: str, key: str) -> RefundOutcome:
        """Pay back part or all of a charge, once per `key`. Raises GatewayUnavailable."""
        ...

    def payments(self, start: datetime, end: datetime) -> list[ProcessorPayment]:
        """Payments and refunds the processor recorded in [start, end), for reconciliation."""
        ...
