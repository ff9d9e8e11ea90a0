"""The charge worker: sends each recorded charge to the payment gateway after its
transaction has committed, and brings the answer back to the books in a transaction of its own.

Exactly once, whatever fails: the processor is asked with the charge's idempotency key, so a
worker that dies after sending and before recording sends the same key again and gets the
same answer; the answer is applied under the account's lock only to a charge still pending
(billing.charging.apply_outcome). A timeout or an outage is no answer: the same key goes out
again later, backing off, and nobody is alerted. Past the processor's key lifetime (Stripe:
24 hours) the charge is looked up before it is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from billing.actors import PROCESSOR
from billing.charging import apply_outcome
from billing.gateway import ChargeOutcome, Decline, GatewayUnavailable, PaymentGateway
from billing.model import descriptor
from billing.store import ChargeQueue, Store, WaitingCharge
from payments.sandbox import SandboxGateway
from storage.charges import SqlChargeQueue
from storage.store import SqlStore

log = logging.getLogger(__name__)


def system_clock() -> datetime:
    return datetime.now(UTC)


KEY_LIFETIME = timedelta(hours=24)
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
BATCH = 200


def backoff(tries: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour between two sends of the same key."""
    wait: timedelta = FIRST_WAIT * (2 ** min(tries, 12))
    return min(wait, LONGEST_WAIT)


class Charger:
    def __init__(
        self,
        store: Store,
        queue: ChargeQueue,
        gateway: PaymentGateway,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.queue = queue
        self.gateway = gateway
        self.clock = clock

    def run(
        self, now: datetime | None = None, customer_id: int | None = None, limit: int = BATCH
    ) -> int:
        """Send every charge due at `now` (one customer's, or all); returns how many were
        answered. `now` defaults to the clock (`simulate` gives its simulated instant)."""
        answered = 0
        while True:
            waiting = self.queue.waiting(now or self.clock(), limit, customer_id)
            done = sum(self.send(charge, now) for charge in waiting)
            answered += done
            if len(waiting) < limit or done == 0:
                return answered

    def send(self, charge: WaitingCharge, now: datetime | None = None) -> bool:
        """Ask the processor about one charge and apply its answer; False when none came."""
        now = now or self.clock()
        try:
            outcome = self._ask(charge, now)
        except GatewayUnavailable as error:
            log.warning(
                "charge %s: no answer from %s (%s); sent again later",
                charge.key,
                self.gateway.name,
                type(error).__name__,
            )
            self.queue.postpone(charge, now, now + backoff(charge.tries))
            return False
        self.apply(charge, outcome)
        return True

    def _ask(self, charge: WaitingCharge, now: datetime) -> ChargeOutcome:
        if charge.first_sent_at is not None and now - charge.first_sent_at > KEY_LIFETIME:
            found = self.gateway.find_charge(charge.key)
            if found is not None:
                return found
        method = self._method(charge)
        if method is None:
            return ChargeOutcome(charge.key, False, charge.amount, reason=Decline.CARD_DECLINED)
        customer = self.processor_customer(charge.customer_id, charge.domain)
        self.queue.sent(charge, now)
        return self.gateway.charge(
            customer,
            method,
            charge.amount,
            charge.currency,
            charge.key,
            descriptor(charge.domain, self.gateway.descriptor_limit),
        )

    def _method(self, charge: WaitingCharge) -> str | None:
        if charge.card is None:
            return None
        brand, last4, year, month, method = charge.card
        return method or self.gateway.adopt(brand, last4, year, month)

    def processor_customer(self, customer_id: int, domain: str) -> str:
        """The processor's customer for this account, created at the processor the first
        time (a charge, a card entry) and kept: the first one recorded wins."""
        kept = self.queue.processor_customer(customer_id, self.gateway.name)
        if kept is not None:
            return kept
        made = self.gateway.create_customer(customer_id, domain)
        return self.queue.keep_processor_customer(customer_id, self.gateway.name, made)

    def apply(self, charge: WaitingCharge, outcome: ChargeOutcome) -> None:
        with self.store.account(charge.customer_id) as account:
            pending = next((c for c in account.charges if c.id == charge.id), None)
            if pending is None:
                return
            change = apply_outcome(account, pending, outcome)
            if change is not None:
                account.audit(PROCESSOR, pending.requested_at, change)


def sandbox_charger(
    store: SqlStore, clock: Callable[[], datetime] = system_clock, base_url: str = ""
) -> Charger:
    """The worker with the built-in sandbox gateway, whose books share the bot's database."""
    return Charger(
        store, SqlChargeQueue(store), SandboxGateway(store.engine, clock, base_url), clock
    )
