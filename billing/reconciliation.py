"""Reconciliation (SPEC "Payments through a processor" 11): the ledger's payments and refunds
of a Pacific day against the processor's.

Movements are compared by what they are about: a payment by its processor charge; refunds by
the charge they pay back (the processor lists a refund under the charge it refunds), summed.
The ledger dates a movement at the instant of the normative arithmetic and the processor at
the instant it was sent (a charge resent after an outage may be hours later), so a movement
of the day is looked for on the other side within a day either way; only what has a movement
inside the day on one side is reported, so each difference is reported on one day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from billing.money import ZERO

SLACK = timedelta(days=1)
"""How far from the day a movement is looked for on the other side."""


@dataclass(frozen=True)
class Movement:
    kind: str
    """"payment" or "refund"."""
    charge_id: str
    amount: Decimal
    at: datetime
    customer_id: int | None = None


@dataclass(frozen=True)
class Difference:
    what: str
    """missing_at_processor, missing_in_ledger or amount_differs."""
    kind: str
    charge_id: str
    ledger: Decimal
    processor: Decimal
    customer_id: int | None

    def facts(self) -> dict[str, str]:
        return {
            "what": self.what,
            "kind": self.kind,
            "id": self.charge_id,
            "ledger": str(self.ledger),
            "processor": str(self.processor),
        }


def window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """What each side is read over to reconcile the day [start, end)."""
    return start - SLACK, end + SLACK


def differences(
    ledger: Iterable[Movement], processor: Iterable[Movement], start: datetime, end: datetime
) -> list[Difference]:
    """Every (kind, charge) with a movement inside [start, end) on either side whose totals
    over the window differ; sorted, so the same books give the same report."""
    books: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    theirs: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    owners: dict[tuple[str, str], int] = {}
    today: set[tuple[str, str]] = set()
    for side, movements in ((books, ledger), (theirs, processor)):
        for m in movements:
            key = (m.kind, m.charge_id)
            side[key] += m.amount
            if m.customer_id is not None:
                owners.setdefault(key, m.customer_id)
            if start <= m.at < end:
                today.add(key)
    found = []
    for key in sorted(today):
        ours, its = books.get(key, ZERO), theirs.get(key, ZERO)
        if ours == its:
            continue
        what = (
            "missing_in_ledger"
            if ours == 0
            else "missing_at_processor"
            if its == 0
            else "amount_differs"
        )
        found.append(Difference(what, key[0], key[1], ours, its, owners.get(key)))
    return found
