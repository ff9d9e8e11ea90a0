"""OAuth mode end to end: installs through Bolt's flow against the multi-workspace stand-in,
one customer per installation, Grid org-wide installs, uninstall and reinstall, rotation."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from billing.actors import Actor
from bot.sandbox.identities import Person
from bot.sandbox.slack_teams import SlackTeams
from services.people import Role
from tests.slack.flows import audit_actions, rows, seed_catalogue, signup_order
from tests.slack.installed import (
    CLIENT_ID,
    CLIENT_SECRET,
    Installed,
    Page,
    get,
    installed_bot,
    stand_in,
)

_names = itertools.count(1)


# ---- helpers -----------------------------------------------------------------------------


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [text for value in node.values() for text in _texts(value)]
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    return []


def ask(bot: Installed, team_id: str, user: str, text: str, *, org_install: bool = False) -> str:
    """`/license <text>` by ``user`` in workspace ``team_id``: the text of its one answer."""
    name = f"ask{next(_names)}"
    api = bot.teams.team(team_id)
    answer = bot.sender(team_id, org_install=org_install).command(
        user, text, response_url=api.response_url(name)
    )
    assert answer.status == 200, answer
    (reply,) = api.wait_for_response(name)
    return "\n".join(_texts(reply.get("blocks") or [])) or str(reply.get("text"))


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def mentioned(text: str) -> set[str]:
    return set(re.findall(r"<@([UW][A-Z0-9]+)>", text))


def oauth_calls(teams: SlackTeams) -> list[Any]:
    return [call for call in teams.calls if call.method == "oauth.v2.access"]


def bot_tokens(engine: Engine, team_id: str) -> list[str]:
    """The bot tokens slack-sdk's store holds for ``team_id``, newest last."""
    found = rows(
        engine, "SELECT bot_token FROM slack_bots WHERE team_id = :t ORDER BY id", t=team_id
    )
    return [row[0] for row in found]


def subscribe(bot: Installed, customer: int) -> None:
    order = signup_order()
    bot.services.billing.order(customer, order, at=bot.clock(), actor=Actor.parse("test"))


def customers(engine: Engine) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in rows(engine, "SELECT team_id FROM customers ORDER BY id")]


# ---- installs ----------------------------------------------------------------------------


def test_two_workspaces_install_and_each_is_a_customer(
    oauth_bot: Installed, teams: SlackTeams, engine: Engine
) -> None:
    install_page = get(f"{oauth_bot.base}/slack/install")
    assert install_page.status == 200
    assert f"client_id={CLIENT_ID}" in install_page.text
    assert "scope=commands" in install_page.text

    page = oauth_bot.install("T1", "UA1")
    assert page.status == 200, page.text
    assert "slack://app?team=T1" in page.text  # Bolt's success page, back to the workspace
    assert oauth_bot.install("T2", "UG1").status == 200
    acme, globex = oauth_bot.customer_of("T1"), oauth_bot.customer_of("T2")
    assert acme != globex
    assert customers(engine) == [("T1",), ("T2",)]
    domains = rows(engine, "SELECT domain FROM customers ORDER BY id")
    assert [row[0] for row in domains] == ["acme.example", "globex.example"]

    acme_answer = ask(oauth_bot, "T1", "UA1", "admins")
    globex_answer = ask(oauth_bot, "T2", "UG1", "admins")
    assert mentioned(acme_answer) == {"UA1"}
    assert mentioned(globex_answer) == {"UG1"}
    assert oauth_bot.workspaces.settings_for(acme).super_admins == ("UA1",)
    assert oauth_bot.workspaces.settings_for(globex).super_admins == ("UG1",)

    # Globex's installer may do nothing at Acme: a request naming Acme gets no role there
    foreign = ask(oauth_bot, "T1", "UG1", "admins")
    assert "UA1" not in foreign and "UG1" not in foreign
    asker = oauth_bot.services.asker("T1", "UG1", "acme", installation="T1")
    assert asker.customer_id == acme and asker.role is Role.NONE

    exchanges = oauth_calls(teams)
    assert len(exchanges) == 2
    for call in exchanges:
        assert call.headers["authorization"] == f"Basic {CLIENT_ID}:***"
        assert CLIENT_SECRET not in repr(call)
        assert call.args["code"].startswith("code-")

    installations = rows(
        engine,
        "SELECT client_id, team_id, user_id, bot_user_id, bot_token FROM slack_installations"
        " ORDER BY id",
    )
    assert [tuple(row[:4]) for row in installations] == [
        (CLIENT_ID, "T1", "UA1", "UBOTA"),
        (CLIENT_ID, "T2", "UG1", "UBOTG"),
    ]
    assert [row[4] for row in installations] == [
        teams.tokens_of("T1")[0],
        teams.tokens_of("T2")[0],
    ]
    assert bot_tokens(engine, "T1") == teams.tokens_of("T1")
    assert bot_tokens(engine, "T2") == teams.tokens_of("T2")
    # each workspace's calls came with its own token
    for team_id in ("T1", "T2"):
        (token,) = teams.tokens_of(team_id)
        seen = {call.headers.get("authorization") for call in teams.team(team_id).calls}
        assert seen == {f"Bearer {token}"}


def test_a_consumer_account_installer_makes_the_primary_owner_first_super_admin(
    oauth_bot: Installed, teams: SlackTeams
) -> None:
    globex = teams.team("T2")
    globex.add_user(Person("UG3", "gus@gmail.com", "gus", is_admin=True))
    globex.add_user(Person("UG9", "boss@globex.example", "boss", is_primary_owner=True))
    assert oauth_bot.install("T2", "UG3").status == 200
    customer = oauth_bot.customer_of("T2")
    settings = oauth_bot.workspaces.settings_for(customer)
    assert settings.super_admins == ("UG9",)
    assert settings.billing_channel == "UG3"  # alerts still go to the installer's DM
    assert mentioned(ask(oauth_bot, "T2", "UG9", "admins")) == {"UG9"}
    assert globex.calls_to("users.list")
    # the organisation's domain is the primary owner's, not the consumer account's
    assert rows(oauth_bot.store.engine, "SELECT domain FROM customers") == [("globex.example",)]


def test_an_org_wide_grid_install_is_one_customer_for_its_workspaces(
    oauth_bot: Installed, teams: SlackTeams, engine: Engine
) -> None:
    page = oauth_bot.install("E1", "UI1", org_install=True)
    assert page.status == 200, page.text
    org = oauth_bot.customer_of("E1")
    assert customers(engine) == [("E1",)]
    assert oauth_bot.workspaces.installations.customer_of("T3") is None
    assert oauth_bot.workspaces.installations.customer_of("T4") is None
    (row,) = rows(
        engine, "SELECT enterprise_id, team_id, is_enterprise_install FROM slack_installations"
    )
    assert (row[0], row[1], bool(row[2])) == ("E1", None, True)

    assert oauth_bot.workspaces.settings_for(org).super_admins == ("UI1",)
    assert mentioned(ask(oauth_bot, "T3", "UI1", "admins", org_install=True)) == {"UI1"}
    assert mentioned(ask(oauth_bot, "T4", "UI1", "admins", org_install=True)) == {"UI1"}
    for team_id in ("T3", "T4"):
        assert oauth_bot.services.asker(team_id, "UI1", installation="E1").customer_id == org

    # set from one workspace, seen from the other: the same customer
    answer = ask(oauth_bot, "T3", "UI1", "channels <#CEAST|billing>", org_install=True)
    assert "<#CEAST>" in answer
    assert "<#CEAST>" in ask(oauth_bot, "T4", "UI1", "channels", org_install=True)
    assert oauth_bot.workspaces.settings_for(org).billing_channel == "CEAST"
    assert customers(engine) == [("E1",)]


def test_a_reinstall_by_someone_else_keeps_the_customer_and_every_role(
    oauth_bot: Installed, engine: Engine
) -> None:
    assert oauth_bot.install("T1", "UA1").status == 200
    customer = oauth_bot.customer_of("T1")
    assert oauth_bot.install("T1", "UA2").status == 200
    assert oauth_bot.customer_of("T1") == customer
    assert customers(engine) == [("T1",)]
    settings = oauth_bot.workspaces.settings_for(customer)
    assert (settings.super_admins, settings.admins) == (("UA1",), ())
    assert mentioned(ask(oauth_bot, "T1", "UA1", "admins")) == {"UA1"}
    assert "Nothing was changed" in ask(oauth_bot, "T1", "UA2", "admins add <@UA2> super")
    assert audit_actions(engine) == [
        ("slack:UA1", "installed", "T1"),
        ("slack:UA2", "reinstalled", "T1"),
    ]
    record = oauth_bot.workspaces.record(customer)
    assert record is not None and record.installed.installer == "UA1"


def _authorized(bot: Installed) -> tuple[str, str, str]:
    """The install page's cookie and what Slack's authorize page hands back for T1."""
    page = get(f"{bot.base}/slack/install")
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', page.text)
    assert link is not None
    cookie = page.headers["Set-Cookie"].split(";")[0]
    code, state = bot.teams.authorize(link[1].replace("&amp;", "&"), "T1", "UA1")
    return cookie, code, state


def _nothing_installed(bot: Installed, engine: Engine) -> None:
    assert rows(engine, "SELECT id FROM slack_installations") == []
    assert rows(engine, "SELECT id FROM slack_bots") == []
    assert customers(engine) == []
    assert rows(engine, "SELECT customer_id FROM workspaces") == []
    assert bot.workspaces.installations.customer_of("T1") is None


@pytest.mark.parametrize(
    ("broken", "status", "reason"),
    [
        ("wrong state", 400, "invalid_browser"),
        ("no cookie", 400, "invalid_browser"),
        ("unknown state", 401, "invalid_state"),
        ("invalid code", 401, "invalid_code"),
    ],
)
def test_a_failed_redirect_installs_nothing(
    oauth_bot: Installed,
    teams: SlackTeams,
    engine: Engine,
    broken: str,
    status: int,
    reason: str,
) -> None:
    cookie, code, state = _authorized(oauth_bot)
    if broken == "wrong state":
        state = state[:-4] + ("1111" if state.endswith("0000") else "0000")
    elif broken == "no cookie":
        cookie = ""
    elif broken == "unknown state":  # cookie and state agree, but the bot never issued it
        name = cookie.split("=")[0]
        state = "forged-state"
        cookie = f"{name}={state}"
    else:
        code = "code-forged"
    page: Page = get(f"{oauth_bot.base}/slack/oauth_redirect?code={code}&state={state}", cookie)
    assert page.status == status, page
    assert "Oops, Something Went Wrong!" in page.text
    assert f"reason: {reason}" in page.text
    _nothing_installed(oauth_bot, engine)
    assert len(oauth_calls(teams)) == (1 if broken == "invalid code" else 0)


# ---- uninstall ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["app_uninstalled", "tokens_revoked"])
def test_an_uninstall_stops_delivery_keeps_the_books_and_a_reinstall_resumes(
    oauth_bot: Installed, teams: SlackTeams, engine: Engine, kind: str
) -> None:
    oauth_bot.install("T1", "UA1")
    oauth_bot.install("T2", "UG1")
    acme, globex = oauth_bot.customer_of("T1"), oauth_bot.customer_of("T2")
    subscribe(oauth_bot, globex)
    subscribe(oauth_bot, acme)
    books = "SELECT customer_id, key, plan FROM subscriptions ORDER BY customer_id"
    before = [tuple(row) for row in rows(engine, books)]
    assert before == [(acme, "chrome", "annual"), (globex, "chrome", "annual")]
    assert oauth_bot.workspaces.client_for(globex) is not None

    teams.uninstall("T2")
    event: dict[str, Any] = {"type": kind}
    if kind == "tokens_revoked":
        event["tokens"] = {"bot": ["UBOTG"]}
    answer = oauth_bot.sender("T2").event(event)
    assert answer.status == 200, answer
    wait_until(lambda: not oauth_bot.workspaces.settings_for(globex).installed)

    assert oauth_bot.workspaces.client_for(globex) is None
    assert bot_tokens(engine, "T2") == []
    assert rows(engine, "SELECT id FROM slack_installations WHERE team_id = 'T2'") == []
    assert [tuple(row) for row in rows(engine, books)] == before  # the books stay
    assert oauth_bot.customer_of("T2") == globex
    assert ("slack", "uninstalled", "T2") in audit_actions(engine)

    # nothing is asked of Slack for Globex any more: Bolt only says to reinstall
    answered = len(teams.team("T2").calls)
    gone = teams.team("T2").response_url("gone")
    assert oauth_bot.sender("T2").command("UG1", "admins", response_url=gone).status == 200
    (reply,) = teams.team("T2").wait_for_response("gone")
    assert "reinstall" in reply["text"]
    assert teams.team("T2").calls[answered:] == []

    # Acme is untouched
    assert oauth_bot.workspaces.settings_for(acme).installed
    acme_client = oauth_bot.workspaces.client_for(acme)
    assert acme_client is not None and acme_client.auth_test()["team_id"] == "T1"
    assert mentioned(ask(oauth_bot, "T1", "UA1", "admins")) == {"UA1"}

    assert oauth_bot.install("T2", "UG2").status == 200
    assert oauth_bot.customer_of("T2") == globex
    settings = oauth_bot.workspaces.settings_for(globex)
    assert settings.installed and settings.super_admins == ("UG1",)
    client = oauth_bot.workspaces.client_for(globex)
    assert client is not None and client.auth_test()["team_id"] == "T2"
    assert client.token == teams.tokens_of("T2")[-1]
    assert [tuple(row) for row in rows(engine, books)] == before
    actions = [a for a in audit_actions(engine) if a[2] == "T2"]
    assert actions == [
        ("slack:UG1", "installed", "T2"),
        ("slack", "uninstalled", "T2"),
        ("slack:UG2", "reinstalled", "T2"),
    ]


def test_an_org_wide_uninstall_stops_the_whole_organisation_and_a_reinstall_resumes(
    oauth_bot: Installed, teams: SlackTeams, engine: Engine
) -> None:
    oauth_bot.install("E1", "UI1", org_install=True)
    oauth_bot.install("T1", "UA1")
    org, acme = oauth_bot.customer_of("E1"), oauth_bot.customer_of("T1")
    subscribe(oauth_bot, org)
    teams.uninstall("E1")
    answer = oauth_bot.sender("T4", org_install=True).event({"type": "app_uninstalled"})
    assert answer.status == 200, answer
    wait_until(lambda: not oauth_bot.workspaces.settings_for(org).installed)
    assert oauth_bot.workspaces.client_for(org) is None
    assert rows(engine, "SELECT id FROM slack_bots WHERE enterprise_id = 'E1'") == []
    assert rows(engine, "SELECT key FROM subscriptions WHERE customer_id = :c", c=org) == [
        ("chrome",)
    ]
    assert oauth_bot.workspaces.settings_for(acme).installed
    assert oauth_bot.workspaces.client_for(acme) is not None

    assert oauth_bot.install("E1", "UI1", org_install=True).status == 200
    assert oauth_bot.customer_of("E1") == org
    client = oauth_bot.workspaces.client_for(org)
    assert client is not None and client.auth_test()["enterprise_id"] == "E1"
    assert mentioned(ask(oauth_bot, "T3", "UI1", "admins", org_install=True)) == {"UI1"}
    assert [a[1] for a in audit_actions(engine) if a[2] == "E1"] == [
        "installed",
        "uninstalled",
        "reinstalled",
    ]


def test_only_user_tokens_revoked_keeps_the_workspace_installed(
    oauth_bot: Installed, engine: Engine
) -> None:
    oauth_bot.install("T2", "UG1")
    globex = oauth_bot.customer_of("T2")
    event = {"type": "tokens_revoked", "tokens": {"oauth": ["UG1"], "bot": []}}
    assert oauth_bot.sender("T2").event(event).status == 200
    time.sleep(0.3)
    assert oauth_bot.workspaces.settings_for(globex).installed
    assert oauth_bot.workspaces.client_for(globex) is not None
    assert [a[1] for a in audit_actions(engine)] == ["installed"]


# ---- token rotation ----------------------------------------------------------------------


@pytest.fixture
def rotating(engine: Engine) -> Iterator[Installed]:
    seed_catalogue(engine)
    with stand_in(rotation=True, expires_in=3600) as found, installed_bot(found, engine) as bot:
        yield bot


def refreshes(teams: SlackTeams) -> list[Any]:
    return [call for call in oauth_calls(teams) if call.args.get("grant_type") == "refresh_token"]


def test_rotating_tokens_are_refreshed_and_the_bot_keeps_working(
    rotating: Installed, engine: Engine
) -> None:
    teams = rotating.teams
    assert rotating.install("T1", "UA1").status == 200
    (first,) = teams.tokens_of("T1")
    assert first.startswith("xoxe.xoxb-")
    assert bot_tokens(engine, "T1") == [first]
    refresh_tokens = rows(engine, "SELECT bot_refresh_token FROM slack_bots")
    assert refresh_tokens[0][0].startswith("xoxe-1-")

    installed = len(teams.team("T1").calls)
    assert mentioned(ask(rotating, "T1", "UA1", "admins")) == {"UA1"}
    assert len(refreshes(teams)) >= 1
    for call in refreshes(teams):
        assert call.headers["authorization"] == f"Basic {CLIENT_ID}:***"
        assert call.args["refresh_token"] == "***"
    stored = bot_tokens(engine, "T1")[-1]
    assert stored != first
    assert stored == teams.tokens_of("T1")[-1]
    # the command was answered with the new token, not the first
    answered = teams.team("T1").calls[installed:]
    assert answered
    assert {call.headers["authorization"] for call in answered} == {f"Bearer {stored}"}

    teams.expire(first)
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=first, base_url=teams.api_url).auth_test()
    assert refused.value.response["error"] == "token_expired"
    assert mentioned(ask(rotating, "T1", "UA1", "admins")) == {"UA1"}

    before = len(refreshes(teams))
    client = rotating.workspaces.client_for(rotating.customer_of("T1"))
    assert client is not None
    assert len(refreshes(teams)) == before + 1
    assert client.token == teams.tokens_of("T1")[-1] == bot_tokens(engine, "T1")[-1]
    assert client.auth_test()["team_id"] == "T1"


# ---- set-up from Slack -------------------------------------------------------------------


def test_channels_and_admins_set_from_slack_change_only_that_workspace(
    oauth_bot: Installed, engine: Engine
) -> None:
    oauth_bot.install("T1", "UA1")
    oauth_bot.install("T2", "UG1")
    acme, globex = oauth_bot.customer_of("T1"), oauth_bot.customer_of("T2")
    assert "<@UA1>" in ask(oauth_bot, "T1", "UA1", "channels")  # the installer's DM until set

    answer = ask(oauth_bot, "T1", "UA1", "channels <#CACMEBILL|billing> <#CACMEAPPR|approvals> fr")
    assert "<#CACMEBILL>" in answer and "<#CACMEAPPR>" in answer and "français" in answer
    answer = ask(oauth_bot, "T1", "UA1", "admins add <@UA2|alan>")
    assert mentioned(answer) == {"UA1", "UA2"}
    ask(oauth_bot, "T1", "UA1", "admins add <@UA3> super")
    stranger = ask(oauth_bot, "T1", "UA1", "admins add <@UG2> super")  # Globex's, not Acme's
    assert "<@UG2> is not a member of this workspace." in stranger

    mine = oauth_bot.workspaces.settings_for(acme)
    assert (mine.billing_channel, mine.approvals_channel, mine.channel_language) == (
        "CACMEBILL",
        "CACMEAPPR",
        "fr",
    )
    assert (mine.super_admins, mine.admins) == (("UA1", "UA3"), ("UA2",))
    theirs = oauth_bot.workspaces.settings_for(globex)
    assert (theirs.billing_channel, theirs.approvals_channel, theirs.channel_language) == (
        "UG1",
        "UG1",
        "en",
    )
    assert (theirs.super_admins, theirs.admins) == (("UG1",), ())
    globex_channels = ask(oauth_bot, "T2", "UG1", "channels")
    assert "<#CACMEBILL>" not in globex_channels and "<@UG1>" in globex_channels
    assert mentioned(ask(oauth_bot, "T2", "UG1", "admins")) == {"UG1"}

    # someone who is no super-admin changes nothing
    refused = ask(oauth_bot, "T2", "UG2", "channels <#CEVIL|evil>")
    assert "Nothing was changed" in refused
    assert oauth_bot.workspaces.settings_for(globex).billing_channel == "UG1"

    assert [a for a in audit_actions(engine) if a[1].endswith("_set")] == [
        ("slack:UA1", "channels_set", "workspace"),
        ("slack:UA1", "admins_set", "workspace"),
        ("slack:UA1", "admins_set", "workspace"),
    ]
    audited = rows(
        engine, "SELECT customer_id FROM audit_log WHERE action LIKE '%_set' ORDER BY id"
    )
    assert {row[0] for row in audited} == {acme}
