"""A local stand-in for Slack: its Web API, response_urls, file upload URLs and file downloads.

Point the bot's WebClient at ``SlackApi.api_url`` and its response_urls at
``response_url()``: every call is answered the way Slack answers, from a pretend workspace
(people, channels, messages, modal stacks, App Home views, files) that the sandbox's page
shows; every call is also recorded, and can be made to fail on demand, so tests see exactly
what the bot asked Slack to do without any network.

It is a WSGI app: the sandbox mounts it in its own server (``mount``), tests and benchmarks
serve it alone on a port of its own (``start``/``stop``, or ``with SlackApi(...) as slack``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote

from bot.sandbox.answers import Answer, Answers, structured
from bot.sandbox.identities import Person, Team
from bot.sandbox.local_server import Served
from bot.sandbox.recording import Call, Post, Recorder
from bot.sandbox.workspace import Origin, Workspace

PATHS = ("/api/", "/response/", "/upload/", "/files/")
"""Where the stand-in answers, under its base URL."""

Reply = tuple[int, dict[str, str], bytes]
StartResponse = Callable[..., Any]


def _json(status: int, data: dict[str, Any], **headers: str) -> Reply:
    body = json.dumps(data).encode()
    return status, {"Content-Type": "application/json; charset=utf-8", **headers}, body


def _text(status: int, text: str) -> Reply:
    return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers, names lower-cased as HTTP spells them."""
    found = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            found[key.replace("_", "-").lower()] = str(environ[key])
    return found


def call_arguments(headers: dict[str, str], body: bytes, query: str) -> dict[str, Any]:
    """Arguments from the query string plus a form-encoded or JSON body (WebClient sends both)."""
    args: dict[str, Any] = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    if not body:
        return args
    if headers.get("content-type", "").startswith("application/json"):
        loaded = json.loads(body)
        args.update(loaded if isinstance(loaded, dict) else {"_json": loaded})
    else:
        form = parse_qs(body.decode(), keep_blank_values=True)
        args.update({k: v[0] if len(v) == 1 else v for k, v in form.items()})
    return args


class SlackApi(Served, Recorder):
    """Slack for one workspace: answers from ``workspace``, records all (see Recorder)."""

    thread_name = "slack-api"

    def __init__(
        self,
        people: Iterable[Person] = (),
        *,
        team: Team | None = None,
        workspace: Workspace | None = None,
        strict: bool = False,
    ) -> None:
        """``strict``: accept only the trigger ids, response_urls, views, channels and messages
        the workspace issued (see bot.sandbox.answers); tests make ids up, so it is off."""
        super().__init__()
        self.team = team or Team()
        self.workspace = workspace or Workspace()
        self.strict = strict
        for person in people:
            self.workspace.add_person(person)
        self.answers = Answers(self.workspace, self.team, strict=strict, base_url=self._base)
        self.socket_mode: Callable[[], str] | None = None
        """What ``apps.connections.open`` answers, called with the app-level token: a function
        issuing a fresh WebSocket URL (a local Socket Mode server's). None: no Socket Mode."""

    # ---- where it is served: alone (Served.start, stop), or mounted -------------------

    def mount(self, base_url: str) -> None:
        """Served inside another WSGI server, whose requests under ``PATHS`` come here."""
        self._base_url = base_url.rstrip("/")

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith(PATHS)

    @property
    def base_url(self) -> str:
        return self._base()

    def _base(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the Slack stand-in is neither started nor mounted")
        return self._base_url

    @property
    def api_url(self) -> str:
        """For WebClient(base_url=...): it appends the method name, e.g. ``.../api/auth.test``."""
        return f"{self.base_url}/api/"

    # ---- what the workspace hands out ----------------------------------------------------

    def response_url(
        self, name: str | None = None, *, user: str | None = None, channel: str | None = None
    ) -> str:
        """A response_url for a request. With ``user`` and ``channel``, what is posted to it
        lands in that channel (ephemeral for the user unless in_channel), as in Slack."""
        name = name or self.workspace.new_id("r")
        origin = Origin(user, channel) if user and channel else None
        self.workspace.issue_response_url(name, origin)
        return f"{self.base_url}/response/{name}"

    def issue_trigger(self, user: str) -> str:
        """A trigger id for a request ``user`` makes; it opens one modal, once."""
        return self.workspace.issue_trigger(user)

    def add_user(self, person: Person) -> None:
        self.workspace.add_person(person)

    def add_method(self, method: str, answer: Callable[[dict[str, Any]], Answer]) -> None:
        """Answer a method Slack does not have (a benchmark asking what arrived, say)."""
        self.answers.methods[method] = answer

    # ---- serving -------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        arrived = time.time()
        headers = request_headers(environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        try:
            status, extra, payload = self._route(path, query, headers, body, arrived)
        except Exception as failure:  # a bug in the stand-in must show up in the test, not hang it
            status, extra, payload = _text(500, f"Slack stand-in error: {failure!r}")
        reason = HTTPStatus(status).phrase
        start_response(
            f"{status} {reason}", [*extra.items(), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    def _route(
        self, path: str, query: str, headers: dict[str, str], body: bytes, arrived: float
    ) -> Reply:
        kind, _, name = path.strip("/").partition("/")
        if not name:
            return _text(404, "not found")
        if kind == "api":
            return self._api(name, call_arguments(headers, body, query), headers, arrived)
        if kind == "response":
            return self._response(name, call_arguments(headers, body, query), arrived)
        if kind == "upload":
            return self._upload(name, body)
        if kind == "files":
            return self._download(name.partition("/")[0])
        return _text(404, "not found")

    def _failed(self, target: str) -> Reply | None:
        failure = self.take_failure(target)
        if failure is None:
            return None
        if failure.status == 429:
            limited = {"ok": False, "error": failure.error or "ratelimited"}
            return _json(429, limited, **{"Retry-After": str(failure.retry_after)})
        default = "fatal_error" if failure.status >= 500 else "request_failed"
        return _json(failure.status, {"ok": False, "error": failure.error or default})

    def _api(
        self, method: str, args: dict[str, Any], headers: dict[str, str], arrived: float
    ) -> Reply:
        reply = self._failed(method)
        if reply is None:
            if "authorization" not in headers and "token" not in args:
                reply = _json(200, {"ok": False, "error": "not_authed"})
            elif method == "apps.connections.open":
                reply = _json(200, self._connections_open(headers, args))
            else:
                reply = _json(200, self.answers(method, args))
        self.record_call(Call(method, args, headers, arrived, reply[0]))
        return reply

    def _connections_open(self, headers: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
        """Slack opens Socket Mode connections for app-level tokens only; each call hands out
        a new URL, good for one connection."""
        token = str(args.get("token") or headers.get("authorization", "").removeprefix("Bearer "))
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.socket_mode is None:  # as for an app token Slack does not know
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode()}

    def _response(self, name: str, args: dict[str, Any], arrived: float) -> Reply:
        failed = self._failed(f"response/{name}")
        if failed is not None:
            return failed
        if self.strict and not self.workspace.response_url_issued(name):
            return _text(404, "expired_url")
        body = structured(args["payload"]) if "payload" in args else args
        self.record_post(Post(name, body, arrived))
        origin = self.workspace.origin_of(name)
        if origin is not None:
            ephemeral = body.get("response_type", "ephemeral") != "in_channel"
            self.workspace.post(
                origin.channel,
                str(body.get("text", "")),
                list(structured(body.get("blocks")) or []),
                ephemeral_for=origin.user if ephemeral else None,
            )
        return _text(200, "ok")

    def _upload(self, file_id: str, content: bytes) -> Reply:
        failed = self._failed("upload")
        if failed is not None:
            return failed
        with self.workspace.lock:
            file = self.workspace.file(file_id)
            if file is None and self.strict:
                return _text(404, "file_not_found")
            if file is not None:
                file.content = content
        self.record_upload(file_id, content)
        return _text(200, f"OK - {len(content)}")

    def _download(self, file_id: str) -> Reply:
        """A file's url_private: what the page links to."""
        file = self.workspace.file(unquote(file_id))
        if file is None or not file.content:
            return _text(404, "file_not_found")
        disposition = f'inline; filename="{file.name}"'
        return (
            200,
            {"Content-Type": file.mimetype, "Content-Disposition": disposition},
            file.content,
        )
