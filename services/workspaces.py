"""The workspace the bot serves: which customer it is, and its settings (who may act, where
alerts and approval requests go, the channels' language)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from billing.model import Product
from billing.store import Reader, Store


@dataclass(frozen=True)
class WorkspaceSettings:
    super_admins: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    billing_channel: str = ""
    approvals_channel: str = ""
    channel_language: str = "en"
    domain: str | None = None
    """The organisation's domain; by default the asker's e-mail domain."""


class Workspaces:
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
        customer = self.store.customer_for_team(team_id, domain, at)
        if customer is None:
            return None
        with self._lock:
            self._customers[team_id] = customer.id
        return customer.id

    def products(self) -> list[Product]:
        return self.reader.products()
