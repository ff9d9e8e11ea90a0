"""The answers after the acks: the pool of threads Bolt runs its lazy listeners on, how far
behind it is, and the honest way out when the bot cannot keep up.

An answer that would arrive too late is worse than none: a modal's trigger id expires after
3 seconds, and a person who typed a command is still waiting. So when the answers waiting
for a thread are more than the pool clears in about a second, a new request is acknowledged
with "busy, try again" instead of joining the queue; and an answer that waited longer than
`TOO_LATE` anyway is replaced by the same message. The queue, and the memory it holds,
stay bounded however many requests arrive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from views.i18n import N_

P = ParamSpec("P")
R = TypeVar("R")

THREADS = 16
"""An answer mostly waits for Slack (a response_url post, views.open): more threads than
cores. The acks do not use them: they run on the request's own thread."""
BACKLOG = 300
"""Answers waiting for a thread beyond which a request is turned away at once (about a
second of work at the pace this machine answers)."""
TOO_LATE = 2.5
"""Seconds after its request beyond which an answer is not worth giving (trigger ids expire
after 3)."""
BUSY = N_(
    "licensebot is very busy right now and could not answer this in time. Nothing was changed: please try again in a moment."
)


class AnswerPool(ThreadPoolExecutor):
    def __init__(self, threads: int = THREADS) -> None:
        super().__init__(threads, thread_name_prefix="answer")
        self._waiting = 0
        self._unfinished = 0
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        """Answers submitted and not yet started."""
        with self._lock:
            return self._waiting

    @property
    def unfinished(self) -> int:
        """Answers submitted and not yet done (waiting or running)."""
        with self._lock:
            return self._unfinished

    def overloaded(self) -> bool:
        return self.waiting >= BACKLOG

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        with self._lock:
            self._waiting += 1
            self._unfinished += 1

        def started() -> R:
            with self._lock:
                self._waiting -= 1
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self._unfinished -= 1

        return super().submit(started)


def late(received: Any) -> bool:
    """Whether an answer to a request received at `received` (time.monotonic()) is too late."""
    return isinstance(received, float) and time.monotonic() - received > TOO_LATE
