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
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from billing.account import Account
from billing.actors import PROCESSOR
from billing.charging import apply_outcome
from billing.gateway import (
    ChargeOutcome,
    Decline,
    GatewayUnavailable,
    PaymentGateway,
    RefundOutcome,
)
from billing.model import descriptor
from billing.refunds import apply_refund
from billing.store import ChargeQueue, RefundQueue, Store, WaitingCharge, WaitingRefund
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
APPLY_BATCH = 100
"""Accounts whose answers are applied in one transaction."""


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
        concurrency: int = 1,
    ) -> None:
        """`concurrency`: charges sent at once (each waits on the processor, not the CPU)."""
        self.store = store
        self.concurrency = concurrency
        self.queue = queue
        self.gateway = gateway
        self.clock = clock
        self.refunds = queue if isinstance(queue, RefundQueue) else None
        """Refunds of credit go through the same worker, the same way (billing.refunds)."""

    def run(
        self, now: datetime | None = None, customer_id: int | None = None, limit: int = BATCH
    ) -> int:
        """Send every charge due at `now` (one customer's, or all); returns how many were
        answered. `now` defaults to the clock (`simulate` gives its simulated instant).

        A batch is sent first (`concurrency` at a time: each waits on the processor), then
        its answers are applied in locked batches of accounts, one transaction per batch;
        whatever dies between the two leaves the charges pending, sent again with their keys.
        """
        answered = 0
        while True:
            waiting = self.queue.waiting(now or self.clock(), limit, customer_id)
            answers = [a for a in self._ask_all(waiting, now) if a is not None]
            self.apply(answers)
            answered += len(answers)
            if len(waiting) < limit or not answers:
                break
        return answered + self.run_refunds(now, customer_id, limit)

    def run_refunds(
        self, now: datetime | None = None, customer_id: int | None = None, limit: int = BATCH
    ) -> int:
        """Send every refund due at `now`; returns how many were answered."""
        if self.refunds is None:
            return 0
        answered = 0
        while True:
            waiting = self.refunds.waiting_refunds(now or self.clock(), limit, customer_id)
            done = sum(self.send_refund(refund, now) for refund in waiting)
            answered += done
            if len(waiting) < limit or done == 0:
                return answered

    def send_refund(self, refund: WaitingRefund, now: datetime | None = None) -> bool:
        """Ask the processor to pay back one refund (its key, however many times it is
        sent) and apply the answer; False when none came (it is sent again later)."""
        assert self.refunds is not None
        now = now or self.clock()
        try:
            outcome = self.gateway.refund(
                refund.charge_id, refund.amount, refund.currency, refund.key
            )
        except GatewayUnavailable as error:
            log.warning(
                "refund %s: no answer from %s (%s); sent again later",
                refund.key,
                self.gateway.name,
                type(error).__name__,
            )
            self.refunds.postpone_refund(refund, now + backoff(refund.tries))
            return False
        self.apply_refund(refund, outcome)
        return True

    def apply_refund(self, refund: WaitingRefund, outcome: RefundOutcome) -> None:
        with self.store.account(refund.customer_id) as account:
            pending = next((r for r in account.refunds if r.id == refund.id), None)
            if pending is None:
                return
            change = apply_refund(account, pending, outcome)
            if change is not None:
                account.audit(PROCESSOR, pending.requested_at, change)

    def _ask_all(
        self, waiting: list[WaitingCharge], now: datetime | None
    ) -> list[tuple[WaitingCharge, ChargeOutcome] | None]:
        if self.concurrency <= 1 or len(waiting) <= 1:
            return [self.ask(charge, now) for charge in waiting]
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="charge") as pool:
            return list(pool.map(lambda charge: self.ask(charge, now), waiting))

    def ask(
        self, charge: WaitingCharge, now: datetime | None = None
    ) -> tuple[WaitingCharge, ChargeOutcome] | None:
        """The processor's answer for one charge; None when none came (sent again later)."""
        now = now or self.clock()
        try:
            return charge, self._ask(charge, now)
        except GatewayUnavailable as error:
            log.warning(
                "charge %s: no answer from %s (%s); sent again later",
                charge.key,
                self.gateway.name,
                type(error).__name__,
            )
            self.queue.postpone(charge, now, now + backoff(charge.tries))
            return None

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

    def outcomes(self, charge_ids: list[int]) -> list[tuple[str, str | None]]:
        return self.queue.outcomes(charge_ids)

    def apply(self, answers: list[tuple[WaitingCharge, ChargeOutcome]]) -> int:
        """Apply answers to their accounts, a locked batch of accounts per transaction."""
        by_customer: dict[int, list[tuple[int, ChargeOutcome]]] = {}
        for charge, outcome in answers:
            by_customer.setdefault(charge.customer_id, []).append((charge.id, outcome))
        if not by_customer:
            return 0
        return self.store.for_accounts(list(by_customer), Answers(by_customer), APPLY_BATCH)


class Answers:
    """The processor's answers, as a rule over a batch of accounts."""

    def __init__(self, by_customer: dict[int, list[tuple[int, ChargeOutcome]]]) -> None:
        self.by_customer = by_customer

    def __call__(self, accounts: list[Account]) -> int:
        applied = 0
        for account in accounts:
            for charge_id, outcome in self.by_customer.get(account.id, []):
                pending = next((c for c in account.charges if c.id == charge_id), None)
                change = None if pending is None else apply_outcome(account, pending, outcome)
                if pending is not None and change is not None:
                    account.audit(PROCESSOR, pending.requested_at, change)
                    applied += 1
        return applied


def sandbox_charger(
    store: SqlStore, clock: Callable[[], datetime] = system_clock, base_url: str = ""
) -> Charger:
    """The worker with the built-in sandbox gateway, whose books share the bot's database."""
    return Charger(
        store, SqlChargeQueue(store), SandboxGateway(store.engine, clock, base_url), clock
    )
