"""What the billing services need from storage, and nothing about how it is done."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from billing.account import Account, Retry
from billing.model import Customer


class Due(StrEnum):
    """Questions a daily job asks: which customers may need it today?"""

    TERMS_ENDED = "terms_ended"
    TRIALS_ENDED = "trials_ended"
    DOMAIN_RENEWALS = "domain_renewals"
    OVERDUE = "overdue"
    REMINDERS = "reminders"


class Store(Protocol):
    def create_customer(self, domain: str, at: datetime) -> Customer:
        """The customer for `domain`, created if new."""
        ...

    def account(
        self, customer_id: int, replay_key: str | None = None, *, write: bool = True
    ) -> AbstractContextManager[Account]:
        """The customer's account under its lock; its pending rows are written on a clean exit.

        With `replay_key`, the change already recorded under that idempotency key is
        loaded into `account.replays`. With `write=False` nothing is locked or written: a
        view, or a dry run whose changes are thrown away.
        """
        ...

    def for_monthly_batches(
        self, month: date, size: int, rule: Callable[[list[Account]], int]
    ) -> int:
        """Apply `rule` to the accounts billable in `month`, a locked batch at a time, and
        write what it changed; returns the sum of what `rule` returned. `rule` must be a
        picklable value (not a closure): batches may be applied in worker processes."""
        ...

    def for_accounts(
        self, customer_ids: list[int], rule: Callable[[list[Account]], int], size: int
    ) -> int:
        """Apply `rule` to these customers' accounts, a locked batch at a time, writing what
        it changed; returns the sum of what `rule` returned."""
        ...

    def due(self, question: Due, at: datetime) -> list[int]:
        """Customer ids that may need the daily job asking `question` at `at`."""
        ...

    def due_retries(self, until: datetime) -> list[Retry]:
        """Charge retries not yet done and due at or before `until`, oldest first."""
        ...
