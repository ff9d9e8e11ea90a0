"""The daily reconciliation job: the ledger's payments and refunds of the previous Pacific day
against the processor's books (billing.reconciliation), an alert for each customer with a
difference.

It runs once per day (the runner claims it in `job_runs`, as the daily jobs), and its alerts
are idempotent besides: one `reconciliation_difference` per customer and day (the alert's
identity is its kind, the account and the occasion `reconcile:<day>`), so a rerun after a
crash adds nothing. A difference is the customer's whose ledger row or charge it concerns; a
processor movement the bot never made (no charge of ours has its id: another integration on
the same processor account) is nobody's and only logged, as the webhooks ignore such events.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from billing.actors import SCHEDULER
from billing.calendar import day_start, pacific_day
from billing.gateway import PaymentGateway
from billing.model import AlertKind, Change
from billing.reconciliation import Difference, Movement, differences, window
from storage.charges import ProcessorLinks, ledger_movements
from storage.store import SqlStore

log = logging.getLogger(__name__)
JOB = "reconcile"


class Reconciler:
    def __init__(self, store: SqlStore, gateway: PaymentGateway) -> None:
        self.store = store
        self.gateway = gateway
        self.links = ProcessorLinks(store)

    def run(self, occurrence: datetime) -> list[Difference]:
        """Reconcile the Pacific day that ends at `occurrence` (00:00 of the next day); the
        alerts are dated `occurrence`. Raises GatewayUnavailable when the processor cannot
        be read (nothing is written: the job is not recorded as done)."""
        day = pacific_day(occurrence - timedelta(seconds=1))
        start, end = day_start(day), occurrence
        low, high = window(start, end)
        theirs = [
            Movement(p.kind, p.charge_id, p.amount, p.at) for p in self.gateway.payments(low, high)
        ]
        found = differences(ledger_movements(self.store, low, high), theirs, start, end)
        by_customer: dict[int, list[Difference]] = defaultdict(list)
        for difference in found:
            owner = difference.customer_id or self.links.by_charge_id(difference.charge_id)
            if owner is None:
                log.warning(
                    "reconciliation %s: %s %s at %s is no charge of ours; ignored",
                    day.isoformat(),
                    difference.kind,
                    difference.charge_id,
                    self.gateway.name,
                )
                continue
            by_customer[owner].append(difference)
        for customer_id, theirs_too in by_customer.items():
            with self.store.account(customer_id) as account:
                facts = [d.facts() for d in theirs_too]
                account.alert(
                    AlertKind.RECONCILIATION_DIFFERENCE,
                    occurrence,
                    f"{JOB}:{day.isoformat()}",
                    day=day.isoformat(),
                    differences=facts,
                )
                account.audit(
                    SCHEDULER,
                    occurrence,
                    Change(JOB, day.isoformat(), None, {"differences": facts}),
                )
        return found
