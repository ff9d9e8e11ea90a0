"""What every Slack handler needs: the services, and who is asking for which customer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from billing.service import Billing
from bot.acks import ACKING
from bot.config import Settings
from bot.people import Directory, Person, Role
from storage.approvals import Approvals
from storage.store import SqlStore
from storage.workspace import Workspaces

log = logging.getLogger(__name__)

AFTER_ACK_WORKERS = 4
"""Threads for the work that follows an ack. Few, so that a burst of slow answers cannot
take the interpreter from the acks of the requests behind them (bench/ack_latency.py)."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def _after_ack_pool() -> Executor:
    return ThreadPoolExecutor(AFTER_ACK_WORKERS, thread_name_prefix="licensebot-answer")


@dataclass(frozen=True)
class Asker:
    person: Person
    role: Role
    customer_id: int
    team_id: str

    @property
    def lang(self) -> str:
        return self.person.language

    @property
    def actor(self) -> str:
        return f"slack:{self.person.id}"


@dataclass
class Deps:
    settings: Settings
    store: SqlStore
    billing: Billing
    directory: Directory
    workspaces: Workspaces
    approvals: Approvals
    clock: Callable[[], datetime] = system_clock
    answers: Executor = field(default_factory=_after_ack_pool)

    def after_ack(self, job: Callable[[], None]) -> None:
        """Run `job` once the ack is on its way, off Bolt's listener threads.

        Bolt runs a listener, ack included, on one of a few threads; a listener that acks and
        then keeps its thread for the answer makes every request behind it wait for its ack.
        Handing the answer to this pool frees the thread at once.
        """
        self.answers.submit(_logged, job)

    def asker(self, team_id: str, user_id: str, team_domain: str | None = None) -> Asker:
        person = self.directory.person(user_id)
        domain = self.settings.domain or (
            person.email.split("@")[-1]
            if "@" in person.email
            else f"{team_domain or team_id.lower()}.slack"
        )
        try:
            customer = self.workspaces.customer(team_id, domain.lower(), self.clock())
        except LookupError:  # the domain is another workspace's: nobody here may act on it
            return Asker(person, Role.NONE, 0, team_id)
        return Asker(person, self.directory.role(person), customer.id, team_id)


def _logged(job: Callable[[], None]) -> None:
    """An executor keeps a job's exception in a future nobody reads: log it instead."""
    ACKING.wait_idle()
    try:
        job()
    except Exception:
        log.exception("answering after the ack failed")
