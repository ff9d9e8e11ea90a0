"""The gate in front of the Bolt app: a request is signed by Slack, recent, and shaped like one
of Slack's before anything parses it.

Order matters. The signature and its timestamp are checked over the raw bytes first, so an
unsigned or stale request costs an HMAC and nothing else; then the body must be UTF-8, of
the type its header says, and a JSON object where JSON is expected. Whatever fails is
refused with a 4xx and one short log line (method, path, reason, size), never the body.
A signed request of a shape the bot has no use for (an unknown payload type, an event
without its fields) is acknowledged with 200 and dropped: Slack sent it, so Slack must not
retry it, and nothing downstream is asked to make sense of it.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)
BODY_LIMIT = 1 << 20
"""Slack's payloads are a few KB; the server refuses more than this before reading it."""
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
INTERACTIONS = frozenset(
    {
        "block_actions",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "block_suggestion",
    }
)
EVENTS = frozenset({"event_callback", "url_verification", "app_rate_limited"})

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Refused(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Dropped(Exception):
    """Signed by Slack, but of no shape the bot answers: acknowledged and left."""


def gate(app: WSGI, signing_secret: str) -> WSGI:
    verifier = SignatureVerifier(signing_secret)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", ""))[:10]
        path = str(environ.get("PATH_INFO", ""))[:80]
        size = _length(environ)
        try:
            body = _signed_body(environ, verifier, size)
            _check_shape(environ, body)
        except Refused as refused:
            log.info("refused %s %s: %s (%d bytes)", method, path, refused.reason, size)
            return _answer(start_response, refused.status)
        except Dropped as dropped:
            log.info("dropped %s %s: %s (%d bytes)", method, path, dropped, size)
            return _answer(start_response, "200 OK")
        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)

    return wsgi


def _length(environ: dict[str, Any]) -> int:
    text = str(environ.get("CONTENT_LENGTH") or "0")
    return int(text) if text.isascii() and text.isdigit() else -1


def _signed_body(environ: dict[str, Any], verifier: SignatureVerifier, size: int) -> bytes:
    if environ.get("REQUEST_METHOD") != "POST":
        raise Refused("405 Method Not Allowed", "not a POST")
    if size < 0:
        raise Refused("411 Length Required", "no valid Content-Length")
    if size > BODY_LIMIT:
        raise Refused("413 Content Too Large", "body too large")
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    if not (timestamp.isascii() and timestamp.isdigit() and 0 < len(timestamp) < 12):
        raise Refused("401 Unauthorized", "no valid timestamp")
    body: bytes = environ["wsgi.input"].read(size) if size else b""
    try:
        text = body.decode("utf-8")  # Slack sends UTF-8, and its signature is over that text
    except UnicodeDecodeError:
        raise Refused("400 Bad Request", "not UTF-8") from None
    if not signature or not verifier.is_valid(text, timestamp, signature):
        raise Refused("401 Unauthorized", "bad or stale signature")
    return body


def _check_shape(environ: dict[str, Any], body: bytes) -> None:
    kind = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    text = body.decode("utf-8")
    if kind == JSON:
        _check_event(_json_object(text, "the body"))
    elif kind == FORM:
        _check_form(text)
    else:
        raise Refused("415 Unsupported Media Type", "not a form or JSON")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        raise Refused("400 Bad Request", f"{what} is not JSON") from None
    if not isinstance(found, dict):
        raise Refused("400 Bad Request", f"{what} is not a JSON object")
    return found


def _check_form(text: str) -> None:
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        raise Refused("400 Bad Request", "not a form") from None
    if "payload" in fields:
        payload = _json_object(fields["payload"][-1], "the payload")
        _check_interaction(payload)
    elif not all(_text(fields, name) for name in ("command", "team_id", "user_id")):
        raise Dropped("a form that is neither a command nor an interaction")


def _text(fields: dict[str, list[str]], name: str) -> bool:
    values = fields.get(name) or [""]
    return bool(values[-1])


def _check_interaction(payload: dict[str, Any]) -> None:
    if payload.get("type") not in INTERACTIONS:
        raise Dropped("an interaction of no known type")
    user, team = payload.get("user"), payload.get("team")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise Dropped("an interaction without its user")
    if team is not None and not isinstance(team, dict):
        raise Dropped("an interaction whose team is not an object")
    if payload["type"] == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            raise Dropped("block actions without their actions")
    if payload["type"] in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("id"), str):
            raise Dropped("a view without its id")


def _check_event(body: dict[str, Any]) -> None:
    if body.get("type") not in EVENTS:
        raise Dropped("a JSON body of no known type")
    if body["type"] == "url_verification" and not isinstance(body.get("challenge"), str):
        raise Dropped("a URL verification without its challenge")
    if body["type"] == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Dropped("an event without its type")


def _answer(start_response: Callable[..., Any], status: str) -> Iterable[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return [b""]
