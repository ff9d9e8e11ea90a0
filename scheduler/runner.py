"""Runs the billing jobs that fall due up to an instant, in time order.

Occurrences are the daily 00:00 Pacific run and the charge retries; each runs with its
nominal instant, so a run caught up after downtime bills exactly as a punctual one.
`licensebot simulate` drives this same runner with a simulated clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from billing.calendar import day_start, next_midnight, pacific_day
from billing.gateway import GatewayUnavailable
from billing.jobs import run_daily, run_retry
from storage.store import JobLog, SqlStore

DAILY = "daily"
RECONCILE = "reconcile"
log = logging.getLogger(__name__)


class Runner:
    def __init__(
        self,
        store: SqlStore,
        origin: datetime,
        now: Callable[[], datetime] | None = None,
        settle: Callable[[datetime], object] | None = None,
        retry_days: tuple[int, ...] = (),
        reconcile: Callable[[datetime], object] | None = None,
    ) -> None:
        """`origin`: where the daily clock starts when no run has been recorded yet.
        `settle`: sends the charges an occurrence recorded, after it has committed and before
        the next one runs (the charge worker), so that each occurrence sees the answers."""
        self.store = store
        self.settle = settle
        self.reconcile = reconcile
        """The daily reconciliation of the day that ends at an occurrence (services.
        reconciliation), once per occurrence, after its charges are settled."""
        self.retry_days = retry_days
        """LICENSEBOT_RETRY_DAYS: days after issue an unpaid invoice is charged again."""
        self.log = JobLog(store)
        self.origin = origin
        self.now = now
        self._last_daily: datetime | None = None

    def next_daily(self) -> datetime:
        if self._last_daily is None:
            self._last_daily = self.log.last_finished(DAILY)
        if self._last_daily is not None:
            return next_midnight(self._last_daily)
        start = day_start(pacific_day(self.origin))
        return start if start >= self.origin else next_midnight(self.origin)

    def run_until(self, until: datetime) -> int:
        """Run every occurrence due at or before `until`; returns how many ran."""
        ran = 0
        while True:
            daily = self.next_daily()
            retry_at = self.store.next_retry_at()
            if retry_at is not None and retry_at < daily and retry_at <= until:
                for retry in self.store.due_retries(retry_at):
                    run_retry(self.store, retry, retry.due_at)
                self._settle(retry_at)
                ran += 1
                continue
            if daily > until:
                return ran
            if not self.run_daily(daily):
                return ran  # another replica holds it: its result shows at the next tick
            self._settle(daily)
            self.run_reconcile(daily)
            ran += 1

    def _settle(self, occurrence: datetime) -> None:
        if self.settle is not None:
            self.settle(occurrence)

    def run_reconcile(self, occurrence: datetime) -> None:
        """Reconcile the day that ends at `occurrence`, once (recorded in the job log like the
        daily run). A processor that cannot be read leaves it unrecorded: it runs again when
        the runner next reaches this occurrence (a restart)."""
        if self.reconcile is None:
            return
        clock = self.now or (lambda: occurrence)
        with self.log.hold(RECONCILE, occurrence) as mine:
            if not mine or self.log.finished(RECONCILE, occurrence):
                return
            started = clock()
            try:
                self.reconcile(occurrence)
            except GatewayUnavailable as error:
                log.warning(
                    "reconciliation of %s: processor unreachable (%s)",
                    occurrence.isoformat(),
                    type(error).__name__,
                )
                return
            self.log.record(RECONCILE, occurrence, started, clock())

    def run_daily(self, occurrence: datetime) -> bool:
        """Run the 00:00 occurrence unless it already ran; False if another replica has it."""
        clock = self.now or (lambda: occurrence)
        with self.log.hold(DAILY, occurrence) as mine:
            if not mine:
                self._last_daily = None  # re-read the log next time
                return False
            started = clock()
            if not self.log.finished(DAILY, occurrence):
                run_daily(self.store, occurrence, self.retry_days)
                self.log.record(DAILY, occurrence, started, clock())
        self._last_daily = occurrence
        return True
