"""A local stand-in for Slack's Web API, response_url endpoints and file upload URLs.

Point the bot's WebClient at ``FakeSlack.api_url`` and its response_urls at
``FakeSlack.response_url()``: every call is recorded, answered the way Slack answers, and can be
made to fail on demand, so tests see exactly what the bot asked Slack to do without any network.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

TEAM_ID = "T1"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"

Answer = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Call:
    """One Web API call as received. Header names are lower-cased; ``status`` is what we answered."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int = 200


@dataclass
class _Failure:
    status: int
    retry_after: int
    error: str | None
    remaining: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            status, extra, payload = self.server.fake._route(self.path, headers, body)
        except Exception as error:  # a bug in the fake must show up in the test, not hang it
            status, extra, payload = _text(500, f"FakeSlack error: {error!r}")
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def _json(status: int, data: dict[str, Any], **headers: str) -> Answer:
    return (
        status,
        {"Content-Type": "application/json; charset=utf-8", **headers},
        json.dumps(data).encode(),
    )


def _text(status: int, text: str) -> Answer:
    return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()


def _parse(headers: dict[str, str], body: bytes, query: str) -> dict[str, Any]:
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


def _maybe_json(value: Any) -> Any:
    """Form-encoded calls carry structured arguments (view, blocks, files) as JSON strings."""
    return json.loads(value) if isinstance(value, str) and value[:1] in ("[", "{") else value


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


class FakeSlack:
    """Threaded local HTTP server that records and answers Web API and response_url calls."""

    def __init__(self, users: dict[str, dict[str, Any]] | None = None) -> None:
        """``users`` maps a user id to ``add_user`` keyword arguments, e.g. {"U1": {"email": ...}}."""
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._responses: list[tuple[str, dict[str, Any]]] = []
        self._uploads: dict[str, bytes] = {}
        self._filenames: dict[str, str] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._serial = 0
        self._ts_base = int(time.time())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for user_id, spec in (users or {}).items():
            self.add_user(user_id, **spec)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is None:  # polls shutdown every 50 ms so stop() is quick
            self._server = _Server(("127.0.0.1", 0), _Handler)
            self._server.fake = self
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="fake-slack", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """For WebClient(base_url=...): it appends the method name, e.g. ``.../api/auth.test``."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/response/{name}"

    # -- set-up ------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        email: str,
        name: str | None = None,
        locale: str = "en-US",
        is_admin: bool = False,
        is_owner: bool = False,
        tz: str = "America/Los_Angeles",
    ) -> None:
        name = name or email.split("@")[0]
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "real_name": name,
            "tz": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_bot": False,
            "locale": locale,
            "profile": {"email": email, "real_name": name, "display_name": name},
        }
        with self._lock:
            self._users[user_id] = user

    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        Default: HTTP 429 with Retry-After and {"ok": false, "error": "ratelimited"}. With
        ``error`` and no status: HTTP 200 with {"ok": false, "error": error}, as Slack reports
        most errors. ``times=10**9`` means "until the end". ``method`` may also be
        ``"response/<name>"`` or ``"upload"`` to fail a response_url or an upload POST.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if status is None:
            status = 200 if error else 429
        failure = _Failure(status, retry_after, error, times)
        with self._lock:
            self._failures.setdefault(method, deque()).append(failure)

    def clear(self) -> None:
        """Forget recorded calls, responses, uploads and pending failures (users stay)."""
        with self._lock:
            self._calls.clear()
            self._responses.clear()
            self._uploads.clear()
            self._failures.clear()

    # -- what was recorded -------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.args for call in self.calls if call.method == method]

    def responses(self, name: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [body for n, body in self._responses if name is None or n == name]

    @property
    def uploads(self) -> dict[str, bytes]:
        with self._lock:
            return dict(self._uploads)

    def wait_for(self, predicate: Callable[[FakeSlack], Any], timeout: float = 5.0) -> Any:
        """Poll until ``predicate(self)`` is truthy and return it: bots reply after the ack."""
        deadline = time.monotonic() + timeout
        while not (result := predicate(self)):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s\n{self.summary()}")
            time.sleep(0.01)
        return result

    def wait_for_call(
        self, method: str, timeout: float = 5.0, count: int = 1
    ) -> list[dict[str, Any]]:
        self.wait_for(lambda fake: len(fake.calls_to(method)) >= count, timeout)
        return self.calls_to(method)

    def wait_for_response(
        self, name: str | None = None, timeout: float = 5.0, count: int = 1
    ) -> list[dict[str, Any]]:
        self.wait_for(lambda fake: len(fake.responses(name)) >= count, timeout)
        return self.responses(name)

    def summary(self) -> str:
        """Everything recorded so far, one line each, for assertion messages."""

        def short(value: object) -> str:
            text = json.dumps(value, default=str)
            return text if len(text) <= 300 else text[:297] + "..."

        lines = [f"Web API calls ({len(self.calls)}):"]
        lines += [f"  {c.method} -> {c.status} {short(c.args)}" for c in self.calls]
        with self._lock:
            responses, uploads = list(self._responses), dict(self._uploads)
        lines.append(f"response_url posts ({len(responses)}):")
        lines += [f"  {name}: {short(body)}" for name, body in responses]
        lines.append(f"uploads: { ({k: len(v) for k, v in uploads.items()}) }")
        return "\n".join(lines)

    # -- serving -----------------------------------------------------------------------------

    def _next(self) -> int:
        with self._lock:
            self._serial += 1
            return self._serial

    def _ts(self) -> str:
        return f"{self._ts_base + self._next()}.000100"

    def _take_failure(self, key: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(key)
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.popleft()
            return failure

    def _failed(self, key: str) -> Answer | None:
        failure = self._take_failure(key)
        if failure is None:
            return None
        if failure.status == 429:
            error = failure.error or "ratelimited"
            return _json(
                429, {"ok": False, "error": error}, **{"Retry-After": str(failure.retry_after)}
            )
        default = "fatal_error" if failure.status >= 500 else "request_failed"
        return _json(failure.status, {"ok": False, "error": failure.error or default})

    def _route(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        url = urlsplit(path)
        kind, _, name = url.path.strip("/").partition("/")
        if kind == "api" and name:
            return self._api(name, _parse(headers, body, url.query), headers)
        if kind == "response" and name:
            answer = self._failed(f"response/{name}")
            if answer is None:
                args = _parse(headers, body, url.query)
                args = _maybe_json(args["payload"]) if "payload" in args else args
                with self._lock:
                    self._responses.append((name, args))
                answer = _text(200, "ok")
            return answer
        if kind == "upload" and name:
            answer = self._failed("upload")
            if answer is None:
                with self._lock:
                    self._uploads[name] = body
                answer = _text(200, f"OK - {len(body)}")
            return answer
        return _text(404, "not found")

    def _api(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> Answer:
        answer = self._failed(method)
        if answer is None:
            if "authorization" not in headers and "token" not in args:
                answer = _json(200, {"ok": False, "error": "not_authed"})
            else:
                answer = _json(200, self._answer(method, args))
        with self._lock:
            self._calls.append(Call(method, args, headers, time.time(), answer[0]))
        return answer

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "views.open": self._view,
            "views.push": self._view,
            "views.update": self._view,
            "views.publish": self._view,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.postEphemeral": lambda args: {"ok": True, "message_ts": self._ts()},
            "conversations.open": self._open_conversation,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        handler = handlers.get(method)
        return handler(args) if handler else {"ok": True}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "licensebot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user = self._users.get(str(args.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        user = copy.deepcopy(user)
        if not _truthy(args.get("include_locale")):
            del user["locale"]
        return {"ok": True, "user": user}

    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        n = self._next()
        view = dict(_maybe_json(args.get("view")) or {})
        view.update(id=args.get("view_id") or f"V{n}", hash=f"h{n}", team_id=TEAM_ID)
        return {"ok": True, "view": view}

    def _message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "text": args.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key) is not None:
                message[key] = _maybe_json(args[key])
        return message

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel[:1] in ("U", "W"):  # posting to a user id lands in the DM with them
            channel = f"D{channel}"
        ts = self._ts()
        return {"ok": True, "channel": channel, "ts": ts, "message": self._message(args, ts)}

    def _update_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("ts", ""))
        return {
            "ok": True,
            "channel": args.get("channel"),
            "ts": ts,
            "text": args.get("text", ""),
            "message": self._message(args, ts),
        }

    def _open_conversation(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": args["channel"]}}
        return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).replace(",", "")}}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{self._next()}"
        with self._lock:
            self._filenames[file_id] = str(args.get("filename", ""))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            names = dict(self._filenames)
        files = [
            {
                "id": f["id"],
                "title": f.get("title") or names.get(f["id"], ""),
                "name": names.get(f["id"], ""),
            }
            for f in _maybe_json(args.get("files")) or []
        ]
        return {"ok": True, "files": files}
