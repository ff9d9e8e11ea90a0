"""Fixtures shared by the Slack tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.slack.bot import USERS, Running, running_bot
from tests.slack.fake_api import FakeSlack

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sends every call through HTTP(S)_PROXY and ignores NO_PROXY, even to 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(users=USERS) as fake:
        yield fake


@pytest.fixture
def bot(slack: FakeSlack, engine: Engine) -> Iterator[Running]:
    with running_bot(slack, engine) as running:
        yield running
