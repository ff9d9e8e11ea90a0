"""An in-memory store for unit tests of rules and services, without SQL (cosmicpython's fake
repository): a unit of work works on a deep copy of the customer's account and, on a clean
exit, keeps it, numbering what was new, exactly as the SQL store would after its commit."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from billing.account import Account, AuditEntry, Pending, Retry
from billing.approvals import OPEN, Approval, ApprovalStatus
from billing.model import Alert, Change, ChargeStatus, Customer, Product
from billing.store import Due, WaitingCharge
from payments.sandbox import SandboxGateway
from services.charging import Charger
from storage.db import MEMORY_URL, make_engine
from storage.models import Base


class FakeStore:
    def __init__(self, catalogue: list[Product] | None = None) -> None:
        self.accounts: dict[int, Account] = {}
        self.replays: dict[tuple[int, str], Change] = {}
        self.audit: list[tuple[int, AuditEntry]] = []
        self.alerts: list[Alert] = []
        self.catalogue = list(catalogue or [])
        self.teams: dict[str, int] = {}
        self.requests: dict[int, Approval] = {}
        self.commits = 0
        self.postponed: dict[int, tuple[int, datetime, datetime | None]] = {}
        self.processor_customers: dict[tuple[int, str], str] = {}
        self._ids = itertools.count(1)

    # ---- customers -----------------------------------------------------------------
    def create_customer(self, domain: str, at: datetime) -> Customer:
        for account in self.accounts.values():
            if account.customer.domain == domain:
                return account.customer
        customer = Customer(next(self._ids), domain, "USD", at)
        self.accounts[customer.id] = Account(customer, [], catalogue=self.catalogue)
        return customer

    def customer_for_team(self, team_id: str, domain: str, at: datetime) -> Customer | None:
        if team_id not in self.teams:
            self.teams[team_id] = self.create_customer(domain, at).id
        return self.accounts[self.teams[team_id]].customer

    # ---- units of work -------------------------------------------------------------
    @contextmanager
    def account(
        self, customer_id: int, replay_key: str | None = None, *, write: bool = True
    ) -> Iterator[Account]:
        working = copy.deepcopy(self.accounts[customer_id])
        seen = self.replays.get((customer_id, replay_key)) if replay_key else None
        working.replays = {replay_key: seen} if replay_key and seen else {}
        filed = [a for a in self.requests.values() if a.request_key == replay_key]
        working.approvals += [
            copy.deepcopy(a) for a in filed if working.approval(a.id or 0) is None
        ]
        yield working
        if write:
            self._keep(working)

    def _keep(self, account: Account) -> None:
        pending = account.pending
        for thing in [
            *pending.subscriptions,
            *pending.invoices,
            *pending.charges,
            *pending.transactions,
            *pending.cards,
            *pending.retries,
            *pending.domains,
            *pending.requests,
            *pending.alerts,
        ]:
            if thing.id is None:
                thing.id = next(self._ids)
        for charge in pending.charges:
            charge.key = charge.key or charge.idempotency_key()
        for entry in pending.audit:
            if entry.idempotency_key is not None:
                self.replays[(account.id, entry.idempotency_key)] = entry.change
            self.audit.append((account.id, entry))
        self.alerts += pending.alerts
        for approval in [*pending.requests, *pending.decisions]:
            assert approval.id is not None
            self.requests[approval.id] = copy.deepcopy(approval)
        account.approvals = [a for a in account.approvals if a.status in OPEN]
        account.pending, account.replays = Pending(), {}
        self.accounts[account.id] = account
        self.commits += 1

    def for_monthly_batches(
        self, month: date, size: int, rule: Callable[[list[Account]], int]
    ) -> int:
        return self.for_accounts(list(self.accounts), rule, size)

    def for_accounts(
        self, customer_ids: list[int], rule: Callable[[list[Account]], int], size: int
    ) -> int:
        done = 0
        for customer_id in sorted(customer_ids):
            with self.account(customer_id) as account:
                done += rule([account])
        return done

    def due(self, question: Due, at: datetime) -> list[int]:
        """Every customer: the rules themselves check what is due."""
        return sorted(self.accounts)

    def due_retries(self, until: datetime) -> list[Retry]:
        retries = [r for a in self.accounts.values() for r in a.retries]
        return sorted(
            (r for r in retries if r.done_at is None and r.due_at <= until), key=lambda r: r.due_at
        )

    # ---- the charge queue (billing.store.ChargeQueue) ----------------------------------
    def waiting(
        self, now: datetime, limit: int, customer_id: int | None = None
    ) -> list[WaitingCharge]:
        found = []
        for account in self.accounts.values():
            if customer_id is not None and account.id != customer_id:
                continue
            card = account.card
            reference = (
                None
                if card is None
                else (card.brand, card.last4, card.exp_year, card.exp_month, card.payment_method)
            )
            for c in account.charges:
                tries, retry_at, first = self.postponed.get(c.id or 0, (0, c.requested_at, None))
                if c.status is ChargeStatus.PENDING and retry_at <= now:
                    assert c.id is not None and c.key is not None
                    found.append(
                        WaitingCharge(
                            c.id,
                            account.id,
                            c.key,
                            c.amount,
                            account.customer.currency,
                            account.customer.domain,
                            c.requested_at,
                            tries,
                            first,
                            reference,
                        )
                    )
        return found[:limit]

    def postpone(self, charge: WaitingCharge, sent_at: datetime, retry_at: datetime) -> None:
        self.postponed[charge.id] = (charge.tries + 1, retry_at, charge.first_sent_at or sent_at)

    def sent(self, charge: WaitingCharge, sent_at: datetime) -> None:
        tries, retry_at, first = self.postponed.get(charge.id, (0, charge.requested_at, None))
        self.postponed[charge.id] = (tries, retry_at, first or sent_at)

    def outcomes(self, charge_ids: list[int]) -> list[tuple[str, str | None]]:
        charges = {c.id: c for a in self.accounts.values() for c in a.charges}
        return [(charges[i].status.value, charges[i].reason) for i in charge_ids if i in charges]

    def processor_customer(self, customer_id: int, gateway: str) -> str | None:
        return self.processor_customers.get((customer_id, gateway))

    def keep_processor_customer(self, customer_id: int, gateway: str, processor_id: str) -> str:
        return self.processor_customers.setdefault((customer_id, gateway), processor_id)

    # ---- approvals -----------------------------------------------------------------
    def approval_posted(self, customer_id: int, approval_id: int, channel: str, ts: str) -> None:
        found = self.accounts[customer_id].approval(approval_id)
        if found is not None:
            found.channel, found.message_ts = channel, ts

    def interrupted_approvals(self) -> list[Approval]:
        return [
            a
            for account in self.accounts.values()
            for a in account.approvals
            if a.status is ApprovalStatus.APPROVED
        ]

    def stamp(self, customer_id: int) -> int | None:
        entries = [n for n, (cid, _) in enumerate(self.audit) if cid == customer_id]
        return entries[-1] if entries else None

    # ---- the Reader the approvals service needs -------------------------------------
    def approval(self, customer_id: int, approval_id: int) -> Approval | None:
        found = self.requests.get(approval_id)
        return found if found is not None and found.customer_id == customer_id else None

    def approvals(self, customer_id: int) -> list[Approval]:
        return [
            a
            for a in self.requests.values()
            if a.customer_id == customer_id and a.status is ApprovalStatus.PENDING
        ]

    # ---- what the tests read -----------------------------------------------------------
    def actions(self, customer_id: int) -> list[tuple[str, str, str | None]]:
        """(actor, action, key) of every audit entry of a customer, in order."""
        return [
            (str(e.actor), e.change.action, e.idempotency_key)
            for cid, e in self.audit
            if cid == customer_id
        ]

    def kept(self, customer_id: int) -> Any:
        return self.accounts[customer_id]


def sandbox_gateway(clock: Callable[[], datetime]) -> SandboxGateway:
    """The built-in gateway on its own in-memory database: its books, apart from the fake's."""
    engine = make_engine(MEMORY_URL)
    Base.metadata.create_all(engine)
    return SandboxGateway(engine, clock)


def charger(store: FakeStore, clock: Callable[[], datetime]) -> Charger:
    return Charger(store, store, sandbox_gateway(clock), clock)
