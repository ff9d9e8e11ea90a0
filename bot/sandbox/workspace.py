"""What a pretend Slack workspace holds: people, channels, messages, modal stacks, App Home
views, files, and the trigger ids and response_urls it handed out.

Thread-safe: the bot calls in from its threads while a browser polls the sandbox's page.
"""

from __future__ import annotations

import itertools
import mimetypes
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.identities import Person

BOT = "bot"
"""The author of the messages the bot posts."""


MENTION = re.compile(r"(?<![\w<|:])@([A-Za-z0-9._-]{1,80})")
EMAIL = re.compile(r"(?<![\w<|:])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def dm(user: str) -> str:
    """The id of the bot's direct-message channel with ``user``."""
    return f"D{user}"


@dataclass
class File:
    id: str
    name: str
    title: str = ""
    content: bytes = b""

    @property
    def mimetype(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


@dataclass
class Message:
    ts: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    ephemeral_for: str | None = None
    files: list[File] = field(default_factory=list)


@dataclass
class OpenView:
    """A view Slack shows: ``owner`` is whose modal stack it is in (None when its trigger id
    was not issued here, so nobody's), ``errors`` the field errors of its last submission,
    ``state`` what its inputs held when last submitted ({block_id: {action_id: element
    value}}, as in a submission's ``view.state.values``): Slack keeps what was typed in a
    view through an answer of errors, a view pushed over it, and an update that keeps the
    input (same block id)."""

    id: str
    view: dict[str, Any]
    owner: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)


def _input_ids(view: dict[str, Any]) -> set[str]:
    blocks = view.get("blocks")
    return {
        str(block["block_id"])
        for block in (blocks if isinstance(blocks, list) else [])
        if isinstance(block, dict) and block.get("type") == "input" and "block_id" in block
    }


@dataclass(frozen=True)
class Trigger:
    """A trigger id being used: ``user`` is who it was issued to, None if not issued here."""

    id: str
    user: str | None


@dataclass(frozen=True)
class Origin:
    """Where a request came from: its response_url's posts land in ``channel``, ephemeral
    for ``user`` unless posted in_channel."""

    user: str
    channel: str


class Workspace:
    def __init__(
        self, people: Iterable[Person] = (), channels: Mapping[str, str] | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.people = {person.id: person for person in people}
        self.channels = dict(channels or {})
        self.messages: list[Message] = []
        self.modals: dict[str, list[OpenView]] = {}
        self.views: dict[str, OpenView] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self.files: dict[str, File] = {}
        self.version = 0
        self._issued_triggers: dict[str, str] = {}
        self._used_triggers: set[str] = set()
        self._response_urls: dict[str, Origin | None] = {}
        self._ids = itertools.count(1)
        self._ts_base = int(time.time())

    # ---- ids -----------------------------------------------------------------------------

    def changed(self) -> None:
        """Something a page would show changed: pollers compare versions."""
        with self.lock:
            self.version += 1

    def new_id(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}{next(self._ids):06d}"

    def new_ts(self) -> str:
        """Message timestamps increase, as Slack's do."""
        with self.lock:
            return f"{self._ts_base + next(self._ids)}.000100"

    def issue_trigger(self, user: str) -> str:
        with self.lock:
            trigger_id = f"{next(self._ids)}.{int(time.time())}.trigger"
            self._issued_triggers[trigger_id] = user
            return trigger_id

    def use_trigger(self, trigger_id: str) -> Trigger | None:
        """Take a trigger id; None if it was used before (Slack's expire on first use)."""
        with self.lock:
            if trigger_id in self._used_triggers:
                return None
            self._used_triggers.add(trigger_id)
            return Trigger(trigger_id, self._issued_triggers.pop(trigger_id, None))

    def issue_response_url(self, name: str, origin: Origin | None) -> None:
        with self.lock:
            self._response_urls[name] = origin

    def response_url_issued(self, name: str) -> bool:
        with self.lock:
            return name in self._response_urls

    def origin_of(self, name: str) -> Origin | None:
        with self.lock:
            return self._response_urls.get(name)

    # ---- people and messages -------------------------------------------------------------

    def add_person(self, person: Person) -> None:
        with self.lock:
            self.people[person.id] = person
            self.changed()

    def escaped(self, text: str) -> str:
        """A command's text as Slack sends it with `should_escape` on: &, < and > escaped,
        @name of a member as `<@U…|name>`, an e-mail address as `<mailto:…|…>`."""
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        with self.lock:
            by_name = {
                name: person
                for person in self.people.values()
                for name in (person.email.split("@")[0].lower(), person.name.lower())
            }

        def mention(found: re.Match[str]) -> str:
            person = by_name.get(found.group(1).lower())
            handle = person.email.split("@")[0] if person else ""  # Slack's handle: no spaces
            return f"<@{person.id}|{handle}>" if person else found.group(0)

        text = EMAIL.sub(lambda m: f"<mailto:{m.group(0)}|{m.group(0)}>", text)
        return MENTION.sub(mention, text)

    def person(self, user_id: str) -> Person | None:
        with self.lock:
            return self.people.get(user_id)

    def knows_channel(self, channel: str) -> bool:
        return channel in self.channels or channel.startswith("D")

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        user: str = BOT,
        ephemeral_for: str | None = None,
        files: list[File] | None = None,
    ) -> Message:
        with self.lock:
            message = Message(
                self.new_ts(), channel, user, text, blocks or [], ephemeral_for, files or []
            )
            self.messages.append(message)
            self.changed()
            return message

    def message(self, channel: str | None, ts: str) -> Message | None:
        with self.lock:
            for message in self.messages:
                if message.ts == ts and channel in (None, message.channel):
                    return message
            return None

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        with self.lock:
            message = self.message(channel, ts)
            if message is None:
                return False
            message.text, message.blocks = text, blocks or []
            self.changed()
            return True

    def conversation(self, user: str, channel: str) -> list[Message]:
        """What ``user`` sees in ``channel``: everyone's messages and their own ephemeral ones."""
        with self.lock:
            return [
                m for m in self.messages if m.channel == channel and m.ephemeral_for in (None, user)
            ]

    # ---- views ---------------------------------------------------------------------------

    def open_modal(
        self, owner: str | None, view: dict[str, Any], *, push: bool = False
    ) -> OpenView:
        """views.open replaces the owner's stack, views.push adds to it. Every view gets an
        id of its own; a pushed one names the stack's first view and the one under it, as
        Slack's ``root_view_id`` and ``previous_view_id``."""
        with self.lock:
            view_id = self.new_id("V")
            stack = self.modals.setdefault(owner, []) if owner is not None else []
            under = stack[-1].id if push and stack else None
            root = stack[0].id if push and stack else view_id
            shown = {**view, "id": view_id, "root_view_id": root, "previous_view_id": under}
            opened = OpenView(view_id, shown, owner)
            self.views[opened.id] = opened
            if owner is not None:
                if not push:
                    stack.clear()
                stack.append(opened)
            self.changed()
            return opened

    def replace_view(self, view_id: str, view: dict[str, Any], *, adopt: bool) -> OpenView | None:
        """views.update: the view keeps its id. An id not opened here is None, unless
        ``adopt``, when it is taken as one Slack opened elsewhere."""
        with self.lock:
            opened = self.views.get(view_id)
            if opened is None and not adopt:
                return None
            if opened is None:
                opened = self.views[view_id] = OpenView(view_id, {})
            kept: dict[str, Any] = {
                k: opened.view[k] for k in ("root_view_id", "previous_view_id") if k in opened.view
            }
            opened.view, opened.errors = {**view, **kept, "id": view_id}, {}
            still = _input_ids(opened.view)
            opened.state = {k: v for k, v in opened.state.items() if k in still}
            self.changed()
            return opened

    def top_modal(self, user: str) -> OpenView | None:
        with self.lock:
            stack = self.modals.get(user)
            return stack[-1] if stack else None

    def modal(self, user: str, view_id: str) -> OpenView | None:
        with self.lock:
            return next((v for v in self.modals.get(user, []) if v.id == view_id), None)

    def close_modal(self, user: str) -> None:
        """The close button: a pushed view returns to the one under it, as that was left;
        a view with ``clear_on_close`` ends the whole modal."""
        with self.lock:
            stack = self.modals.get(user, [])
            if stack and stack[-1].view.get("clear_on_close") is True:
                stack.clear()
            elif stack:
                stack.pop()
            self.changed()

    def submitted(
        self,
        user: str,
        view_id: str,
        answer: dict[str, Any] | None,
        values: dict[str, Any] | None = None,
    ) -> None:
        """What Slack does with a modal once the app answered its submission of ``values``
        (the view's ``state.values``), which the view keeps unless the answer closes it."""
        action = (answer or {}).get("response_action")
        with self.lock:
            opened = self.modal(user, view_id)
            if opened is not None:  # a new submission's errors are its answer's, if any
                opened.errors = {}
            if opened is not None and values is not None:
                opened.state = dict(values)
            if answer and action == "errors" and opened is not None:
                opened.errors = dict(answer.get("errors") or {})
            elif answer and action == "update":
                self.replace_view(view_id, answer.get("view") or {}, adopt=False)
            elif answer and action == "push":
                self.open_modal(user, answer.get("view") or {}, push=True)
            elif action == "clear":
                self.modals[user] = []
            elif opened is not None:  # an empty answer closes the view submitted, only it
                self.modals[user].remove(opened)
            self.changed()

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        with self.lock:
            self.homes[user] = view
            self.changed()

    def home(self, user: str) -> dict[str, Any] | None:
        with self.lock:
            return self.homes.get(user)

    # ---- files ---------------------------------------------------------------------------

    def new_file(self, name: str) -> File:
        with self.lock:
            file = File(self.new_id("F"), name)
            self.files[file.id] = file
            return file

    def file(self, file_id: str) -> File | None:
        with self.lock:
            return self.files.get(file_id)
