"""Tenancy in OAuth mode: an installation of the bot is one customer (SPEC "Many
workspaces" 2), with its own settings and admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from billing.actors import Actor


@dataclass(frozen=True)
class Installed:
    """An installation as Slack names it: a workspace, or an Enterprise Grid org installed
    org-wide (then `team_id` is None)."""

    team_id: str | None
    enterprise_id: str | None
    org_install: bool
    name: str
    installer: str

    @property
    def key(self) -> str:
        """What the customer is found by: the org's id for an org-wide install, else the
        workspace's (Slack's ids never collide: E… and T…)."""
        key = self.enterprise_id if self.org_install else self.team_id
        assert key, "an installation names its workspace or its org"
        return key


@dataclass(frozen=True)
class WorkspaceRecord:
    customer_id: int
    installed: Installed
    uninstalled_at: datetime | None
    billing_channel: str | None
    approvals_channel: str | None
    channel_language: str
    super_admins: tuple[str, ...]
    admins: tuple[str, ...]


class Installations(Protocol):
    """Where installations are kept (storage.workspaces), each write with its audit row."""

    def customer_of(self, key: str) -> int | None: ...

    def record(self, customer_id: int) -> WorkspaceRecord | None: ...

    def install(
        self, installed: Installed, domain: str, first_super_admin: str, at: datetime
    ) -> tuple[int, bool]: ...

    def uninstall(self, key: str, why: str, at: datetime) -> int | None: ...

    def set_channels(
        self,
        customer_id: int,
        billing: str | None,
        approvals: str | None,
        language: str,
        actor: Actor,
        at: datetime,
    ) -> None: ...

    def set_admins(
        self,
        customer_id: int,
        super_admins: tuple[str, ...],
        admins: tuple[str, ...],
        actor: Actor,
        at: datetime,
    ) -> None: ...
