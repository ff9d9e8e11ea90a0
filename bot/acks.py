"""Acks first: answers wait while requests are being acknowledged.

Slack gives every request 3 seconds to be acknowledged; the answer can come later. On a
busy server the two compete for the same processor (and, in Python, the same interpreter
lock), so the server counts the requests it is acknowledging and an answer starts once
none is, or after `PATIENCE` at most, so a steady stream of requests cannot starve it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

PATIENCE = 0.5
"""Seconds an answer waits at most: a modal's trigger id stays valid for 3."""


class InFlight:
    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    @contextmanager
    def acking(self) -> Iterator[None]:
        with self._idle:
            self._count += 1
        try:
            yield
        finally:
            with self._idle:
                self._count -= 1
                if self._count == 0:
                    self._idle.notify_all()

    def wait_idle(self, patience: float = PATIENCE) -> None:
        """Return once no request is being acknowledged, or after `patience` seconds."""
        with self._idle:
            self._idle.wait_for(lambda: self._count == 0, timeout=patience)


ACKING = InFlight()
"""The requests this process is acknowledging (counted by bot.server)."""
