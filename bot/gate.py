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
import threading
import time
from collections import deque
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


SHED_AFTER = 2.0
"""Seconds a request may have taken to reach the bot before it is too late to answer: Slack
waits 3 s for the ack, and a modal's trigger id lives as long."""
BUSY = (
    "licensebot is very busy right now: please try again in a moment. / "
    "licensebot est très occupé en ce moment : réessayez dans un instant."
)


class Lateness:
    """How long requests take to reach the bot, read from Slack's own signed timestamp. The
    two clocks differ, and the timestamp has a one-second resolution, so the smallest delay
    seen over the last `window` seconds counts as none (a minimum kept over a sliding
    window: a few operations per request)."""

    def __init__(self, window: float = 600.0) -> None:
        self.window = window
        self._least: deque[tuple[float, float]] = deque()
        self._lock = threading.Lock()

    def of(self, timestamp: int, now: float) -> float:
        offset = now - timestamp
        with self._lock:
            while self._least and self._least[-1][1] >= offset:
                self._least.pop()
            self._least.append((now, offset))
            while self._least[0][0] < now - self.window:
                self._least.popleft()
            return offset - self._least[0][1]


def gate(app: WSGI, signing_secret: str) -> WSGI:
    verifier = SignatureVerifier(signing_secret)
    lateness = Lateness()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", ""))[:10]
        path = str(environ.get("PATH_INFO", ""))[:80]
        size = _length(environ)
        try:
            body = _signed_body(environ, verifier, size)
            late = lateness.of(int(environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"]), time.time())
            kind = _check_shape(environ, body)
        except Refused as refused:
            log.info("refused %s %s: %s (%d bytes)", method, path, refused.reason, size)
            return _answer(start_response, refused.status)
        except Dropped as dropped:
            log.info("dropped %s %s: %s (%d bytes)", method, path, dropped, size)
            return _answer(start_response, "200 OK")
        if late > SHED_AFTER and kind != "view_submission":  # a form's data is never dropped
            log.info("shed %s %s: %.0f s late (%d bytes)", method, path, late, size)
            return _busy(start_response, kind)
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


def _check_shape(environ: dict[str, Any], body: bytes) -> str:
    """What the request is: "command", an interaction's type, or an event's."""
    kind = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    text = body.decode("utf-8")
    if kind == JSON:
        return _check_event(_json_object(text, "the body"))
    if kind == FORM:
        return _check_form(text)
    raise Refused("415 Unsupported Media Type", "not a form or JSON")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        raise Refused("400 Bad Request", f"{what} is not JSON") from None
    if not isinstance(found, dict):
        raise Refused("400 Bad Request", f"{what} is not a JSON object")
    return found


def _check_form(text: str) -> str:
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        raise Refused("400 Bad Request", "not a form") from None
    if "payload" in fields:
        return _check_interaction(_json_object(fields["payload"][-1], "the payload"))
    form = {name: values[-1] for name, values in fields.items()}
    if not all(form.get(name) for name in ("command", "team_id", "user_id")):
        raise Dropped("a form that is neither a command nor an interaction")
    _check_url(form.get("response_url"), "the response_url")
    return "command"


OBJECTS = ("team", "user", "channel", "enterprise", "container", "message", "item", "view", "event")
"""Parts of a payload that Slack always sends as objects (or not at all), and that Bolt reads
as such before any listener runs."""
URL_LIMIT = 2000


def _check_interaction(payload: dict[str, Any]) -> str:
    kind = payload.get("type")
    if kind not in INTERACTIONS:
        raise Dropped("an interaction of no known type")
    _objects(payload, "an interaction")
    if not isinstance(payload.get("user"), dict) or not _is_text(payload["user"].get("id")):
        raise Dropped("an interaction without its user")
    _list_of_objects(payload, "authorizations")
    _check_url(payload.get("response_url"), "the response_url")
    for url in _list_of_objects(payload, "response_urls"):
        _check_url(url.get("response_url"), "a response_url")
    if kind == "block_actions":
        actions = _list_of_objects(payload, "actions")
        if not actions or not all(_is_text(a.get("action_id")) for a in actions):
            raise Dropped("block actions without their actions")
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict) or not all(_is_text(view.get(p)) for p in ("id", "type")):
            raise Dropped("a view without its id or type")
        if not isinstance(view.get("callback_id"), str):  # "" when the app set none
            raise Dropped("a view without its callback id")
        if not isinstance(view.get("state") or {}, dict):
            raise Dropped("a view whose state is not an object")
        if not isinstance(view.get("private_metadata") or "", str):
            raise Dropped("a view whose metadata is not text")
    if kind in ("shortcut", "message_action") and not _is_text(payload.get("callback_id")):
        raise Dropped("a shortcut without its callback id")
    if kind == "block_suggestion" and not _is_text(payload.get("action_id")):
        raise Dropped("a suggestion without its action id")
    return str(kind)


def _check_event(body: dict[str, Any]) -> str:
    if body.get("type") not in EVENTS:
        raise Dropped("a JSON body of no known type")
    _objects(body, "a JSON body")
    if body["type"] == "url_verification" and not isinstance(body.get("challenge"), str):
        raise Dropped("a URL verification without its challenge")
    if body["type"] == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not _is_text(event.get("type")):
            raise Dropped("an event without its type")
        _list_of_objects(body, "authorizations")
        for part in ("team_id", "event_id", "enterprise_id"):
            if body.get(part) is not None and not isinstance(body[part], str):
                raise Dropped(f"an event whose {part} is not text")
        for part in ("user", "channel", "team", "user_team", "item", "message"):
            if event.get(part) is not None and not isinstance(event[part], str | dict):
                raise Dropped(f"an event whose {part} is neither text nor an object")
    return str(body["type"])


def _objects(payload: dict[str, Any], what: str) -> None:
    for part in OBJECTS:
        if payload.get(part) is not None and not isinstance(payload[part], dict):
            raise Dropped(f"{what} whose {part} is not an object")
    if "event" in payload and not isinstance(payload["event"], dict):  # Slack omits it, or
        raise Dropped(f"{what} whose event is not an object")  # sends one: never null


def _list_of_objects(payload: dict[str, Any], part: str) -> list[dict[str, Any]]:
    found = payload.get(part)
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise Dropped(f"{part} that is not a list of objects")
    return found


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _check_url(value: Any, what: str) -> None:
    """Where an answer would be posted: an http(s) address, or none."""
    if value is None or value == "":
        return
    fine = (
        isinstance(value, str)
        and len(value) <= URL_LIMIT
        and value.startswith(("https://", "http://"))
        and value.isascii()
        and not any(ch.isspace() or ord(ch) < 32 for ch in value)
    )
    if not fine:
        raise Dropped(f"{what} is not a web address")


SHED_HEADER = ("X-Licensebot-Shed", "late")
"""Says a request was acknowledged without being acted on: for operators and benchmarks."""


def _busy(start_response: Callable[..., Any], kind: str) -> Iterable[bytes]:
    """A command is told, in its ack (which Slack shows); anything else is acknowledged."""
    body = b""
    if kind == "command":
        body = json.dumps({"response_type": "ephemeral", "text": BUSY}).encode()
    kind_header = ("Content-Type", "application/json" if body else "text/plain")
    start_response("200 OK", [kind_header, ("Content-Length", str(len(body))), SHED_HEADER])
    return [body]


def _answer(start_response: Callable[..., Any], status: str) -> Iterable[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return [b""]
