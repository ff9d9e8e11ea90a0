"""The billing clock inside `licensebot run` / `licensebot scheduler`.

APScheduler fires three things: the runner, which runs each due job occurrence once in time
order (catching up after downtime), the sweep applying approvals whose process stopped
before applying them, and the outbox delivery. Several replicas may run it
on PostgreSQL; with SQLite run a single scheduler (`licensebot run --no-scheduler` for the
others).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

# APScheduler 3 ships neither type hints nor a py.typed marker, and typeshed has no stubs.
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from slack_sdk import WebClient

from billing.calendar import PACIFIC
from bot.approving import apply_stuck_approvals
from scheduler.delivery import Deliverer
from scheduler.runner import Runner
from storage.outbox import Outbox

log = logging.getLogger(__name__)
TICK_SECONDS = 30
DELIVERY_SECONDS = 5


def deliverer_for(deps: Any) -> Deliverer:
    settings = deps.settings
    # Its own client, without the SDK's retry handler: 429s are the outbox's to schedule.
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=deps.directory.client.base_url
    )
    return Deliverer(
        Outbox(deps.store),
        client,
        settings.billing_channel,
        settings.channel_language,
        deps.clock,
        person_language=lambda user: deps.directory.person(user).language,
    )


def start_scheduler(deps: Any) -> BackgroundScheduler:
    runner = Runner(deps.store, origin=deps.clock(), now=deps.clock)
    deliverer = deliverer_for(deps)
    busy = threading.Lock()  # the midnight and interval triggers never overlap

    def tick() -> None:
        if not busy.acquire(blocking=False):
            return
        try:
            runner.run_until(deps.clock())
        except Exception:
            log.exception("billing jobs failed; they run again at the next tick")
        finally:
            busy.release()
        recover_approvals()
        deliver()

    def recover_approvals() -> None:
        try:
            apply_stuck_approvals(deps, deps.directory.client)
        except Exception:
            log.exception("stuck approvals could not be swept; they are tried again shortly")

    def deliver() -> None:
        try:
            deliverer.sweep()
        except Exception:
            log.exception("alert delivery failed; it runs again shortly")

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
    clock.add_job(
        deliver,
        IntervalTrigger(seconds=DELIVERY_SECONDS),
        id="deliver",
        max_instances=1,
        coalesce=True,
    )
    clock.start()
    clock.add_job(tick, id="start")  # catch up at once after downtime
    return clock
