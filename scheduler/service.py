"""The billing clock inside `licensebot run` / `licensebot scheduler`.

APScheduler fires the runner, which runs each due job occurrence once in time order
(catching up after downtime), and the outbox delivery. Several replicas may run it on
PostgreSQL; with SQLite run a single scheduler (`licensebot run --no-scheduler` for the
others).
"""

from __future__ import annotations

import logging
import threading

# APScheduler 3 ships neither type hints nor a py.typed marker, and typeshed has no stubs.
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from slack_sdk import WebClient

from billing.calendar import PACIFIC
from scheduler.delivery import Deliverer
from scheduler.destinations import Destinations, Installations, OneWorkspace
from scheduler.runner import Runner
from services.context import Services
from services.reconciliation import Reconciler
from services.workspaces import InstalledWorkspaces
from storage.outbox import Outbox
from storage.store import SqlStore

log = logging.getLogger(__name__)
TICK_SECONDS = 30
DELIVERY_SECONDS = 5


def deliverer_for(services: Services, store: SqlStore, client: WebClient) -> Deliverer:
    """Alert delivery with `client` in single-workspace mode, with each installation's own
    client in OAuth mode; neither should retry 429s itself: the outbox schedules them."""
    return Deliverer(Outbox(store), destinations_for(services, client), services.clock)


def destinations_for(services: Services, client: WebClient) -> Destinations:
    workspaces = services.workspaces
    if isinstance(workspaces, InstalledWorkspaces):
        return Installations(workspaces, services.directory)
    settings = workspaces.settings
    return OneWorkspace(
        client,
        settings.billing_channel,
        settings.channel_language,
        person_language=lambda user: services.directory.person(user).language,
    )


def start_scheduler(services: Services, store: SqlStore, client: WebClient) -> BackgroundScheduler:
    charges = services.billing.charges
    runner = Runner(
        store,
        origin=services.clock(),
        now=services.clock,
        settle=None if charges is None else lambda _: charges.run(),
        retry_days=services.billing.retry_days,
        reconcile=None if charges is None else Reconciler(store, charges.gateway).run,
    )
    deliverer = deliverer_for(services, store, client)
    running, delivering = threading.Lock(), threading.Lock()

    def tick() -> None:
        if running.acquire(blocking=False):  # the midnight and interval triggers never overlap
            try:
                runner.run_until(services.clock())
                if charges is not None:  # charges sent again after a timeout or an outage
                    charges.run()
            except Exception:
                log.exception("billing jobs failed; they run again at the next tick")
            finally:
                running.release()
        deliver()

    def deliver() -> None:
        if not delivering.acquire(blocking=False):  # one sweep at a time in a process
            return
        try:
            deliverer.sweep()
        except Exception:
            log.exception("alert delivery failed; it runs again shortly")
        finally:
            delivering.release()

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
