"""Rules slowed down for the crash tests: plain values, so that worker processes (which import
them afresh) run them too."""

from __future__ import annotations

import time
from dataclasses import dataclass

from billing.account import Account
from billing.jobs import InvoiceRun


@dataclass(frozen=True)
class SlowInvoiceRun(InvoiceRun):
    pause: float = 1.0

    def __call__(self, accounts: list[Account]) -> int:
        time.sleep(self.pause)  # inside the batch's transaction, its connection held
        return super().__call__(accounts)
