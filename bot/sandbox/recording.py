"""What reached the Slack stand-in, kept for whoever drives the bot, and the failures it was
told to answer with.

Tests read this to see exactly what the bot asked Slack to do, benchmarks to time the bot's
answers (each record carries its arrival time, ``time.time()``, so another process on the
same machine can pair it with the request it answers).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self


@dataclass(frozen=True)
class Call:
    """One Web API call as received. Header names are lower-cased; ``status`` is what was
    answered; ``at`` is when it arrived."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int = 200


@dataclass(frozen=True)
class Post:
    """One response_url post as received: the url's name, its decoded body, its arrival."""

    name: str
    body: dict[str, Any]
    at: float


@dataclass
class Failure:
    status: int
    retry_after: int
    error: str | None
    remaining: int


class Recorder:
    """Calls, response_url posts and uploads as they arrive; failures queued per target."""

    def __init__(self) -> None:
        self._record_lock = threading.Lock()
        self._calls: list[Call] = []
        self._posts: list[Post] = []
        self._uploads: dict[str, bytes] = {}
        self._failures: dict[str, deque[Failure]] = {}

    # ---- set-up --------------------------------------------------------------------------

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
        with self._record_lock:
            self._failures.setdefault(method, deque()).append(
                Failure(status, retry_after, error, times)
            )

    def clear(self) -> None:
        """Forget recorded calls, posts, uploads and pending failures (the workspace stays)."""
        with self._record_lock:
            self._calls.clear()
            self._posts.clear()
            self._uploads.clear()
            self._failures.clear()

    # ---- what was recorded ---------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._record_lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.args for call in self.calls if call.method == method]

    def posts(self, name: str | None = None) -> list[Post]:
        with self._record_lock:
            return [post for post in self._posts if name is None or post.name == name]

    def responses(self, name: str | None = None) -> list[dict[str, Any]]:
        """The bodies posted to response_urls (to the one called ``name``, if given)."""
        return [post.body for post in self.posts(name)]

    @property
    def uploads(self) -> dict[str, bytes]:
        with self._record_lock:
            return dict(self._uploads)

    def wait_for(self, predicate: Callable[[Self], Any], timeout: float = 5.0) -> Any:
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
        self.wait_for(lambda recorder: len(recorder.calls_to(method)) >= count, timeout)
        return self.calls_to(method)

    def wait_for_response(
        self, name: str | None = None, timeout: float = 5.0, count: int = 1
    ) -> list[dict[str, Any]]:
        self.wait_for(lambda recorder: len(recorder.responses(name)) >= count, timeout)
        return self.responses(name)

    def summary(self) -> str:
        """Everything recorded so far, one line each, for assertion messages."""

        def short(value: object) -> str:
            text = json.dumps(value, default=str)
            return text if len(text) <= 300 else text[:297] + "..."

        calls, posts, uploads = self.calls, self.posts(), self.uploads
        lines = [f"Web API calls ({len(calls)}):"]
        lines += [f"  {c.method} -> {c.status} {short(c.args)}" for c in calls]
        lines.append(f"response_url posts ({len(posts)}):")
        lines += [f"  {post.name}: {short(post.body)}" for post in posts]
        lines.append(f"uploads: { ({k: len(v) for k, v in uploads.items()}) }")
        return "\n".join(lines)

    # ---- recording (the serving side) ----------------------------------------------------

    def record_call(self, call: Call) -> None:
        with self._record_lock:
            self._calls.append(call)

    def record_post(self, post: Post) -> None:
        with self._record_lock:
            self._posts.append(post)

    def record_upload(self, file_id: str, content: bytes) -> None:
        with self._record_lock:
            self._uploads[file_id] = content

    def take_failure(self, target: str) -> Failure | None:
        """The failure to answer ``target`` with this time, if one is queued."""
        with self._record_lock:
            queue = self._failures.get(target)
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.popleft()
            return failure
