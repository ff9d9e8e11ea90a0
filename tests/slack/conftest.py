"""Fixtures shared by the Slack tests (`bot`: one workspace; `oauth_bot`: OAuth mode on
`teams`, the multi-workspace stand-in, nothing installed yet).

Every test that runs the bot also checks, when it ends, that the bot logged no error and
that every Block Kit payload it sent Slack (messages, views, response_url bodies and the
views in its acknowledgements) is one Slack would accept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.sandbox.slack_api import SlackApi
from bot.sandbox.slack_teams import SlackTeams
from storage.db import make_engine
from storage.models import Base
from tests.slack.blockkit import check_everything
from tests.slack.bot import USERS, Running, running_bot
from tests.slack.flows import seed_catalogue
from tests.slack.installed import Installed, installed_bot, stand_in
from tests.support import ON_POSTGRES, fresh_database

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sends every call through HTTP(S)_PROXY and ignores NO_PROXY, even to 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """The bot serves requests from many threads, so on SQLite it gets a database file, as in
    production: an in-memory database is one connection shared by every thread."""
    if ON_POSTGRES:
        with fresh_database() as engine:
            yield engine
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'licensebot.sqlite3'}")
    Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def teams() -> Iterator[SlackTeams]:
    with stand_in() as found:
        yield found


@pytest.fixture
def oauth_bot(teams: SlackTeams, engine: Engine) -> Iterator[Installed]:
    seed_catalogue(engine)
    with installed_bot(teams, engine) as running:
        yield running


@pytest.fixture
def slack() -> Iterator[SlackApi]:
    with SlackApi(USERS) as stand_in:
        yield stand_in


class _Errors(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture
def bot(slack: SlackApi, engine: Engine) -> Iterator[Running]:
    seed_catalogue(engine)
    errors: list[logging.LogRecord] = []
    handler = _Errors(errors)
    logging.getLogger().addHandler(handler)
    try:
        with running_bot(slack, engine) as running:  # its answers are all written on leaving
            running.errors = errors
            yield running
    finally:
        logging.getLogger().removeHandler(handler)
    problems = [f"{r.name}: {r.getMessage()}" for r in errors]
    assert not problems, "the bot logged errors:\n" + "\n".join(problems)
    check_everything(slack, running.sender.answers)
