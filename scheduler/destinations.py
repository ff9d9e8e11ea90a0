"""Where a customer's alerts go: which Slack client (whose token), which channel, which
language. In single-workspace mode every customer has the same route; in OAuth mode each
installation has its own token and settings, and none while it is uninstalled (SPEC "Many
workspaces" 3-4)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError

from services.people import Directory
from services.workspaces import InstalledWorkspaces

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    client: WebClient
    """Posts with the token of the customer's own installation."""
    channel: str
    language: str
    """Of the channel's messages."""
    person_language: Callable[[str], str]
    """A user's own language, for the message sent to them directly."""


class Destinations(Protocol):
    fixed: bool
    """True when every customer has the same route, known without reading anything."""

    def route(self, customer_id: int) -> Route | None:
        """None while the customer's workspace is uninstalled: its alerts wait."""


class OneWorkspace:
    """Single-workspace mode: one token, one channel, for every customer."""

    fixed = True

    def __init__(
        self,
        client: WebClient,
        channel: str,
        language: str,
        person_language: Callable[[str], str] | None = None,
    ) -> None:
        self._route = Route(client, channel, language, person_language or (lambda _: language))

    def route(self, customer_id: int) -> Route:
        return self._route


class Installations:
    """OAuth mode: each customer's installation token (refreshed first when rotating), its
    billing channel (or the installer's DM) and its channel language."""

    fixed = False

    def __init__(self, workspaces: InstalledWorkspaces, directory: Directory) -> None:
        self.workspaces = workspaces
        self.directory = directory

    def route(self, customer_id: int) -> Route | None:
        """None also when the token could not be refreshed: that workspace's alerts wait,
        the others' go on."""
        try:
            client = self.workspaces.client_for(customer_id)
        except SlackTokenRotationError as error:
            log.warning("customer %s: the bot token could not be refreshed: %s", customer_id, error)
            return None
        record = self.workspaces.record(customer_id)
        if client is None or record is None:
            return None
        settings = self.workspaces.settings_for(customer_id)
        key = record.installed.key

        def person_language(user: str) -> str:
            return self.directory.person(user, client=client, workspace=key).language

        return Route(client, settings.billing_channel, settings.channel_language, person_language)


class PerSweep:
    """Routes looked up once per customer within one sweep: a sweep lasts seconds, well
    inside the margin before a rotating token expires, and a new sweep asks again."""

    def __init__(self, destinations: Destinations) -> None:
        self.destinations = destinations
        self._routes: dict[int, Route | None] = {}

    def known(self, customer_id: int) -> bool:
        return self.destinations.fixed or customer_id in self._routes

    def route(self, customer_id: int) -> Route | None:
        if customer_id not in self._routes:
            self._routes[customer_id] = self.destinations.route(customer_id)
        return self._routes[customer_id]
