"""The sandbox's browser side: the page, its polling state, and what a click becomes.

Every action in the page turns into the request Slack would send (a slash command, a
block action, a view submission, an App Home event), signed and posted to the bot.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from billing.calendar import PACIFIC, day_start, pacific_day
from bot.sandbox.signing import SlackResponse, SlackSender
from bot.sandbox.slack_api import SlackApi
from bot.sandbox.workspace import Message, dm

STATIC = Path(__file__).with_name("static")


class SandboxWeb:
    def __init__(
        self,
        slack: SlackApi,
        clock: Callable[[], datetime],
        after: Callable[[], None],
        move_clock: Callable[[datetime], None],
    ) -> None:
        self.slack = slack
        self.workspace = slack.workspace
        self.sender: SlackSender | None = None
        """Set once the bot serves: it needs the pretend Slack running first (it calls it at
        start-up), so it cannot be here from the start."""
        self.clock = clock
        self.after = after
        self.move_clock = move_clock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET" and path in ("/", "/index.html"):
            return self._file(start_response, STATIC / "index.html")
        if method == "GET" and path.startswith("/static/"):
            return self._file(start_response, STATIC / Path(path).name)
        if method == "GET" and path == "/ui/state":
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            return self._json(
                start_response, self.state(query.get("user", ""), query.get("channel", ""))
            )
        if method == "POST" and path.startswith("/ui/"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            handler = getattr(self, "do_" + path.removeprefix("/ui/"), None)
            if handler is None:
                return self._json(
                    start_response, {"ok": False, "error": "unknown"}, "404 Not Found"
                )
            answer = handler(body)
            self.after()
            return self._json(start_response, answer)
        return self._json(start_response, {"ok": False, "error": "not found"}, "404 Not Found")

    # ---- reading -------------------------------------------------------------------
    def state(self, user: str, channel: str) -> dict[str, Any]:
        ws = self.workspace
        now = self.clock()
        with ws.lock:
            modal = ws.top_modal(user)
            return {
                "version": ws.version,
                "clock": {
                    "utc": now.isoformat(),
                    "pacific": now.astimezone(PACIFIC).strftime("%a %d %b %Y %H:%M PT"),
                },
                "people": [asdict(p) for p in ws.people.values()],
                "channels": [{"id": cid, "name": name} for cid, name in ws.channels.items()],
                "messages": [_shown(m) for m in ws.conversation(user, channel)],
                "modal": {
                    "id": modal.id,
                    "view": modal.view,
                    "errors": modal.errors,
                    "state": modal.state,
                }
                if modal
                else None,
                "home": ws.home(user),
            }

    # ---- acting --------------------------------------------------------------------
    def _sender(self) -> SlackSender:
        if self.sender is None:
            raise RuntimeError("the bot is not running yet")
        return self.sender

    def _name(self, user: str) -> str:
        person = self.workspace.person(user)
        return person.name if person else user

    def _channel_name(self, channel: str) -> str:
        return self.workspace.channels.get(channel, "directmessage")

    def do_command(self, body: dict[str, Any]) -> dict[str, Any]:
        user, channel, text = body["user"], body["channel"], str(body.get("text", "")).strip()
        if not text.startswith("/license"):
            self.workspace.post(channel, text, [], user=user)
            return {"ok": True}
        answer = self._sender().command(
            user,
            self.workspace.escaped(text.removeprefix("/license").strip()),
            channel_id=channel,
            channel_name=self._channel_name(channel),
            user_name=self._name(user),
            trigger_id=self.slack.issue_trigger(user),
            response_url=self.slack.response_url(user=user, channel=channel),
        )
        return {"ok": answer.status == 200, "status": answer.status}

    def do_action(self, body: dict[str, Any]) -> dict[str, Any]:
        """A button in a modal or the App Home (``view_id``), or in a message."""
        user = body["user"]
        click: dict[str, Any] = {
            "value": body.get("value"),
            "block_id": body.get("block_id") or "",
            "action_type": body.get("type") or "button",
            "selected_option": body.get("selected"),
            "trigger_id": self.slack.issue_trigger(user),
            "user_name": self._name(user),
        }
        if body.get("view_id"):
            answer = self._click_in_view(user, body["action_id"], body["view_id"], click)
        else:
            answer = self._click_in_message(
                user, body["action_id"], body.get("channel") or "", body.get("message_ts"), click
            )
        return {"ok": answer.status == 200}

    def _click_in_view(
        self, user: str, action_id: str, view_id: str, click: dict[str, Any]
    ) -> SlackResponse:
        opened = self.workspace.modal(user, view_id)
        view = opened.view if opened else self.workspace.home(user) or {}
        container = {"type": "view", "view_id": view.get("id", view_id)}
        return self._sender().block_action(user, action_id, view=view, container=container, **click)

    def _click_in_message(
        self, user: str, action_id: str, channel: str, ts: str | None, click: dict[str, Any]
    ) -> SlackResponse:
        """Slack sends the message clicked in, unless it is ephemeral: then only where it was."""
        found = self.workspace.message(channel, ts) if ts else None
        shared = found if found is not None and found.ephemeral_for is None else None
        return self._sender().block_action(
            user,
            action_id,
            message={"ts": shared.ts, "text": shared.text, "blocks": shared.blocks}
            if shared
            else None,
            channel_id=channel,
            channel_name=self._channel_name(channel),
            container={
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": shared is None,
            },
            response_url=self.slack.response_url(user=user, channel=channel),
            **click,
        )

    def do_submit(self, body: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        user, view_id = body["user"], body["view_id"]
        opened = ws.modal(user, view_id)
        if opened is None:
            return {"ok": False, "error": "no such view"}
        view = {
            **opened.view,
            "state": {"values": body.get("values", {})},
            "hash": f"h{ws.version}",
        }
        answer = self._sender().view_submission(
            user, view, trigger_id=self.slack.issue_trigger(user), user_name=self._name(user)
        )
        acked = answer.json if isinstance(answer.json, dict) else None
        ws.submitted(user, view_id, acked, values=view["state"]["values"])
        return {"ok": answer.status == 200, "response_action": (acked or {}).get("response_action")}

    def do_close(self, body: dict[str, Any]) -> dict[str, Any]:
        self.workspace.close_modal(body["user"])
        return {"ok": True}

    def do_home(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._sender().event(
            {
                "type": "app_home_opened",
                "user": body["user"],
                "channel": dm(body["user"]),
                "tab": "home",
                "event_ts": f"{datetime.now().timestamp():.6f}",
            }
        )
        return {"ok": answer.status == 200}

    def do_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()
        target = str(body.get("to", "day"))
        today = pacific_day(now)
        if target == "day":
            moment = day_start(today + timedelta(days=1))
        elif target == "first":
            first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
            moment = day_start(first)
        elif target == "hours":
            moment = now + timedelta(hours=int(body.get("hours", 4)))
        else:
            try:
                moment = day_start(date.fromisoformat(target))
            except ValueError:
                return {"ok": False, "error": "write the date as YYYY-MM-DD"}
        if moment <= now:
            return {"ok": False, "error": "the clock only moves forward"}
        self.move_clock(moment + timedelta(minutes=1))
        return {"ok": True, "clock": self.clock().isoformat()}

    # ---- plumbing ------------------------------------------------------------------
    def _json(
        self, start_response: Callable[..., Any], data: Any, status: str = "200 OK"
    ) -> Iterable[bytes]:
        body = json.dumps(data, default=str).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]

    def _file(self, start_response: Callable[..., Any], path: Path) -> Iterable[bytes]:
        if not path.is_file():
            return self._json(start_response, {"error": "not found"}, "404 Not Found")
        data = path.read_bytes()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        start_response(
            "200 OK",
            [
                (
                    "Content-Type",
                    f"{kind}; charset=utf-8"
                    if kind.startswith("text") or kind.endswith("javascript")
                    else kind,
                ),
                ("Content-Length", str(len(data))),
            ],
        )
        return [data]


def _shown(message: Message) -> dict[str, Any]:
    """A message as the page draws it; its files link to the stand-in's downloads."""
    return {
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
        "ephemeral": message.ephemeral_for is not None,
        "files": [
            {
                "id": f.id,
                "title": f.title or f.name,
                "name": f.name,
                "url": f"/files/{f.id}/{quote(f.name)}",
            }
            for f in message.files
        ],
        "user": message.user,
    }
