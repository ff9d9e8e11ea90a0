"""Benchmark: licensebot under a sustained load, over HTTP as `licensebot run --http` serves it,
and what it costs in memory.

A stand-in for Slack and licensebot run in their own processes (as in bench/ack_latency.py);
this process sends an open-loop load (request i leaves at start + i / rate, whatever the
earlier ones became) of `/license status`, `/license balance`, the App Home's Buy button and
Approve on a decided request, at each rate for `--seconds`. It prints, per rate: ack p50/p99,
answer p50/p99 (a response_url post or views.open reaching the stand-in, or the "busy" answer
a shed command carries in its ack), answers per second, requests shed as "busy", answers later
than 3 s, errors; and the bot process's RSS at start, its peak, and at rest 10 s after the load.

Targets (issue 10): answer p99 <= 1 s at 100 requests/s; no answer later than 3 s at 500
requests/s (shed instead); resting RSS within 20 % of the start, peak <= 1.5x the start.
The load comes from one asyncio process on the same machine: at the higher rates it takes
a core of its own, which the bot then lacks.

    python bench/sustained_load.py [--rates 100,500] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ack_latency import REQUESTS, arrivals, request, signed_post, start

MIX = ("status", "open_buy", "balance", "approval_approve")
TOO_LATE = 3.0
SETTLE = 20.0


@dataclass(frozen=True)
class Sent:
    serial: int
    at: float
    ack: float
    status: int
    busy: bool
    """Acknowledged and not acted on, being too late (a command is told "busy" in its ack)."""


async def post(url: str, serial: int, body: bytes) -> Sent:
    at, elapsed, status, answer = await signed_post(url, body)
    shed = b"very busy" in answer or b"x-licensebot-shed" in answer.lower()
    return Sent(serial, at, elapsed, status, shed)


def load(
    url: str, slack: str, serials: itertools.count[int], rate: float, seconds: float
) -> list[Sent]:
    names = itertools.cycle(MIX)

    async def run() -> list[Sent]:
        loop = asyncio.get_running_loop()
        begin = loop.time() + 0.05
        tasks = []
        for i in range(round(rate * seconds)):
            delay = begin + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            n = next(serials)
            tasks.append(asyncio.create_task(post(url, n, request(n, next(names), slack))))
        return await asyncio.gather(*tasks)

    return asyncio.run(run())


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and of every process it started, in MB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        pid_here = int(status.parent.name)
        if pid_here == pid or fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


class Peak:
    """The highest RSS seen while a load runs, sampled four times a second."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, rss_mb(pid), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]
        if ordered
        else math.inf
    )


def ms(seconds: float) -> str:
    return "none" if math.isinf(seconds) else f"{seconds * 1000:.1f}"


def report(rate: float, seconds: float, sent: list[Sent], slack: str) -> None:
    arrived = arrivals(slack)
    answers, late, shed = [], 0, 0
    for one in sent:
        if one.busy:
            shed += 1
            continue
        when = arrived.get(one.serial)
        answers.append(math.inf if when is None else when - one.at)
        late += when is None or when - one.at > TOO_LATE
    acks = [s.ack for s in sent if s.status == 200]
    errors = sum(1 for s in sent if s.status != 200)
    answered = [a for a in answers if not math.isinf(a)]
    kept = [s for s in sent if not s.busy]
    span = max(
        (s.at + a for s, a in zip(kept, answers, strict=True) if not math.isinf(a)), default=0
    )
    span -= min(s.at for s in sent)
    print(
        f"{rate:g}/s for {seconds:g} s: ack p50 {ms(statistics.median(acks))} p99 {ms(percentile(acks, 99))} ms; "
        f"answer p50 {ms(percentile(answers, 50))} p99 {ms(percentile(answers, 99))} ms; "
        f"slowest {ms(max(answered, default=math.inf))} ms; {len(answered) / span:.0f} answers/s; "
        f"{shed} shed (too late: acknowledged, a command told busy); {late} of the others later "
        f"than {TOO_LATE:g} s or never; {errors} errors"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rates", default="100,500", help="requests per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=30)
    options = parser.parse_args()
    rates = [float(rate) for rate in options.rates.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        fake, slack = start("--serve", "slack")
        bot, url = start("--serve", "licensebot", slack, folder)
        try:
            serials = itertools.count(1)
            load(url, slack, serials, 50, 4)  # warm up: imports, caches, the first users.info
            time.sleep(3)
            at_start = rss_mb(bot.pid)
            print(f"RSS at start {at_start:.0f} MB (the bot's process and any it started)")
            for rate in rates:
                with Peak(bot.pid) as peak:
                    sent = load(url, slack, serials, rate, options.seconds)
                    time.sleep(SETTLE)  # the answers still owed
                report(rate, options.seconds, sent, slack)
                time.sleep(10)
                resting = rss_mb(bot.pid)
                print(
                    f"  RSS peak {peak.peak:.0f} MB ({peak.peak / at_start:.2f}x the start), "
                    f"resting {resting:.0f} MB ({(resting / at_start - 1) * 100:+.0f} %)"
                )
        finally:
            for process in (bot, fake):
                process.terminate()
                process.wait(timeout=10)


assert set(MIX) <= set(REQUESTS)

if __name__ == "__main__":
    main()
