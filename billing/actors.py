"""Who acted: a Slack user, the scheduler, a what-if timeline, or another named system.

Every audit row and every alert carries one, so that "who changed this" and "whom to tell"
are read from a typed value, not parsed out of a string. The stored form is unchanged from
the first release ("slack:U123", "scheduler", "simulate"), so older rows read back as the
same actors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SLACK_PREFIX = "slack:"


class ActorKind(StrEnum):
    SLACK_USER = "slack"
    SCHEDULER = "scheduler"
    TIMELINE = "simulate"
    SYSTEM = "system"
    """Anything else that names itself: the operator's command line, a test, a benchmark."""


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    name: str = ""
    """The Slack user id for a Slack user; the system's own name for a system."""

    @classmethod
    def slack(cls, user_id: str) -> Actor:
        return cls(ActorKind.SLACK_USER, user_id)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(ActorKind.SYSTEM, name)

    @classmethod
    def parse(cls, stored: str) -> Actor:
        """The actor an audit row or an older release's text names."""
        if stored.startswith(SLACK_PREFIX):
            return cls.slack(stored.removeprefix(SLACK_PREFIX))
        if stored == ActorKind.SCHEDULER.value:
            return SCHEDULER
        if stored == ActorKind.TIMELINE.value:
            return TIMELINE
        return cls.system(stored)

    @property
    def slack_user(self) -> str | None:
        """The Slack user to tell directly, if a person in Slack acted."""
        return self.name if self.kind is ActorKind.SLACK_USER else None

    def __str__(self) -> str:
        """The stored form."""
        if self.kind is ActorKind.SLACK_USER:
            return SLACK_PREFIX + self.name
        if self.kind is ActorKind.SYSTEM:
            return self.name
        return self.kind.value


SCHEDULER = Actor(ActorKind.SCHEDULER)
TIMELINE = Actor(ActorKind.TIMELINE)
PROCESSOR = Actor.system("processor")
"""The payment processor's answers, applied by the charge worker or a webhook."""
OPERATOR = Actor.system("operator")
"""Whoever runs the bot: `licensebot catalogue` sets the catalogue, which is no customer's."""
