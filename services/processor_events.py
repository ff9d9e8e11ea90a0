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
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.exc import IntegrityError

from billing.account import Account
from billing.actors import PROCESSOR
from billing.charging import apply_outcome
from billing.disputes import dispute_closed, dispute_opened
from billing.gateway import ChargeOutcome, Decline, EventKind, GatewayEvent
from billing.model import Change, ChargeStatus, Refund
from billing.payments import card_refreshed
from billing.refunds import refund_confirmed, refund_failed
from services.billing import Billing
from services.card_entry import USED, CardEntry, Refused
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


def _refunds_of(account: Account, event: GatewayEvent) -> list[Refund]:
    """The refunds an event is about: the one its key names, or else every refund of the
    charge it names."""
    if event.key:
        found = account.refund_keyed(event.key)
        if found is not None:
            return [found]
    return [r for r in account.refunds if event.charge_id and r.charge_id == event.charge_id]


def _refunded(account: Account, event: GatewayEvent) -> Change | None:
    """The processor confirms refunds of a charge. With a key, that refund; without one,
    `amount` is all the processor has refunded of the charge, so the pending refunds it
    covers, oldest first, have succeeded."""
    refunds = _refunds_of(account, event)
    if event.key or event.amount is None:
        covered = [r for r in refunds if r.status is ChargeStatus.PENDING]
    else:
        left = event.amount - sum(
            (r.amount for r in refunds if r.status is ChargeStatus.SUCCEEDED), Decimal("0.00")
        )
        covered = []
        for refund in refunds:
            if refund.status is ChargeStatus.PENDING and refund.amount <= left:
                covered.append(refund)
                left -= refund.amount
    changes = [c for r in covered if (c := refund_confirmed(account, r, event.created))]
    if not changes:
        return None
    subject = ",".join(c.subject for c in changes)
    return Change("refund", subject, {"status": "pending"}, {"status": "succeeded"})


def _refund_failed(account: Account, event: GatewayEvent) -> Change | None:
    """A refund failed after the processor had taken it (the card's bank sent it back)."""
    found = _refunds_of(account, event)
    if not event.key and event.amount is not None:
        found = [r for r in found if r.amount == event.amount]
    refund = next((r for r in found if r.status is not ChargeStatus.FAILED), None)
    if refund is None:
        return None
    return refund_failed(account, refund, event.reason or "failed", event.created)


def _disputed(account: Account, event: GatewayEvent) -> Change | None:
    if not event.charge_id or event.amount is None:
        return None
    return dispute_opened(account, event.charge_id, event.amount, event.reason, event.created)


def _dispute_closed(account: Account, event: GatewayEvent) -> Change | None:
    if not event.charge_id or event.amount is None:
        return None
    return dispute_closed(account, event.charge_id, event.amount, bool(event.won), event.created)


class ProcessorEvents:
    def __init__(
        self,
        store: SqlStore,
        billing: Billing,
        gateway: str,
        card_entry: CardEntry | None = None,
    ) -> None:
        """`card_entry`: saves the card of a completed set-up (Stripe Checkout)."""
        self.store = store
        self.card_entry = card_entry
        self.billing = billing
        self.gateway = gateway
        self.links = ProcessorLinks(store)
        self.rules: dict[EventKind, Rule] = {
            EventKind.PAYMENT_SUCCEEDED: _payment,
            EventKind.PAYMENT_FAILED: _payment,
            EventKind.PAYMENT_METHOD_UPDATED: self._card_updated,
            EventKind.REFUNDED: _refunded,
            EventKind.REFUND_FAILED: _refund_failed,
            EventKind.DISPUTE_OPENED: _disputed,
            EventKind.DISPUTE_CLOSED: _dispute_closed,
        }

    def apply(self, event: GatewayEvent, received_at: datetime) -> Applied:
        if event.kind is EventKind.SETUP_COMPLETED:
            return self._card_entered(event)
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

    def _card_entered(self, event: GatewayEvent) -> Applied:
        """A card entered on the hosted page: saved for the link its state names, once (a
        used link refuses a second completion, so a redelivery changes nothing)."""
        if self.card_entry is None or event.state is None or event.card is None:
            return Applied.IGNORED
        done = self.card_entry.complete(
            event.state, event.card, event.created, event.processor_customer
        )
        if isinstance(done, Refused):
            log.info("card entry %s not saved: %s", event.id, done.message)
            return Applied.DUPLICATE if done.message == USED else Applied.IGNORED
        return Applied.APPLIED

    def _customer(self, event: GatewayEvent) -> int | None:
        if event.key:
            found = self.links.by_charge_key(event.key) or self.links.by_refund_key(event.key)
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
