"""What every Slack handler needs: the services, and who is asking for which customer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from billing.service import Billing
from bot.config import Settings
from bot.people import Directory, Person, Role
from storage.approvals import Approvals
from storage.store import SqlStore
from storage.workspace import Workspaces


def system_clock() -> datetime:
    return datetime.now(UTC)


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
