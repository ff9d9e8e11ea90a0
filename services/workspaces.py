"""The workspaces the bot serves: which customer each is, and its settings (who may act,
where alerts and approval requests go, the channels' language).

Single-workspace mode (`Workspaces`) takes them from the environment; OAuth mode
(`InstalledWorkspaces`) keeps one customer per installation, set up from Slack.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

from billing.actors import Actor
from billing.model import Product
from billing.store import Reader, Store
from billing.tenancy import Installations, Installed, WorkspaceRecord


@dataclass(frozen=True)
class WorkspaceSettings:
    super_admins: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    billing_channel: str = ""
    approvals_channel: str = ""
    channel_language: str = "en"
    domain: str | None = None
    """The organisation's domain; by default the asker's e-mail domain."""
    installed: bool = True
    """False while the app is uninstalled from the workspace: nothing is delivered there."""


class Workspaces:
    """One workspace, its settings the environment's."""

    oauth = False

    def __init__(self, store: Store, reader: Reader, settings: WorkspaceSettings) -> None:
        self.store = store
        self.reader = reader
        self.settings = settings
        self._customers: dict[str, int] = {}
        self._lock = threading.Lock()

    def customer_id(self, team_id: str, domain: str, at: datetime) -> int | None:
        """The workspace's customer, created on first use; None when its domain is another
        workspace's. Kept in memory once known: a workspace's customer never changes."""
        with self._lock:
            known = self._customers.get(team_id)
        if known is not None:
            return known
        customer = self._find(team_id, domain, at)
        if customer is None:
            return None
        with self._lock:
            self._customers[team_id] = customer
        return customer

    def _find(self, team_id: str, domain: str, at: datetime) -> int | None:
        customer = self.store.customer_for_team(team_id, domain, at)
        return None if customer is None else customer.id

    def settings_for(self, customer_id: int) -> WorkspaceSettings:
        return self.settings

    def products(self) -> list[Product]:
        return self.reader.products()


ROTATE_MINUTES_BEFORE = 120
"""A rotating token is refreshed when it has less than this left (Bolt's own margin)."""


class InstalledWorkspaces(Workspaces):
    """Every installation is a customer (SPEC "Many workspaces" 2), found by the key of the
    installation a request comes from; none is made by a request, only by an install."""

    oauth = True
    TTL = 10.0
    """Seconds a workspace's settings are kept in memory: another replica's change to them
    is seen within this; this process's own at once."""

    def __init__(
        self,
        store: Store,
        reader: Reader,
        installations: Installations,
        tokens: InstallationStore | None = None,
        rotator: TokenRotator | None = None,
        api_url: str | None = None,
    ) -> None:
        """`tokens`: slack-sdk's store of the installations' tokens, forgotten on uninstall;
        `rotator`: refreshes them before they expire, when the app rotates tokens;
        `api_url`: Slack's Web API (a local stand-in in tests)."""
        super().__init__(store, reader, WorkspaceSettings())
        self.installations = installations
        self.tokens = tokens
        self.rotator = rotator
        self.api_url = api_url
        self._settings: dict[int, tuple[float, WorkspaceSettings]] = {}

    def client_for(self, customer_id: int) -> WebClient | None:
        """A client with the installation's bot token, refreshed first when it is about to
        expire; None while the app is uninstalled there (nothing is to be delivered)."""
        record = self.installations.record(customer_id)
        if record is None or record.uninstalled_at is not None or self.tokens is None:
            return None
        found = record.installed
        bot = self.tokens.find_bot(
            enterprise_id=found.enterprise_id,
            team_id=found.team_id,
            is_enterprise_install=found.org_install,
        )
        if bot is None:
            return None
        if self.rotator is not None and bot.bot_refresh_token:
            refreshed = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE
            )
            if refreshed is not None:
                self.tokens.save_bot(refreshed)
                bot = refreshed
        return WebClient(token=bot.bot_token, base_url=self.api_url or WebClient.BASE_URL)

    def _find(self, team_id: str, domain: str, at: datetime) -> int | None:
        return self.installations.customer_of(team_id)

    def settings_for(self, customer_id: int) -> WorkspaceSettings:
        now = time.monotonic()
        with self._lock:
            cached = self._settings.get(customer_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        record = self.installations.record(customer_id)
        found = WorkspaceSettings() if record is None else _settings(record)
        with self._lock:
            self._settings[customer_id] = (now + self.TTL, found)
        return found

    def record(self, customer_id: int) -> WorkspaceRecord | None:
        return self.installations.record(customer_id)

    def install(
        self, installed: Installed, domain: str, first_super_admin: str, at: datetime
    ) -> int:
        customer, _first = self.installations.install(installed, domain, first_super_admin, at)
        self._forget(customer)
        return customer

    def uninstall(
        self, enterprise_id: str | None, team_id: str | None, org: bool, why: str, at: datetime
    ) -> int | None:
        """Delivery stops and the tokens are forgotten; the books stay, billing goes on."""
        key = enterprise_id if org else team_id
        if not key:
            return None
        customer = self.installations.uninstall(key, why, at)
        if self.tokens is not None:
            team = None if org else team_id
            self.tokens.delete_bot(enterprise_id=enterprise_id, team_id=team)
            self.tokens.delete_installation(enterprise_id=enterprise_id, team_id=team)
        if customer is not None:
            self._forget(customer)
        return customer

    def set_channels(
        self,
        customer_id: int,
        billing: str | None,
        approvals: str | None,
        language: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        self.installations.set_channels(customer_id, billing, approvals, language, actor, at)
        self._forget(customer_id)

    def set_admins(
        self,
        customer_id: int,
        super_admins: tuple[str, ...],
        admins: tuple[str, ...],
        actor: Actor,
        at: datetime,
    ) -> None:
        self.installations.set_admins(customer_id, super_admins, admins, actor, at)
        self._forget(customer_id)

    def _forget(self, customer_id: int) -> None:
        with self._lock:
            self._settings.pop(customer_id, None)


def _settings(record: WorkspaceRecord) -> WorkspaceSettings:
    """Until channels are set from Slack, alerts and requests go to the installer's DM."""
    installer = record.installed.installer
    billing = record.billing_channel or installer
    return WorkspaceSettings(
        super_admins=record.super_admins,
        admins=record.admins,
        billing_channel=billing,
        approvals_channel=record.approvals_channel or billing,
        channel_language=record.channel_language,
        installed=record.uninstalled_at is None,
    )
