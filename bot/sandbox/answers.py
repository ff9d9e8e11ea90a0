"""How Slack answers the Web API methods the bot uses, from a pretend workspace's state.

``strict`` decides what to make of ids the workspace did not hand out. Strict (the sandbox,
whose page issues every trigger id, response_url and message): Slack's error, as for a
forged or stale id. Not strict (tests and benchmarks, which make ids up): the id is taken as
one Slack issued, so any trigger id opens a modal, any view id can be updated, any channel
can be posted to. Either way a trigger id works once, as Slack's do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.sandbox.identities import Team
from bot.sandbox.workspace import File, OpenView, Workspace, dm

Args = dict[str, Any]
Answer = dict[str, Any]


def structured(value: Any) -> Any:
    """Form-encoded calls carry structured arguments (view, blocks, files) as JSON strings."""
    return json.loads(value) if isinstance(value, str) and value[:1] in ("[", "{") else value


def truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def error(code: str) -> Answer:
    return {"ok": False, "error": code}


class Answers:
    def __init__(
        self, workspace: Workspace, team: Team, *, strict: bool, base_url: Callable[[], str]
    ) -> None:
        self.workspace = workspace
        self.team = team
        self.strict = strict
        self.channels_checked = strict
        """Posts only to the workspace's channels and DMs (on with ``strict``, or alone)."""
        self.base_url = base_url
        self.methods: dict[str, Callable[[Args], Answer]] = {
            "auth.test": self.auth_test,
            "users.info": self.users_info,
            "users.lookupByEmail": self.users_by_email,
            "users.list": self.users_list,
            "conversations.open": self.conversations_open,
            "chat.postMessage": self.post_message,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.update": self.update_message,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "files.getUploadURLExternal": self.upload_url,
            "files.completeUploadExternal": self.complete_upload,
            "files.info": self.file_info,
        }

    def __call__(self, method: str, args: Args) -> Answer:
        """A method the stand-in does not model succeeds with nothing more to say."""
        answer = self.methods.get(method)
        return answer(args) if answer else {"ok": True}

    # ---- who ----------------------------------------------------------------------------

    def auth_test(self, _args: Args) -> Answer:
        team = self.team
        return {
            "ok": True,
            "url": team.url,
            "team": team.name,
            "user": "licensebot",
            "team_id": team.id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
            **({"enterprise_id": team.enterprise_id} if team.enterprise_id else {}),
        }

    def users_info(self, args: Args) -> Answer:
        person = self.workspace.person(str(args.get("user")))
        if person is None:
            return error("user_not_found")
        with_locale = truthy(args.get("include_locale"))
        return {"ok": True, "user": person.as_slack_user(self.team, with_locale=with_locale)}

    def users_by_email(self, args: Args) -> Answer:
        wanted = str(args.get("email", "")).lower()
        with self.workspace.lock:
            found = [p for p in self.workspace.people.values() if p.email.lower() == wanted]
        if not found:
            return error("users_not_found")
        return {"ok": True, "user": found[0].as_slack_user(self.team, with_locale=False)}

    def users_list(self, _args: Args) -> Answer:
        """Everyone on one page (no cursor): the stand-in's workspaces are small."""
        with self.workspace.lock:
            people = list(self.workspace.people.values())
        members = [p.as_slack_user(self.team, with_locale=False) for p in people]
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def conversations_open(self, args: Args) -> Answer:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": args["channel"]}}
        return {"ok": True, "channel": {"id": dm(str(args.get("users", "")).replace(",", ""))}}

    # ---- messages -----------------------------------------------------------------------

    def post_message(self, args: Args) -> Answer:
        channel = str(args.get("channel", ""))
        if channel[:1] in ("U", "W"):  # posting to a user id lands in the DM with them
            channel = dm(channel)
        if self.channels_checked and not self.workspace.knows_channel(channel):
            return error("channel_not_found")
        posted = self.workspace.post(channel, str(args.get("text", "")), self._blocks(args))
        return {
            "ok": True,
            "channel": channel,
            "ts": posted.ts,
            "message": self._message(args, posted.ts),
        }

    def post_ephemeral(self, args: Args) -> Answer:
        posted = self.workspace.post(
            str(args.get("channel", "")),
            str(args.get("text", "")),
            self._blocks(args),
            ephemeral_for=str(args.get("user", "")),
        )
        return {"ok": True, "message_ts": posted.ts}

    def update_message(self, args: Args) -> Answer:
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        text = str(args.get("text", ""))
        found = self.workspace.update(channel, ts, text, self._blocks(args))
        if self.strict and not found:
            return error("message_not_found")
        return {
            "ok": True,
            "channel": args.get("channel"),
            "ts": ts,
            "text": text,
            "message": self._message(args, ts),
        }

    def _message(self, args: Args, ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "text": args.get("text", ""),
            "user": self.team.bot_user_id,
            "bot_id": self.team.bot_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key) is not None:
                message[key] = structured(args[key])
        return message

    def _blocks(self, args: Args) -> list[dict[str, Any]]:
        return list(structured(args.get("blocks")) or [])

    # ---- views --------------------------------------------------------------------------

    def views_open(self, args: Args) -> Answer:
        return self._open(args, push=False)

    def views_push(self, args: Args) -> Answer:
        return self._open(args, push=True)

    def _open(self, args: Args, *, push: bool) -> Answer:
        trigger = self.workspace.use_trigger(str(args.get("trigger_id", "")))
        if trigger is None:
            return error("expired_trigger_id")
        if self.strict and trigger.user is None:
            return error("invalid_trigger_id")
        return self._shown(self.workspace.open_modal(trigger.user, self._view(args), push=push))

    def views_update(self, args: Args) -> Answer:
        view_id = str(args.get("view_id") or "")
        if not view_id and self.strict:
            return error("not_found")
        view_id = view_id or self.workspace.new_id("V")
        opened = self.workspace.replace_view(view_id, self._view(args), adopt=not self.strict)
        return self._shown(opened) if opened else error("not_found")

    def views_publish(self, args: Args) -> Answer:
        user = str(args.get("user_id", ""))
        view = {**self._view(args), "id": self.workspace.new_id("V")}
        self.workspace.publish_home(user, view)
        return self._shown(OpenView(view["id"], view, user))

    def _view(self, args: Args) -> dict[str, Any]:
        return dict(structured(args.get("view")) or {})

    def _shown(self, opened: OpenView) -> Answer:
        """The view as Slack echoes it: with its id, a fresh hash and the team."""
        view = {**opened.view, "id": opened.id}
        view.update(hash=self.workspace.new_id("h"), team_id=self.team.id)
        return {"ok": True, "view": view}

    # ---- files --------------------------------------------------------------------------

    def upload_url(self, args: Args) -> Answer:
        file = self.workspace.new_file(str(args.get("filename", "")))
        return {"ok": True, "upload_url": f"{self.base_url()}/upload/{file.id}", "file_id": file.id}

    def complete_upload(self, args: Args) -> Answer:
        listed = list(structured(args.get("files")) or [])
        if self.strict and any(self.workspace.file(str(f.get("id"))) is None for f in listed):
            return error("file_not_found")
        files = [self._completed(str(item.get("id")), item.get("title")) for item in listed]
        channel = str(args.get("channel_id") or args.get("channels") or "")
        if channel:
            self.workspace.post(channel, str(args.get("initial_comment") or ""), files=files)
        return {"ok": True, "files": [self._shared(file) for file in files]}

    def file_info(self, args: Args) -> Answer:
        file = self.workspace.file(str(args.get("file", "")))
        if file is None:
            return error("file_not_found")
        return {"ok": True, "file": self._shared(file)}

    def _completed(self, file_id: str, title: Any) -> File:
        with self.workspace.lock:
            file = self.workspace.file(file_id) or File(file_id, "")
            file.title = str(title or file.title or file.name)
            return file

    def _shared(self, file: File) -> dict[str, Any]:
        return {
            "id": file.id,
            "title": file.title,
            "name": file.name,
            "mimetype": file.mimetype,
            "size": len(file.content),
            "url_private": f"{self.base_url()}/files/{file.id}/{file.name}",
        }
