"""The real licensebot in OAuth mode, served over HTTP, installed in workspaces of the
multi-workspace Slack stand-in through Bolt's own install flow (/slack/install, Slack's
authorize page played by the stand-in, /slack/oauth_redirect, oauth.v2.access)."""

from __future__ import annotations

import itertools
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from typing import Any

from sqlalchemy import Engine

from billing.calendar import PACIFIC
from bot.config import Settings
from bot.sandbox.identities import Person, Team
from bot.sandbox.slack_teams import SlackTeams
from handlers.answers import AnswerPool
from services.context import Services
from services.workspaces import InstalledWorkspaces
from storage.store import SqlStore
from tests.slack.bot import PUBLIC_URL, SECRET, Clock, RecordingSender, serving

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"

ACME = Team("T1", "acme", "Acme", bot_user_id="UBOTA", bot_id="BBOTA")
GLOBEX = Team("T2", "globex", "Globex", bot_user_id="UBOTG", bot_id="BBOTG")
GRID_EAST = Team("T3", "initech-east", "Initech East", bot_user_id="UBOTI", bot_id="BBOTI")
GRID_WEST = Team("T4", "initech-west", "Initech West", bot_user_id="UBOTI", bot_id="BBOTI")
GRID = "E1"

ACME_PEOPLE = (
    Person("UA1", "ada@acme.example", "ada", is_owner=True),
    Person("UA2", "alan@acme.example", "alan"),
    Person("UA3", "katherine@acme.example", "katherine"),
)
GLOBEX_PEOPLE = (
    Person("UG1", "hank@globex.example", "hank", is_owner=True),
    Person("UG2", "lisa@globex.example", "lisa"),
)
ACME_CHANNELS = {"CACMEBILL": "billing", "CACMEAPPR": "approvals", "C1": "general"}
GRID_PEOPLE = (Person("UI1", "bill@initech.example", "bill", is_owner=True),)


def stand_in(*, rotation: bool = False, expires_in: int = 43200) -> SlackTeams:
    """Acme and Globex, two workspaces, and Initech, a Grid organisation of two."""
    teams = SlackTeams(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, rotation=rotation, expires_in=expires_in
    )
    teams.add_team(ACME, ACME_PEOPLE, channels=ACME_CHANNELS)
    teams.add_team(GLOBEX, GLOBEX_PEOPLE, channels={"CGLOBEX": "billing"})
    teams.add_team(GRID_EAST, GRID_PEOPLE, channels={"CEAST": "billing"}, enterprise=GRID)
    teams.add_team(GRID_WEST, GRID_PEOPLE, channels={"CWEST": "billing"}, enterprise=GRID)
    return teams


def oauth_settings(teams: SlackTeams, **overrides: Any) -> Settings:
    values = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": teams.api_url,
        "LICENSEBOT_PUBLIC_URL": PUBLIC_URL,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Page:
    status: int
    text: str
    headers: dict[str, str]


def get(url: str, cookie: str = "") -> Page:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Page(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Page(error.code, error.read().decode(), dict(error.headers))


def install_through(
    base: str, teams: SlackTeams, target: str, installer: str, *, org_install: bool = False
) -> Page:
    """``installer`` installs the bot served at ``base`` in ``target`` (a workspace, or a Grid
    organisation org-wide) the way a browser does it: the install page, Slack's authorize
    page, the redirect back with the code and the state cookie."""
    page = get(f"{base}/slack/install")
    assert page.status == 200, page
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', page.text)
    assert link is not None, page.text
    cookie = page.headers["Set-Cookie"].split(";")[0]
    code, state = teams.authorize(unescape(link[1]), target, installer, org_install=org_install)
    return get(f"{base}/slack/oauth_redirect?code={code}&state={state}", cookie)


@dataclass
class Installed:
    """The bot in OAuth mode and the stand-in it is installed through."""

    teams: SlackTeams
    services: Services
    store: SqlStore
    clock: Clock
    base: str
    pool: AnswerPool
    """Where the answers after the acks run."""
    senders: dict[str, RecordingSender] = field(default_factory=dict)

    @property
    def workspaces(self) -> InstalledWorkspaces:
        found = self.services.workspaces
        assert isinstance(found, InstalledWorkspaces)
        return found

    def install(self, target: str, installer: str, *, org_install: bool = False) -> Page:
        return install_through(self.base, self.teams, target, installer, org_install=org_install)

    def sender(self, team_id: str, *, org_install: bool = False) -> RecordingSender:
        """Requests from workspace ``team_id``, their response_urls its own."""
        if team_id not in self.senders:
            api = self.teams.team(team_id)
            names = (f"{team_id}r{n}" for n in itertools.count(1))
            self.senders[team_id] = RecordingSender(
                f"{self.base}/slack/events",
                SECRET,
                team=api.team,
                response_url_factory=lambda: api.response_url(next(names)),
                org_install=org_install,
            )
        return self.senders[team_id]

    def customer_of(self, key: str) -> int:
        found = self.workspaces.installations.customer_of(key)
        assert found is not None, f"{key} is not installed"
        return found


@contextmanager
def installed_bot(
    teams: SlackTeams, engine: Engine, now: datetime | None = None, **overrides: Any
) -> Iterator[Installed]:
    clock = Clock(now or datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC))
    with serving(oauth_settings(teams, **overrides), engine, clock) as served:
        yield Installed(teams, served.services, served.store, clock, served.url, served.pool)
