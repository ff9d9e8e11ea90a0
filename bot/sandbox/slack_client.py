"""Requests to the bot shaped and signed exactly as Slack sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from typing import Any
from urllib.parse import urlencode

TEAM = {"id": "TSANDBOX", "domain": "sandbox"}
APP_ID = "ASANDBOX"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class BotClient:
    def __init__(self, events_url: str, secret: str) -> None:
        self.events_url = events_url
        self.secret = secret
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _post(self, body: bytes, content_type: str) -> tuple[int, Any]:
        timestamp = int(time.time())
        request = urllib.request.Request(
            self.events_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(timestamp),
                "X-Slack-Signature": sign(self.secret, timestamp, body),
            },
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                text = response.read().decode() or "{}"
                status = response.status
        except urllib.error.HTTPError as error:
            return error.code, {}
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {}

    def command(
        self, user: str, name: str, channel: str, text: str, trigger_id: str, response_url: str
    ) -> int:
        form = {
            "token": "sandbox",
            "team_id": TEAM["id"],
            "team_domain": TEAM["domain"],
            "channel_id": channel,
            "channel_name": channel.lower(),
            "user_id": user,
            "user_name": name,
            "command": "/license",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        return self._post(urlencode(form).encode(), "application/x-www-form-urlencoded")[0]

    def interaction(self, payload: dict[str, Any]) -> tuple[int, Any]:
        base = {
            "token": "sandbox",
            "team": TEAM,
            "api_app_id": APP_ID,
            "is_enterprise_install": False,
        }
        body = urlencode({"payload": json.dumps({**base, **payload})}).encode()
        return self._post(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any]) -> int:
        body = {
            "token": "sandbox",
            "team_id": TEAM["id"],
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event": event,
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM["id"], "user_id": "USANDBOT", "is_bot": True}],
        }
        return self._post(json.dumps(body).encode(), "application/json")[0]
