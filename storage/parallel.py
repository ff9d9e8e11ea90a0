"""Batches of a bulk job shared between this process and worker processes.

Billing a batch is Python work between two database round trips; threads would share
one core (the GIL), so the other cores run worker processes. This process and the
workers take batches from the two ends of one queue: this process starts at once,
and a worker that is slow to start simply takes fewer batches. Workers are spawned
(safe beside the bot's threads) for one job and stopped after it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

Chunk = TypeVar("Chunk")
logger = logging.getLogger(__name__)


WATCH_SECONDS = 0.5


def die_with_parent() -> None:
    """A worker's first act: stop as soon as the process that started it is gone (killed with
    SIGKILL, say), instead of finishing a batch nobody waits for while holding a database
    connection, and keeping multiprocessing's resource tracker alive through its pipe."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(1)  # no cleanup to run: the batch's transaction dies with its connection

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def default_workers() -> int:
    """Half the cores besides this process: the database needs the rest."""
    return max(1, (os.cpu_count() or 2) // 2)


def share(
    chunks: Sequence[Chunk],
    here: Callable[[Chunk], int],
    there: Callable[[Chunk], int],
    workers: int,
) -> int:
    """Sum of `here(chunk)` or `there(chunk)` over the chunks, `there` running in workers.

    `there` must be picklable. A failure stops the hand-out of chunks and is raised once
    the batches already started have finished.
    """
    queue: deque[Chunk] = deque(chunks)

    def take(front: bool) -> Chunk | None:
        try:
            return queue.popleft() if front else queue.pop()
        except IndexError:
            return None

    def drain() -> int:
        done = 0
        try:
            while (chunk := take(front=True)) is not None:
                done += here(chunk)
        except BaseException:
            queue.clear()
            raise
        return done

    context = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent) as pool,
        ThreadPoolExecutor(workers) as feeders,
    ):

        def feed() -> int:
            done = 0
            while (chunk := take(front=False)) is not None:
                try:
                    done += pool.submit(there, chunk).result()
                except BrokenProcessPool:
                    # A worker died (killed, or could not start). Its batch was all or
                    # nothing and batches are idempotent: this process does it again.
                    logger.warning("a worker process died; its batches are done here")
                    queue.append(chunk)
                    break
                except BaseException:
                    queue.clear()
                    raise
            return done

        fed = [feeders.submit(feed) for _ in range(workers)]
        done = drain()
        done += sum(future.result() for future in fed)
    return done + drain()
