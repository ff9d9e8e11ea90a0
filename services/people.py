"""Who is asking: a Slack user's e-mail, language, time zone and role, read with users.info
and cached briefly (a few minutes) so a burst of clicks costs one API call."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CONSUMER_DOMAINS = ("@gmail.com", "@googlemail.com")


def language_of(locale: str | None) -> str:
    """A Slack locale such as fr-FR or en-GB to one of our languages (English by default)."""
    return "fr" if (locale or "").lower().startswith("fr") else "en"


class Role(IntEnum):
    NONE = 0
    ADMIN = 1
    """May look at everything and request changes."""
    SUPER_ADMIN = 2
    """May buy, cancel, transfer, change renewal, pay, and decide requests."""


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    language: str
    tz: str | None
    workspace_admin: bool
    member: bool = True
    """False when Slack did not answer for this user in the asking workspace (not one of
    its members, or another workspace's id)."""

    @property
    def consumer_account(self) -> bool:
        return self.email.lower().endswith(CONSUMER_DOMAINS)


class Directory:
    def __init__(
        self,
        client: WebClient,
        super_admins: tuple[str, ...],
        admins: tuple[str, ...] = (),
        ttl: float = 300.0,
    ) -> None:
        self.client = client
        self.super_admins = frozenset(super_admins)
        self.admins = frozenset(admins)
        self.ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, Person]] = {}
        self._lock = threading.Lock()

    def person(self, user_id: str, client: WebClient | None = None, workspace: str = "") -> Person:
        """`client`: the installation's, asked in OAuth mode (the bot's own by default);
        `workspace`: the installation, so that what is cached is never another's."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get((workspace, user_id))
        if cached and cached[0] > now:
            return cached[1]
        person = self._fetch(user_id, client or self.client)
        with self._lock:
            self._cache[(workspace, user_id)] = (now + self.ttl, person)
        return person

    def _fetch(self, user_id: str, client: WebClient) -> Person:
        try:
            user: dict[str, Any] = client.users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError:
            return Person(user_id, "", "en", None, False, member=False)
        profile = user.get("profile") or {}
        return Person(
            id=user_id,
            email=str(profile.get("email") or ""),
            language=language_of(user.get("locale")),
            tz=user.get("tz"),
            workspace_admin=bool(user.get("is_admin") or user.get("is_owner")),
        )

    def by_email(self, email: str) -> str | None:
        """The workspace member with this e-mail address, if any (an e-mail of a member
        names that member: SPEC "Licence seats" 1)."""
        try:
            user: dict[str, Any] = self.client.users_lookupByEmail(email=email)["user"]
        except SlackApiError:
            return None
        return None if user.get("deleted") else str(user.get("id") or "") or None

    def role(
        self,
        person: Person,
        super_admins: tuple[str, ...] | None = None,
        admins: tuple[str, ...] | None = None,
    ) -> Role:
        """Super-admins are listed ids on a non-consumer account; admins are workspace admins,
        listed admins, and listed super-admins whose account is a consumer one. The lists are
        the installation's in OAuth mode, the environment's by default."""
        supers = self.super_admins if super_admins is None else frozenset(super_admins)
        listed = self.admins if admins is None else frozenset(admins)
        if person.id in supers:
            return Role.ADMIN if person.consumer_account or not person.email else Role.SUPER_ADMIN
        if person.id in listed or person.workspace_admin:
            return Role.ADMIN
        return Role.NONE
