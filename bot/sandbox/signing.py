"""Send the bot's HTTP endpoint requests shaped and signed exactly like Slack's.

Slack signs each request over the raw body bytes, in X-Slack-Signature and
X-Slack-Request-Timestamp; Bolt rejects a bad signature or a timestamp more than five minutes
off with 401. The signature is slack-sdk's own, so it cannot drift from what Bolt checks.
Slash commands arrive as a form post, interactions as a form post whose ``payload`` field is
JSON, events as a JSON body. The sandbox's page, the tests and the benchmarks all send with
this; the form-value helpers below build a modal's ``state`` as Slack sends it.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.sandbox.identities import Team

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
# Loopback port 9 (discard) refuses at once: a response_url made up without a stand-in
# can never reach the internet.
UNREACHABLE = "http://127.0.0.1:9"

# No proxies: a local request must never leave the machine, whatever the environment says.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Delivery(TypedDict, total=False):
    """Optional keyword arguments of every sending method."""

    timestamp: int | None  # signing time in epoch seconds; old values make stale requests
    secret: str | None  # sign with this secret instead (a wrong one, say)
    retry_num: int | None  # X-Slack-Retry-Num, as on Slack's redeliveries of events
    retry_reason: str | None  # X-Slack-Retry-Reason, e.g. "http_timeout"


@dataclass(frozen=True)
class SlackResponse:
    """What the bot answered. Header names are lower-cased; ``json`` is None for non-JSON."""

    status: int
    headers: dict[str, str]
    body: str
    json: Any | None
    elapsed: float


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """Slack's v0 request signature of the exact body bytes."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    assert signature is not None  # None only without a timestamp
    return signature


def signed_headers(body: bytes, content_type: str, secret: str, timestamp: int) -> dict[str, str]:
    """The headers Slack sends with ``body``: its type, the time and the signature."""
    return {
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(body, timestamp, secret),
    }


def state(values: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """A view's ``state``: {block_id: {action_id: element value}}."""
    return {"values": values}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": text}


def number(text: str) -> dict[str, Any]:
    """Slack sends number inputs as strings, as typed."""
    return {"type": "number_input", "value": text}


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": _option(value)}


def checkboxes(*values: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [_option(v) for v in values]}


def radio(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": _option(value)}


class SlackSender:
    """Posts Slack-shaped, signed requests to one endpoint (e.g. http://127.0.0.1:PORT/slack/events)."""

    def __init__(
        self,
        endpoint_url: str,
        signing_secret: str,
        *,
        team: Team | None = None,
        response_url_factory: Callable[[], str] | None = None,
        org_install: bool = False,
    ) -> None:
        """``team``: the workspace the requests come from (and whose app and bot they name);
        ``org_install``: the app is installed org-wide in the team's Enterprise Grid
        organisation, as Slack then says in every payload."""
        self.endpoint_url = endpoint_url
        self.signing_secret = signing_secret
        self.team = team or Team()
        self.org_install = org_install and self.team.enterprise_id is not None
        self.response_url_factory = response_url_factory
        self.token = "verification-token"  # legacy field Slack still sends; Bolt ignores it
        self._serial = itertools.count(1)

    # -- slash commands and interactions -----------------------------------------------------

    def command(
        self,
        user_id: str,
        text: str,
        *,
        command: str = "/license",
        channel_id: str = "C1",
        channel_name: str = "general",
        user_name: str | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
        **send: Unpack[Delivery],
    ) -> SlackResponse:
        fields = {
            "token": self.token,
            "team_id": self.team.id,
            "team_domain": self.team.domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.team.app_id,
            **self._grid_fields(),
            "response_url": response_url or self._response_url("commands"),
            "trigger_id": trigger_id or self._trigger_id(),
        }
        return self._send(urlencode(fields).encode(), "application/x-www-form-urlencoded", send)

    def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str = "b1",
        action_type: str = "button",
        selected_option: str | dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        channel_id: str = "C1",
        channel_name: str = "general",
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
        user_name: str | None = None,
        **send: Unpack[Delivery],
    ) -> SlackResponse:
        """A click in a message (default), or in a modal or Home tab when ``view`` is given.

        A message action without ``message`` is one on an ephemeral message: Slack then sends
        the channel and a response_url but no message, and marks the container ephemeral.
        """
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": action_type,
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        if selected_option is not None:
            if isinstance(selected_option, str):
                selected_option = _option(selected_option)
            action["selected_option"] = selected_option
            if action_type == "button":
                action["type"] = "static_select"
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id, user_name),
            "api_app_id": self.team.app_id,
            "token": self.token,
            "container": container,
            "trigger_id": trigger_id or self._trigger_id(),
            "team": {"id": self.team.id, "domain": self.team.domain},
            **self._grid(),
        }
        if view is not None:
            payload["view"] = self._view(view)
            payload["container"] = container or {"type": "view", "view_id": payload["view"]["id"]}
        else:
            if message is not None:
                message = {"type": "message", "ts": f"{time.time():.6f}", **message}
                payload["message"] = message
            payload["channel"] = {"id": channel_id, "name": channel_name}
            payload["container"] = container or {
                "type": "message",
                "message_ts": message["ts"] if message else f"{time.time():.6f}",
                "channel_id": channel_id,
                "is_ephemeral": message is None,
            }
            payload["response_url"] = response_url or self._response_url("actions")
        payload["actions"] = [action]
        return self._interaction(payload, send)

    def view_submission(
        self,
        user_id: str,
        view: dict[str, Any],
        *,
        trigger_id: str | None = None,
        user_name: str | None = None,
        **send: Unpack[Delivery],
    ) -> SlackResponse:
        payload = {
            "type": "view_submission",
            "team": {"id": self.team.id, "domain": self.team.domain},
            "user": self._user(user_id, user_name),
            "api_app_id": self.team.app_id,
            "token": self.token,
            "trigger_id": trigger_id or self._trigger_id(),
            "view": self._view(view),
            "response_urls": [],
            **self._grid(),
        }
        return self._interaction(payload, send)

    # -- Events API --------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        team_id: str | None = None,
        **send: Unpack[Delivery],
    ) -> SlackResponse:
        """An ``event_callback`` wrapping ``event`` (a dict with at least "type").
        ``team_id``: the workspace where it happened when it is not the one the app is
        authorised in (a channel shared with another workspace); the authorisation stays
        this sender's team."""
        body = {
            "token": self.token,
            "team_id": team_id or self.team.id,
            **({"enterprise_id": self.team.enterprise_id} if self.team.enterprise_id else {}),
            "api_app_id": self.team.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._serial):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": self.team.enterprise_id,
                    "team_id": None if self.org_install else self.team.id,
                    "user_id": self.team.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": self.org_install,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return self._send(json.dumps(body).encode(), "application/json", send)

    def url_verification(self, challenge: str, **send: Unpack[Delivery]) -> SlackResponse:
        body = {"token": self.token, "challenge": challenge, "type": "url_verification"}
        return self._send(json.dumps(body).encode(), "application/json", send)

    # -- transport ---------------------------------------------------------------------------

    def raw(self, body: bytes, headers: dict[str, str]) -> SlackResponse:
        """POST ``body`` with exactly ``headers``: no signing (for unsigned or forged requests)."""
        request = urllib.request.Request(
            self.endpoint_url, data=body, headers=headers, method="POST"
        )
        started = time.monotonic()
        try:
            with _opener.open(request, timeout=10) as response:
                status, reply_headers, data = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:  # 4xx/5xx still carry an answer we want to see
            status, reply_headers, data = error.code, error.headers, error.read()
        elapsed = time.monotonic() - started
        text = data.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        headers_out = {name.lower(): value for name, value in reply_headers.items()}
        return SlackResponse(status, headers_out, text, parsed, elapsed)

    def _send(self, body: bytes, content_type: str, send: Delivery) -> SlackResponse:
        timestamp = send.get("timestamp")
        timestamp = int(time.time()) if timestamp is None else timestamp
        secret = send.get("secret")
        secret = self.signing_secret if secret is None else secret
        headers = signed_headers(body, content_type, secret, timestamp)
        if send.get("retry_num") is not None:
            headers["X-Slack-Retry-Num"] = str(send["retry_num"])
        if send.get("retry_reason") is not None:
            headers["X-Slack-Retry-Reason"] = str(send["retry_reason"])
        return self.raw(body, headers)

    def _grid_fields(self) -> dict[str, str]:
        """A slash command's form fields about Enterprise Grid."""
        fields = {"is_enterprise_install": "true" if self.org_install else "false"}
        if self.team.enterprise_id:
            fields.update(enterprise_id=self.team.enterprise_id, enterprise_name="Grid")
        return fields

    def _grid(self) -> dict[str, Any]:
        """An interaction's fields about Enterprise Grid."""
        enterprise = self.team.enterprise_id
        return {
            "enterprise": {"id": enterprise, "name": "Grid"} if enterprise else None,
            "is_enterprise_install": self.org_install,
        }

    def _interaction(self, payload: dict[str, Any], send: Delivery) -> SlackResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._send(body, "application/x-www-form-urlencoded", send)

    def _user(self, user_id: str, user_name: str | None) -> dict[str, Any]:
        name = user_name or user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.team.id}

    def _view(self, view: dict[str, Any]) -> dict[str, Any]:
        """The view as Slack echoes it back: the given dict plus the fields Slack always adds."""
        defaults: dict[str, Any] = {
            "id": "V1",
            "team_id": self.team.id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "previous_view_id": None,
            "external_id": "",
            "app_id": self.team.app_id,
            "bot_id": self.team.bot_id,
        }
        filled = {**defaults, **view}
        filled.setdefault("root_view_id", filled["id"])
        return filled

    def _trigger_id(self) -> str:
        return f"{next(self._serial)}.{int(time.time())}.{secrets.token_hex(16)}"

    def _response_url(self, kind: str) -> str:
        if self.response_url_factory is not None:
            return self.response_url_factory()
        return f"{UNREACHABLE}/{kind}/{self.team.id}/{next(self._serial)}/{secrets.token_hex(12)}"
