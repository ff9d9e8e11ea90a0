"""The billing clock inside `licensebot run`: APScheduler fires the runner, which runs
each due job occurrence once (catching up after downtime)."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from billing.calendar import PACIFIC
from scheduler.runner import Runner

log = logging.getLogger(__name__)
TICK_SECONDS = 30


def start_scheduler(deps: Any) -> BackgroundScheduler:
    runner = Runner(deps.store, origin=deps.clock(), now=deps.clock)

    def tick() -> None:
        try:
            runner.run_until(deps.clock())
        except Exception:
            log.exception("billing jobs failed; they will run again at the next tick")

    clock = BackgroundScheduler(timezone=PACIFIC)
    # Punctual at 00:00 Pacific; the interval tick runs retries on time and catches up.
    clock.add_job(
        tick,
        CronTrigger(hour=0, minute=0, second=1, timezone=PACIFIC),
        id="midnight",
        max_instances=1,
        coalesce=True,
    )
    clock.add_job(
        tick, IntervalTrigger(seconds=TICK_SECONDS), id="tick", max_instances=1, coalesce=True
    )
    clock.start()
    tick()
    return clock
