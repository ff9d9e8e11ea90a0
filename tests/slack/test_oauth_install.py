"""OAuth mode end to end: installs through Bolt's flow against the multi-workspace stand-in,
one customer per installation, Grid org-wide installs, uninstall and reinstall, rotation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.sandbox.slack_teams import SlackTeams
from tests.slack.flows import seed_catalogue
from tests.slack.installed import Installed, installed_bot, stand_in


@pytest.fixture
def teams() -> Iterator[SlackTeams]:
    with stand_in() as found:
        yield found


@pytest.fixture
def oauth_bot(teams: SlackTeams, engine: Engine) -> Iterator[Installed]:
    seed_catalogue(engine)
    with installed_bot(teams, engine) as running:
        yield running


def test_two_workspaces_install_and_each_is_a_customer(oauth_bot: Installed) -> None:
    page = oauth_bot.install("T1", "UA1")
    assert page.status == 200, page.text
    assert oauth_bot.install("T2", "UG1").status == 200
    acme, globex = oauth_bot.customer_of("T1"), oauth_bot.customer_of("T2")
    assert acme != globex
    answer = oauth_bot.sender("T1").command("UA1", "help")
    assert answer.status == 200, answer.text
