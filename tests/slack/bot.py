"""The real licensebot, served over HTTP on a random port, its Web API on the Slack
stand-in, its database fresh, its clock in the test's hands."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from billing.calendar import PACIFIC
from bot.app import build_app, services
from bot.config import Settings
from bot.sandbox.identities import Person
from bot.sandbox.signing import SlackResponse, SlackSender
from bot.sandbox.slack_api import SlackApi
from bot.server import serve
from handlers.answers import AnswerPool
from services.context import Services
from storage.store import SqlStore

SECRET = "test-signing-secret-0123456789"
TOKEN = "xoxb-111-222-test-token-abcdef"
SUPER = "USUPER"
ADMIN = "UADMIN"
GMAIL = "UGMAIL"
FRENCH = "UFRENCH"
PLAIN = "UPLAIN"
USERS = (
    Person(SUPER, "ada@acme.example", "ada"),
    Person(ADMIN, "grace@acme.example", "grace", is_admin=True),
    Person(GMAIL, "bob@gmail.com", "bob"),
    Person(FRENCH, "marie@acme.example", "marie", locale="fr-FR", tz="Europe/Paris"),
    Person(PLAIN, "joe@acme.example", "joe"),
)
BILLING_CHANNEL = "CBILLING"
PUBLIC_URL = "https://licensebot.test"
"""Where the sandbox gateway's card page is said to be (tests call the page directly)."""
APPROVALS_CHANNEL = "CAPPROVALS"


class Clock:
    """The bot's idea of now; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def advance(self, **delta: float) -> datetime:
        with self.lock:
            self.now += timedelta(**delta)
            return self.now

    def set(self, now: datetime) -> None:
        with self.lock:
            self.now = now


def settings_for(slack: SlackApi, **overrides: Any) -> Settings:
    values = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "LICENSEBOT_SUPER_ADMINS": f"{SUPER},{GMAIL},{FRENCH}",
        "LICENSEBOT_BILLING_CHANNEL": BILLING_CHANNEL,
        "LICENSEBOT_APPROVALS_CHANNEL": APPROVALS_CHANNEL,
        "LICENSEBOT_DOMAIN": "acme.example",
        "LICENSEBOT_PUBLIC_URL": PUBLIC_URL,
        **overrides,
    }
    return Settings(**values)


class RecordingSender(SlackSender):
    """A SlackSender that keeps every answer's JSON: acks can carry views (response_action)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers: list[Any] = []
        self._answers_lock = threading.Lock()

    def raw(self, body: bytes, headers: dict[str, str]) -> SlackResponse:
        answer = super().raw(body, headers)
        with self._answers_lock:
            self.answers.append(answer.json)
        return answer


@dataclass
class Running:
    slack: SlackApi
    sender: RecordingSender
    services: Services
    store: SqlStore
    """The bot's database, for tests to set up and check what the services left."""
    clock: Clock
    url: str
    errors: list[logging.LogRecord] = field(default_factory=list)
    """Records of ERROR and above logged while the bot ran (checked after each test)."""

    @property
    def customer_id(self) -> int:
        found = self.services.workspaces.customer_id("T1", "acme.example", self.clock())
        assert found is not None
        return found

    def command(self, user: str, text: str, **kwargs: Any) -> Any:
        return self.sender.command(user, text, **kwargs)

    def last_response(self, name: str) -> dict[str, Any]:
        return self.slack.wait_for_response(name)[-1]


@dataclass
class Serving:
    services: Services
    store: SqlStore
    url: str
    """Where it listens: http://127.0.0.1:PORT (Slack's requests go to /slack/events)."""
    pool: AnswerPool
    """Where the answers after the acks run."""


@contextmanager
def serving(settings: Settings, engine: Engine, clock: Clock) -> Iterator[Serving]:
    """The bot as `licensebot run --http` assembles it, on a port of its own."""
    store = SqlStore(engine)
    found = services(settings, store, clock)
    app = build_app(settings, found)
    server = serve(app, engine, SECRET, 0, host="127.0.0.1").start()
    pool = app.listener_runner.listener_executor
    assert isinstance(pool, AnswerPool)
    try:
        yield Serving(found, store, f"http://127.0.0.1:{server.port}", pool)
    finally:
        server.stop()
        pool.shutdown(wait=True)  # answers under way finish


@contextmanager
def running_bot(
    slack: SlackApi, engine: Engine, now: datetime | None = None, **overrides: Any
) -> Iterator[Running]:
    clock = Clock(now or datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC))
    with serving(settings_for(slack, **overrides), engine, clock) as served:
        names = (f"r{n}" for n in itertools.count(1))
        url = f"{served.url}/slack/events"
        sender = RecordingSender(
            url, SECRET, response_url_factory=lambda: slack.response_url(next(names))
        )
        yield Running(slack, sender, served.services, served.store, clock, url)
