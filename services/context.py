"""What every entry point needs: the services, the clock, and who is asking for which customer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from billing.actors import Actor
from billing.store import Reader
from services.approvals import Approvals
from services.billing import Billing
from services.card_entry import CardEntry
from services.people import Directory, Person, Role
from services.workspaces import Workspaces


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Asker:
    """Who sent a request, their role, and the customer they act for."""

    person: Person
    role: Role
    customer_id: int
    team_id: str

    @property
    def lang(self) -> str:
        return self.person.language

    @property
    def actor(self) -> Actor:
        return Actor.slack(self.person.id)


@dataclass
class Services:
    billing: Billing
    approvals: Approvals
    workspaces: Workspaces
    directory: Directory
    reader: Reader
    clock: Callable[[], datetime] = system_clock
    card_entry: CardEntry | None = None
    """Links to the processor's hosted card page; None where no gateway is wired."""
    prices_by_operator: bool = False
    """OAuth mode: the catalogue is the operator's (`licensebot catalogue`), not a customer's."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Services:
        """Shared, not copied: Bolt deep-copies a request's context for its lazy listeners,
        and the services (engines, caches, locks) are the process's, whoever runs."""
        return self

    def asker(self, team_id: str, user_id: str, team_domain: str | None = None) -> Asker:
        person = self.directory.person(user_id)
        settings = self.workspaces.settings
        domain = settings.domain or (
            person.email.split("@")[-1]
            if "@" in person.email
            else f"{team_domain or team_id.lower()}.slack"
        )
        customer = self.workspaces.customer_id(team_id, domain.lower(), self.clock())
        if customer is None:  # the domain is another workspace's: nobody here may act on it
            return Asker(person, Role.NONE, 0, team_id)
        return Asker(person, self.directory.role(person), customer, team_id)
