"""What every listener finds in Bolt's `context`: the services, and who is asking.

A global middleware puts them there before any listener runs, so a listener is a plain
module-level function that reads `context` instead of a closure over the app's services,
and no listener repeats the asker lookup. Both users.info and the workspace's customer are
cached, so the lookup costs the ack a dictionary read once a person has been seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.answers import BUSY, AnswerPool
from handlers.payloads import Event, Interaction, Seen, SlashCommand, parse
from services.context import Asker, Services
from views.i18n import t

COMMAND = "/license"
WIRING = "licensebot"
ASKER = "licensebot_asker"
RECEIVED = "licensebot_received"
SHED = "licensebot_shed"


@dataclass
class Wiring:
    services: Services
    answers: AnswerPool
    """The threads of the answers after the acks."""
    seen: Seen = field(default_factory=Seen)
    """Slack deliveries already being answered (by trigger or event id)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Wiring:
        """Shared, not copied, by the copy of the context Bolt makes for a lazy listener."""
        return self


def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """The answer Slack waits for, first and at once; the work follows in a lazy listener,
    unless the bot is too far behind to give it in time: a command is then told so at once."""
    if context.get(SHED) and "command" in body:
        asker = asker_of(context)
        ack(text=t(asker.lang if asker else "en", BUSY), response_type="ephemeral")
        return
    ack()


def middleware(wiring: Wiring) -> Callable[..., None]:
    def resolve(context: BoltContext, body: dict[str, Any], next: Callable[[], None]) -> None:
        context[WIRING] = wiring
        context[RECEIVED] = time.monotonic()
        context[SHED] = wiring.answers.overloaded()
        context[ASKER] = asking(wiring.services, body, context)
        next()

    return resolve


SERVED = frozenset({"block_actions", "view_submission"})
"""The interactions the bot answers; other requests have no asker to find (and finding one
would make the workspace's customer on first contact)."""


def asking(
    services: Services, body: dict[str, Any], context: BoltContext | None = None
) -> Asker | None:
    """Who sent this request, or None when it is not one the bot answers, as Slack sends it.
    In OAuth mode the customer is the installation's Bolt authorised the request with (its
    token in `context.client`), whatever else the payload says."""
    found = _installation(services, context)
    if found is None:
        return None
    installation, client = found
    if "command" in body:
        command: SlashCommand | None = parse(SlashCommand, body)
        if command is None or body.get("command") != COMMAND:
            return None
        return services.asker(
            command.team_id,
            command.user_id,
            command.team_domain,
            installation=installation,
            client=client,
        )
    if body.get("type") == "event_callback":
        event: Event | None = parse(Event, body)
        if event is None or not event.event.user or event.event.type != "app_home_opened":
            return None
        return services.asker(
            event.team_id, event.event.user, installation=installation, client=client
        )
    interaction: Interaction | None = parse(Interaction, body)
    if interaction is None or body.get("type") not in SERVED:
        return None
    return services.asker(
        interaction.team_id, interaction.user.id, installation=installation, client=client
    )


def event_asker(services: Services, context: BoltContext, user_id: str) -> Asker | None:
    """Who `user_id` is for the installation an event was delivered to: its workspace and
    customer, never those the event's own `team_id` names (in a channel shared with another
    workspace, that one's). None when the event came with no installation Bolt knows."""
    found = _installation(services, context)
    if found is None or not context.team_id:
        return None
    installation, client = found
    return services.asker(context.team_id, user_id, installation=installation, client=client)


def _installation(
    services: Services, context: BoltContext | None
) -> tuple[str | None, WebClient | None] | None:
    """(installation key, its client) in OAuth mode; (None, None) in single-workspace mode;
    None when an OAuth request came with no installation Bolt knows."""
    if not services.workspaces.oauth:
        return None, None
    if context is None:
        return None
    key = context.enterprise_id if context.is_enterprise_install else context.team_id
    if not key or context.client is None or context.authorize_result is None:
        return None
    return key, context.client


def wiring_of(context: BoltContext) -> Wiring:
    found = context[WIRING]
    assert isinstance(found, Wiring)
    return found


def services_of(context: BoltContext) -> Services:
    return wiring_of(context).services


def asker_of(context: BoltContext) -> Asker | None:
    found = context.get(ASKER)
    return found if isinstance(found, Asker) else None
