"""What every entry point needs: the services, the clock, and who is asking for which customer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient

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

    def asker(
        self,
        team_id: str,
        user_id: str,
        team_domain: str | None = None,
        *,
        installation: str | None = None,
        client: WebClient | None = None,
    ) -> Asker:
        """`installation`: in OAuth mode, the key of the installation the request came with
        (the org's for an org-wide install), and `client` carrying its token."""
        key = installation or team_id
        person = self.directory.person(user_id, client, team_id)
        domain = self.workspaces.settings.domain or (
            person.email.split("@")[-1]
            if "@" in person.email
            else f"{team_domain or team_id.lower()}.slack"
        )
        customer = self.workspaces.customer_id(key, domain.lower(), self.clock())
        if customer is None:  # not installed, or in single-workspace mode another's domain
            return Asker(person, Role.NONE, 0, team_id)
        settings = self.workspaces.settings_for(customer)
        role = self.directory.role(person, settings.super_admins, settings.admins)
        return Asker(person, role, customer, team_id)
