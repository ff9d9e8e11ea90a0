"""The part of Slack's Web API the bot uses, answered from the sandbox's workspace.

The bot runs unchanged: its WebClient's base URL and its response_urls point here.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from bot.sandbox.workspace import CHANNELS, Workspace

JSON_FIELDS = ("blocks", "view", "attachments", "files")


def _body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def arguments(environ: dict[str, Any], raw: bytes) -> dict[str, Any]:
    found: dict[str, Any]
    if "json" in (environ.get("CONTENT_TYPE") or ""):
        found = json.loads(raw or b"{}")
    else:
        found = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
    for name in JSON_FIELDS:
        if isinstance(found.get(name), str):
            with contextlib.suppress(ValueError):
                found[name] = json.loads(found[name])
    return found


def dm(user: str) -> str:
    return f"D{user}"


class SlackApi:
    def __init__(self, workspace: Workspace, base_url: Callable[[], str]) -> None:
        self.workspace = workspace
        self.base_url = base_url

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        raw = _body(environ)
        if path.startswith("/api/"):
            answer = self.method(path.removeprefix("/api/"), arguments(environ, raw))
        elif path.startswith("/response/"):
            answer = self.response(path.removeprefix("/response/"), json.loads(raw or b"{}"))
        elif path.startswith("/upload/"):
            self.workspace.files.setdefault(path.removeprefix("/upload/"), {})["content"] = raw
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [f"OK - {len(raw)}".encode()]
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        body = json.dumps(answer).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def method(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "m_" + name.replace(".", "_"), None)
        return handler(args) if handler else {"ok": True}

    # ---- methods -------------------------------------------------------------------
    def m_auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://sandbox.slack.local/",
            "team": "Sandbox",
            "user": "licensebot",
            "team_id": "TSANDBOX",
            "user_id": "USANDBOT",
            "bot_id": "BSANDBOT",
            "is_enterprise_install": False,
        }

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        person = self.workspace.people.get(str(args.get("user")))
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        user = {
            "id": person.id,
            "name": person.name,
            "real_name": person.name,
            "tz": person.tz,
            "is_admin": person.is_admin,
            "is_owner": False,
            "is_bot": False,
            "profile": {
                "email": person.email,
                "real_name": person.name,
                "display_name": person.name,
            },
        }
        if str(args.get("include_locale")).lower() in ("1", "true"):
            user["locale"] = person.locale
        return {"ok": True, "user": user}

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": dm(str(args.get("users", "")).split(",")[0])}}

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel.startswith("U"):
            channel = dm(channel)
        if channel not in CHANNELS and not channel.startswith("D"):
            return {"ok": False, "error": "channel_not_found"}
        message = self.workspace.post(channel, str(args.get("text", "")), args.get("blocks") or [])
        return {"ok": True, "channel": channel, "ts": message.ts, "message": {"text": message.text}}

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self.workspace.post(
            str(args.get("channel")),
            str(args.get("text", "")),
            args.get("blocks") or [],
            ephemeral_for=str(args.get("user")),
        )
        return {"ok": True, "message_ts": message.ts}

    def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self.workspace.update(
            str(args.get("channel")),
            str(args.get("ts")),
            str(args.get("text", "")),
            args.get("blocks") or [],
        )
        return (
            {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
            if found
            else {"ok": False, "error": "message_not_found"}
        )

    def m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.workspace.triggers.pop(str(args.get("trigger_id")), None)
        if user is None:
            return {"ok": False, "error": "expired_trigger_id"}
        opened = self.workspace.open_modal(user, args.get("view") or {})
        return {"ok": True, "view": opened.view}

    def m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.workspace.triggers.pop(str(args.get("trigger_id")), None)
        if user is None:
            return {"ok": False, "error": "expired_trigger_id"}
        return {
            "ok": True,
            "view": self.workspace.open_modal(user, args.get("view") or {}, push=True).view,
        }

    def m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        opened = self.workspace.replace_modal(str(args.get("view_id")), args.get("view") or {})
        return {"ok": True, "view": opened.view} if opened else {"ok": False, "error": "not_found"}

    def m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        with self.workspace.lock:
            self.workspace.homes[str(args.get("user_id"))] = args.get("view") or {}
            self.workspace.changed()
        return {"ok": True, "view": args.get("view")}

    def m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = self.workspace.new_id("F")
        self.workspace.files[file_id] = {"name": str(args.get("filename", "file")), "content": b""}
        return {"ok": True, "upload_url": f"{self.base_url()}/upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files") or []
        channel = str(args.get("channel_id") or args.get("channels") or "")
        shared = []
        for item in files:
            stored = self.workspace.files.get(item.get("id"), {})
            stored["title"] = item.get("title") or stored.get("name")
            shared.append(
                {
                    "id": item.get("id"),
                    "title": stored["title"],
                    "name": stored.get("name"),
                    "url": f"/files/{item.get('id')}/{stored.get('name')}",
                    "mimetype": mimetypes.guess_type(stored.get("name") or "")[0],
                }
            )
        if channel:
            message = self.workspace.post(channel, str(args.get("initial_comment") or ""), [])
            message.files = shared
        return {"ok": True, "files": shared}

    # ---- response_url --------------------------------------------------------------
    def response(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        target = self.workspace.responses.get(name)
        if target is None:
            return {"ok": False, "error": "expired_url"}
        user, channel = target
        ephemeral = payload.get("response_type", "ephemeral") != "in_channel"
        self.workspace.post(
            channel,
            str(payload.get("text", "")),
            payload.get("blocks") or [],
            ephemeral_for=user if ephemeral else None,
        )
        return {"ok": True}
