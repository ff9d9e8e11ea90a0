"""POST /stripe/webhook: the processor's notifications, verified before anything reads them.

The signature is checked over the raw bytes with the official library (5-minute tolerance)
before the body is parsed; a forged, stale or malformed request is a 400 with one log line
(its size and why, never its body). A verified event is applied once (services.
processor_events); a card lookup that finds the processor unreachable is a 503, so Stripe
sends the event again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from billing.gateway import GatewayUnavailable
from bot.gate import BODY_LIMIT
from payments.stripe_webhooks import BadSignature, CardLookup, parse_event
from services.processor_events import ProcessorEvents

log = logging.getLogger(__name__)
PATH = "/stripe/webhook"
TOLERANCE = 300


def _answer(start_response: Callable[..., Any], status: str, text: str) -> Iterable[bytes]:
    body = (text + "\n").encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def stripe_webhook(
    events: ProcessorEvents,
    secret: str,
    cards: CardLookup | None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Callable[..., Iterable[bytes]]:
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", "POST only")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= BODY_LIMIT:
            log.warning("POST %s refused: bad length (%s)", PATH, environ.get("CONTENT_LENGTH"))
            return _answer(start_response, "400 Bad Request", "bad length")
        body = environ["wsgi.input"].read(length)
        signature = environ.get("HTTP_STRIPE_SIGNATURE", "")
        try:
            event = parse_event(body, signature, secret, TOLERANCE, cards=cards)
        except BadSignature:  # its message may quote the payload: only what and how much
            log.warning("POST %s refused: invalid signature (%d bytes)", PATH, len(body))
            return _answer(start_response, "400 Bad Request", "invalid signature")
        except GatewayUnavailable:
            log.warning("stripe webhook: the processor could not be reached; Stripe resends")
            return _answer(start_response, "503 Service Unavailable", "try again")
        if event is None:
            return _answer(start_response, "200 OK", "ignored")
        outcome = events.apply(event, clock())
        log.info("stripe event %s (%s): %s", event.id, event.kind.value, outcome.value)
        return _answer(start_response, "200 OK", outcome.value)

    return wsgi
