"""bot.installs.RecentBots: the bot Bolt authorises each request with, kept a few seconds in
memory, forgotten by any write through the store; rotating bots always read afresh."""

from __future__ import annotations

import time

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import delete

from bot.installs import RecentBots
from storage.models import SLACK_BOTS
from storage.store import SqlStore


def installation(team: str, token: str, refresh: str | None = None) -> Installation:
    return Installation(
        app_id="A1",
        team_id=team,
        user_id="U1",
        bot_token=token,
        bot_id="B1",
        bot_user_id="UB1",
        bot_refresh_token=refresh,
        bot_token_expires_in=43200 if refresh else None,
        installed_at=time.time(),
    )


def erase_behind_its_back(store: SqlStore) -> None:
    """What another replica's uninstall does: the rows go, this process is not told."""
    with store.engine.begin() as connection:
        connection.execute(delete(SLACK_BOTS))


@pytest.fixture
def bots(store: SqlStore) -> RecentBots:
    return RecentBots(client_id="C1", engine=store.engine)


def test_a_bot_is_kept_a_few_seconds_then_read_again(
    bots: RecentBots, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    bots.save(installation("T1", "xoxb-1"))
    first = bots.find_bot(enterprise_id=None, team_id="T1")
    assert first is not None and first.bot_token == "xoxb-1"
    erase_behind_its_back(store)
    kept = bots.find_bot(enterprise_id=None, team_id="T1")
    assert kept is not None and kept.bot_token == "xoxb-1"
    later = time.monotonic() + RecentBots.BOT_SECONDS + 0.1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert bots.find_bot(enterprise_id=None, team_id="T1") is None


def test_a_write_through_the_store_forgets_what_was_kept(bots: RecentBots) -> None:
    bots.save(installation("T1", "xoxb-1"))
    assert bots.find_bot(enterprise_id=None, team_id="T1") is not None
    bots.delete_bot(enterprise_id=None, team_id="T1")
    bots.delete_installation(enterprise_id=None, team_id="T1")
    assert bots.find_bot(enterprise_id=None, team_id="T1") is None
    bots.save(installation("T1", "xoxb-2"))
    again = bots.find_bot(enterprise_id=None, team_id="T1")
    assert again is not None and again.bot_token == "xoxb-2"


def test_a_rotating_bot_is_always_read_afresh(bots: RecentBots, store: SqlStore) -> None:
    bots.save(installation("T1", "xoxe.xoxb-1", refresh="xoxe-1-r"))
    assert bots.find_bot(enterprise_id=None, team_id="T1") is not None
    erase_behind_its_back(store)
    assert bots.find_bot(enterprise_id=None, team_id="T1") is None
