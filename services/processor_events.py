"""The processor's notifications (webhooks), applied to the books once each.

An event names what it is about by what the bot sent the processor: a charge's idempotency
key, the processor's customer, a payment method. It is applied in one unit of work on that
customer's account, which also records the event's id; the id is unique in the database, so
a redelivery, or the same event reaching two replicas, changes nothing. Events arriving late
or out of order are safe because each rule re-checks the state (a charge already answered
stays as it is; an older expiry never replaces a newer card).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError

from billing.account import Account
from billing.actors import PROCESSOR
from billing.charging import apply_outcome
from billing.gateway import ChargeOutcome, Decline, EventKind, GatewayEvent
from billing.model import Change
from billing.payments import card_refreshed
from services.billing import Billing
from storage.charges import ProcessorLinks
from storage.store import SqlStore

log = logging.getLogger(__name__)


class Applied(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    """Not about anything the bot sent (another integration on the same processor account)."""


Rule = Callable[[Account, GatewayEvent], Change | None]


def _payment(account: Account, event: GatewayEvent) -> Change | None:
    """A charge's outcome, as the processor reports it (an authentication completed later)."""
    charge = account.charge_keyed(event.key) if event.key else None
    if charge is None:
        return None
    succeeded = event.kind is EventKind.PAYMENT_SUCCEEDED
    reason = None
    if not succeeded:
        reason = Decline(event.reason) if event.reason in set(Decline) else Decline.CARD_DECLINED
    outcome = ChargeOutcome(
        charge.key or "", succeeded, event.amount or charge.amount, event.charge_id, reason
    )
    return apply_outcome(account, charge, outcome, at=event.created)


class ProcessorEvents:
    def __init__(self, store: SqlStore, billing: Billing, gateway: str) -> None:
        self.store = store
        self.billing = billing
        self.gateway = gateway
        self.links = ProcessorLinks(store)
        self.rules: dict[EventKind, Rule] = {
            EventKind.PAYMENT_SUCCEEDED: _payment,
            EventKind.PAYMENT_FAILED: _payment,
            EventKind.PAYMENT_METHOD_UPDATED: self._card_updated,
        }

    def apply(self, event: GatewayEvent, received_at: datetime) -> Applied:
        rule = self.rules.get(event.kind)
        customer = self._customer(event)
        if rule is None or customer is None:
            return Applied.IGNORED
        if self.links.seen(event.id):
            return Applied.DUPLICATE
        try:
            with self.store.account(customer) as account:
                change = rule(account, event)
                account.note_event(event.id, self.gateway, event.kind.value, received_at)
                if change is not None:
                    account.audit(PROCESSOR, event.created, change)
        except IntegrityError:  # the same event, applied meanwhile by another request
            return Applied.DUPLICATE
        return Applied.APPLIED

    def _customer(self, event: GatewayEvent) -> int | None:
        if event.key:
            found = self.links.by_charge_key(event.key)
            if found is not None:
                return found
        if event.charge_id:
            found = self.links.by_charge_id(event.charge_id)
            if found is not None:
                return found
        if event.card is not None:
            found = self.links.by_payment_method(event.card.payment_method)
            if found is not None:
                return found
        if event.processor_customer:
            return self.links.by_processor_customer(self.gateway, event.processor_customer)
        return None

    def _card_updated(self, account: Account, event: GatewayEvent) -> Change | None:
        if event.card is None:
            return None
        return card_refreshed(account, event.card, event.created, self.billing.retry_after)
