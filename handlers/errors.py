"""When something fails inside the bot, the person who asked is told, in their language, that
nothing was changed; the operator gets one log line naming the error, never the request.

`on_error` is the app's error handler (Bolt calls it for middleware and for the part of a
listener that acknowledges); `answered` does the same for the work after the ack, which Bolt
runs as lazy listeners and would otherwise only log.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import BoltContext, BoltResponse

from handlers.answers import BUSY, late
from handlers.wiring import RECEIVED, SHED, asker_of
from views.forms import result
from views.i18n import N_, t

log = logging.getLogger(__name__)
SORRY = N_(
    "Something went wrong on our side and nothing was changed. Please try again in a moment."
)
F = TypeVar("F", bound=Callable[..., None])


def on_error(
    error: Exception,
    body: dict[str, Any],
    context: BoltContext,
    response: BoltResponse | None,
) -> BoltResponse | None:
    log.error("a request failed: %s: %s", type(error).__name__, str(error)[:200])
    lang = _language(context)
    if body.get("type") == "view_submission" and response is not None:
        # over a pushed confirmation, Back returns to the form as it was filled in, to retry
        submitted = body.get("view")
        back = isinstance(submitted, dict) and bool(submitted.get("previous_view_id"))
        view = result(lang, "licensebot", f":warning: {t(lang, SORRY)}", back=back).to_dict()
        answer = json.dumps({"response_action": "update", "view": view})
        return BoltResponse(status=200, body=answer, headers={"content-type": "application/json"})
    tell(context, lang)
    return BoltResponse(status=200, body="") if response is not None else None


def answered(listener: F) -> F:
    """Run a lazy listener so that a failure is told to the person, not only logged; and not
    at all when the bot was too far behind to answer in time (the person is told that)."""

    @functools.wraps(listener)
    def guarded(**kwargs: Any) -> None:
        context: BoltContext = kwargs["context"]
        shed = bool(context.get(SHED))
        if shed or late(context.get(RECEIVED)):
            told = shed and "command" in (kwargs.get("body") or {})  # in the command's ack
            busy(context, already_told=told)
            return
        try:
            listener(**kwargs)
        except Exception as error:
            log.error("an answer failed: %s: %s", type(error).__name__, str(error)[:200])
            tell(context, _language(context))

    return guarded  # type: ignore[return-value]


def busy(context: BoltContext, already_told: bool) -> None:
    """The honest answer of a bot that fell behind, where someone is waiting."""
    if already_told or not context.response_url or context.respond is None:
        return
    try:
        text = f":hourglass: {t(_language(context), BUSY)}"
        context.respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception as error:
        log.warning("could not tell the user the bot is busy: %s", type(error).__name__)


def tell(context: BoltContext, lang: str) -> None:
    """Best effort: the request's response_url when it has one, else a direct message."""
    text = f":warning: {t(lang, SORRY)}"
    try:
        if context.response_url and context.respond is not None:
            context.respond(text=text, response_type="ephemeral", replace_original=False)
        elif context.client is not None and context.user_id:
            context.client.chat_postMessage(channel=context.user_id, text=text)
    except Exception as error:  # Slack itself may be what failed
        log.warning("could not tell the user about a failure: %s", type(error).__name__)


def _language(context: BoltContext) -> str:
    asker = asker_of(context)
    return asker.lang if asker is not None else "en"
