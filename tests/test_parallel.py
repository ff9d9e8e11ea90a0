"""Batches shared between this process and worker processes (storage.parallel)."""

from __future__ import annotations

import os
import time
from functools import partial

import pytest

from storage.parallel import share


def here(chunk: list[int]) -> int:
    time.sleep(0.05)  # slow enough for a worker to start and take its share
    return len(chunk)


def there(parent: int, chunk: list[int]) -> int:
    assert os.getpid() != parent
    return 1000 * len(chunk)


def broken(chunk: list[int]) -> int:
    raise RuntimeError(f"batch {chunk} failed")


def dies(chunk: list[int]) -> int:
    os._exit(9)  # as the kernel's OOM killer would end it


def test_every_chunk_is_done_once_some_of_them_in_a_worker() -> None:
    chunks = [[n] for n in range(60)]
    done = share(chunks, here, partial(there, os.getpid()), workers=1)
    in_worker, here_only = divmod(done, 1000)
    assert in_worker + here_only == 60
    assert in_worker > 0 and here_only > 0


def test_a_failing_worker_batch_is_raised() -> None:
    with pytest.raises(RuntimeError, match="failed"):
        share([[n] for n in range(40)], here, broken, workers=1)


def test_the_batches_of_a_worker_that_dies_are_done_here() -> None:
    assert share([[n] for n in range(30)], here, dies, workers=1) == 30
