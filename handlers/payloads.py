"""Slack payloads parsed into models before anything else happens."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from billing import card_data

MAX_TEXT = 500
"""No `/license` command needs more; longer text is refused, not truncated."""


class SlashCommand(BaseModel):
    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    team_id: str = Field(min_length=1, max_length=20)
    team_domain: str | None = None
    user_id: str = Field(min_length=1, max_length=20)
    channel_id: str | None = None
    text: str = ""
    trigger_id: str = Field(min_length=1)
    response_url: str | None = None

    @field_validator("text")
    @classmethod
    def _length(cls, value: str) -> str:
        if len(value) > MAX_TEXT:
            raise ValueError("too_long")
        if card_data.refused(value) is not None:
            raise ValueError("card_data")  # answered before: see handlers.commands
        return value.strip()

    @property
    def words(self) -> list[str]:
        return self.text.split()


class User(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str


class Team(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    domain: str | None = None


class Interaction(BaseModel):
    """The common part of block_actions and view_submission payloads."""

    model_config = ConfigDict(extra="ignore")

    user: User
    team: Team | None = None
    trigger_id: str | None = None
    response_url: str | None = None

    @property
    def team_id(self) -> str:
        return self.team.id if self.team else ""


class EventBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    user: str | None = None


class Event(BaseModel):
    """An Events API callback, as far as who it is about."""

    model_config = ConfigDict(extra="ignore")

    team_id: str = ""
    event: EventBody


def parse(model: type[BaseModel], body: dict[str, Any]) -> Any:
    """The model, or None when the payload is not what Slack sends."""
    try:
        return model.model_validate(body)
    except ValidationError:
        return None


class Seen:
    """Deliveries seen lately, by the id Slack gives each one (a trigger id, an event id).

    Slack redelivers a request whose answer it thinks was late, marked X-Slack-Retry-Num; the
    first delivery was acknowledged and is being answered, so the same id seen again is
    dropped. A first delivery that never arrived is not lost: its redelivery is then the first
    seen. Kept in memory: form submissions and approvals are made idempotent in the database.
    """

    def __init__(self, ttl: float = 600.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        """True the first time `key` is seen within the last `ttl` seconds."""
        now = time.monotonic()
        with self._lock:
            while self._seen and (
                len(self._seen) >= self.size or next(iter(self._seen.values())) < now - self.ttl
            ):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True
