"""What the sandbox's pretend Slack holds: people, channels, messages, modals, App Home."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

BILLING = "CBILLING"
APPROVALS = "CAPPROVALS"
CHANNELS = {BILLING: "billing", APPROVALS: "approvals"}


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    locale: str
    tz: str
    is_admin: bool = False
    role: str = ""


PEOPLE = (
    Person(
        "USANDADA",
        "Ada (super-admin)",
        "ada@acme.example",
        "en-US",
        "America/New_York",
        role="super-admin",
    ),
    Person(
        "USANDGRACE",
        "Grace (admin)",
        "grace@acme.example",
        "en-US",
        "America/Los_Angeles",
        is_admin=True,
        role="admin",
    ),
    Person(
        "USANDMARIE",
        "Marie (super-admin, français)",
        "marie@acme.example",
        "fr-FR",
        "Europe/Paris",
        role="super-admin",
    ),
    Person(
        "USANDBOB",
        "Bob (listed super-admin, @gmail.com)",
        "bob@gmail.com",
        "en-US",
        "America/Chicago",
        role="gmail",
    ),
    Person(
        "USANDJOE",
        "Joe (not an admin)",
        "joe@acme.example",
        "en-US",
        "America/Los_Angeles",
        role="member",
    ),
)
SUPER_ADMINS = tuple(p.id for p in PEOPLE if p.role in ("super-admin", "gmail"))


@dataclass
class Message:
    ts: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    ephemeral_for: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class OpenView:
    id: str
    view: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


class Workspace:
    """Thread-safe: the bot calls in from its threads while the browser polls."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.people = {p.id: p for p in PEOPLE}
        self.messages: list[Message] = []
        self.modals: dict[str, list[OpenView]] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, str] = {}
        self.responses: dict[str, tuple[str, str]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.version = 0
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    def changed(self) -> None:
        self.version += 1

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def new_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def trigger(self, user: str) -> str:
        with self.lock:
            trigger = self.new_id("trig")
            self.triggers[trigger] = user
            return trigger

    def response_url_for(self, base: str, user: str, channel: str) -> str:
        with self.lock:
            name = self.new_id("resp")
            self.responses[name] = (user, channel)
            return f"{base}/response/{name}"

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        user: str = "bot",
        ephemeral_for: str | None = None,
    ) -> Message:
        with self.lock:
            message = Message(self.new_ts(), channel, user, text, blocks or [], ephemeral_for)
            self.messages.append(message)
            self.changed()
            return message

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        with self.lock:
            for message in self.messages:
                if message.channel == channel and message.ts == ts:
                    message.text, message.blocks = text, blocks or []
                    self.changed()
                    return True
            return False

    def open_modal(self, user: str, view: dict[str, Any], push: bool = False) -> OpenView:
        with self.lock:
            opened = OpenView(self.new_id("V"), {**view, "id": None})
            opened.view["id"] = opened.id
            stack = self.modals.setdefault(user, [])
            if not push:
                stack.clear()
            stack.append(opened)
            self.changed()
            return opened

    def replace_modal(self, view_id: str, view: dict[str, Any]) -> OpenView | None:
        with self.lock:
            for stack in self.modals.values():
                for opened in stack:
                    if opened.id == view_id:
                        opened.view = {**view, "id": view_id}
                        opened.errors = {}
                        self.changed()
                        return opened
            return None

    def close_modal(self, user: str) -> None:
        with self.lock:
            stack = self.modals.get(user, [])
            if stack:
                stack.pop()
            self.changed()

    def conversation(self, user: str, channel: str) -> list[Message]:
        with self.lock:
            return [
                m for m in self.messages if m.channel == channel and m.ephemeral_for in (None, user)
            ]
