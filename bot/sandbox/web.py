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

from billing.calendar import PACIFIC, day_start, pacific_day
from bot.sandbox.slack_client import TEAM, BotClient
from bot.sandbox.workspace import CHANNELS, Workspace

STATIC = Path(__file__).with_name("static")


class SandboxWeb:
    def __init__(
        self,
        workspace: Workspace,
        bot: BotClient | None,
        base_url: Callable[[], str],
        clock: Any,
        after: Callable[[], None],
        move_clock: Callable[[datetime], None],
    ) -> None:
        self.workspace = workspace
        self.bot = bot
        self.base_url = base_url
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
        if method == "GET" and path.startswith("/files/"):
            return self._download(start_response, path.split("/")[2])
        if method == "GET" and path == "/ui/state":
            from urllib.parse import parse_qs

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
            stack = ws.modals.get(user, [])
            modal = stack[-1] if stack else None
            return {
                "version": ws.version,
                "clock": {
                    "utc": now.isoformat(),
                    "pacific": now.astimezone(PACIFIC).strftime("%a %d %b %Y %H:%M PT"),
                },
                "people": [asdict(p) for p in ws.people.values()],
                "channels": [{"id": cid, "name": name} for cid, name in CHANNELS.items()],
                "messages": [
                    {
                        "ts": m.ts,
                        "text": m.text,
                        "blocks": m.blocks,
                        "ephemeral": m.ephemeral_for is not None,
                        "files": m.files,
                        "user": m.user,
                    }
                    for m in ws.conversation(user, channel)
                ],
                "modal": {"id": modal.id, "view": modal.view, "errors": modal.errors}
                if modal
                else None,
                "home": ws.homes.get(user),
            }

    # ---- acting --------------------------------------------------------------------
    def _bot(self) -> BotClient:
        """The bot's client, set once the bot serves: it needs this page's server running
        first (it calls the pretend Slack at start-up), so it cannot be here from the start."""
        if self.bot is None:
            raise RuntimeError("the bot is not running yet")
        return self.bot

    def do_command(self, body: dict[str, Any]) -> dict[str, Any]:
        user, channel, text = body["user"], body["channel"], str(body.get("text", "")).strip()
        if not text.startswith("/license"):
            self.workspace.post(channel, text, [], user=user)
            return {"ok": True}
        ws = self.workspace
        person = ws.people[user]
        status = self._bot().command(
            user,
            person.name,
            channel,
            text.removeprefix("/license").strip(),
            ws.trigger(user),
            ws.response_url_for(self.base_url(), user, channel),
        )
        return {"ok": status == 200, "status": status}

    def do_action(self, body: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        user, channel = body["user"], body.get("channel") or ""
        action = {
            "action_id": body["action_id"],
            "block_id": body.get("block_id", ""),
            "type": body.get("type", "button"),
            "action_ts": str(datetime.now().timestamp()),
        }
        if body.get("value") is not None:
            action["value"] = body["value"]
        if body.get("selected") is not None:
            action["selected_option"] = {
                "value": body["selected"],
                "text": {"type": "plain_text", "text": body["selected"]},
            }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": ws.people[user].name, "team_id": TEAM["id"]},
            "trigger_id": ws.trigger(user),
            "actions": [action],
        }
        if body.get("view_id"):
            stack = ws.modals.get(user, [])
            view = next(
                (v.view for v in stack if v.id == body["view_id"]), ws.homes.get(user) or {}
            )
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": body["view_id"]}
        else:
            message = next((m for m in ws.messages if m.ts == body.get("message_ts")), None)
            payload["channel"] = {"id": channel, "name": CHANNELS.get(channel, channel)}
            payload["container"] = {
                "type": "message",
                "message_ts": body.get("message_ts"),
                "channel_id": channel,
                "is_ephemeral": bool(message and message.ephemeral_for),
            }
            if message is not None and message.ephemeral_for is None:
                payload["message"] = {
                    "ts": message.ts,
                    "text": message.text,
                    "blocks": message.blocks,
                }
            payload["response_url"] = ws.response_url_for(self.base_url(), user, channel)
        status, _ = self._bot().interaction(payload)
        return {"ok": status == 200}

    def do_submit(self, body: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        user, view_id = body["user"], body["view_id"]
        stack = ws.modals.get(user, [])
        opened = next((v for v in stack if v.id == view_id), None)
        if opened is None:
            return {"ok": False, "error": "no such view"}
        view = {
            **opened.view,
            "team_id": TEAM["id"],
            "state": {"values": body.get("values", {})},
            "hash": f"h{ws.version}",
        }
        payload = {
            "type": "view_submission",
            "user": {"id": user, "username": ws.people[user].name, "team_id": TEAM["id"]},
            "trigger_id": ws.trigger(user),
            "view": view,
            "response_urls": [],
        }
        status, answer = self._bot().interaction(payload)
        action = (answer or {}).get("response_action")
        with ws.lock:
            if action == "errors":
                opened.errors = answer.get("errors", {})
            elif action == "update":
                ws.replace_modal(view_id, answer.get("view", {}))
            elif action == "push":
                ws.open_modal(user, answer.get("view", {}), push=True)
            elif action == "clear":
                ws.modals[user] = []
            else:
                ws.close_modal(user)
            ws.changed()
        return {"ok": status == 200, "response_action": action}

    def do_close(self, body: dict[str, Any]) -> dict[str, Any]:
        self.workspace.close_modal(body["user"])
        return {"ok": True}

    def do_home(self, body: dict[str, Any]) -> dict[str, Any]:
        status = self._bot().event(
            {
                "type": "app_home_opened",
                "user": body["user"],
                "channel": f"D{body['user']}",
                "tab": "home",
                "event_ts": str(datetime.now().timestamp()),
            }
        )
        return {"ok": status == 200}

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

    def _download(self, start_response: Callable[..., Any], file_id: str) -> Iterable[bytes]:
        stored = self.workspace.files.get(file_id)
        if not stored or "content" not in stored:
            return self._json(start_response, {"error": "not found"}, "404 Not Found")
        name = stored.get("name") or "file"
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        start_response(
            "200 OK",
            [
                ("Content-Type", kind),
                ("Content-Length", str(len(stored["content"]))),
                ("Content-Disposition", f'inline; filename="{name}"'),
            ],
        )
        return [stored["content"]]
