"""Who is in a pretend Slack workspace: the team with its app and bot, and the people.

The stand-in answers with these (auth.test, users.info) and the signer sends them (team,
app and bot ids in every payload), so both sides of a conversation agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Team:
    """A workspace and the one app installed in it, as Slack names them in payloads."""

    id: str = "T1"
    domain: str = "acme"
    name: str = "Acme"
    app_id: str = "A1"
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    enterprise_id: str | None = None
    """The Enterprise Grid organisation the workspace belongs to, if any."""

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"


@dataclass(frozen=True)
class Person:
    """A member of the workspace; ``name`` defaults to the e-mail's local part."""

    id: str
    email: str
    name: str = ""
    locale: str = "en-US"
    tz: str = "America/Los_Angeles"
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    """The workspace's primary owner (one per workspace, also an owner); users.list says so."""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.email.split("@")[0])

    def as_slack_user(self, team: Team, *, with_locale: bool) -> dict[str, Any]:
        """The ``user`` object of users.info: Slack adds ``locale`` only when asked."""
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": team.id,
            "name": self.name,
            "deleted": False,
            "real_name": self.name,
            "tz": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner or self.is_primary_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_bot": False,
            "profile": {"email": self.email, "real_name": self.name, "display_name": self.name},
        }
        if with_locale:
            user["locale"] = self.locale
        return user
