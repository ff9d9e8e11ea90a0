"""Benchmark: assigning 10,000 seats by CSV, then listing them.

Through the real service, on a database file: a CSV of 10,000 `assign` rows is parsed
(services.seat_files), applied as one import_seats order (the account loaded under its
lock, the rule, the rows written), then listed: the overview's seats (the account at a
glance, what `/license seats` reads) and the export CSV. Medians of several runs, each on
a fresh database; peak RSS of the process.

    python bench/seats_csv.py [--runs 3] [--seats 10000] [--url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing import commands as cmd
from billing.actors import Actor
from services import seat_files
from services.billing import Billing
from storage.db import make_engine
from storage.models import Base
from storage.store import SqlStore

AT = datetime(2026, 3, 2, 17, tzinfo=UTC)


def one_run(url: str, seats: int) -> dict[str, float]:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    billing = Billing(SqlStore(engine, workers=0))
    customer = billing.open_account("acme.example", AT - timedelta(days=30)).id
    signup = cmd.Signup(
        subscription="chrome", product="Chrome", plan="annual", licences=seats, price="60.00"
    )
    billing.order(customer, signup, at=AT - timedelta(days=30), actor=Actor.parse("bench"))
    lines = ["action,subscription,holder,perpetual"]
    lines += [f"assign,chrome,person{n:05d}@acme.example,no" for n in range(seats)]
    data = "\n".join(lines).encode()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    parsed = seat_files.parse(data)
    timings["parse"] = time.perf_counter() - started
    started = time.perf_counter()
    order = cmd.ImportSeats(rows=parsed.rows, file="FBENCH")
    timings["validate"] = time.perf_counter() - started
    started = time.perf_counter()
    billing.order(customer, order, at=AT, actor=Actor.parse("bench"), key="bench")
    timings["apply"] = time.perf_counter() - started
    started = time.perf_counter()
    (sub,) = billing.overview(customer, AT + timedelta(seconds=1)).subscriptions
    assert sub.seats_used == seats, sub.seats_used
    timings["list"] = time.perf_counter() - started
    started = time.perf_counter()
    exported = seat_files.export([sub])
    timings["export"] = time.perf_counter() - started
    assert exported.count(b"\n") == seats + 1
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seats", type=int, default=10_000)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/seats.sqlite3"
        runs = [one_run(url, args.seats) for _ in range(args.runs)]
    print(f"{args.seats:,} seats by CSV on {url.split(':')[0]}, median of {args.runs} runs (s)")
    for step in ("parse", "validate", "apply", "list", "export"):
        print(f"  {step:9} {statistics.median(run[step] for run in runs):7.3f}")
    total = statistics.median(sum(run[s] for s in ("parse", "validate", "apply")) for run in runs)
    print(f"  import in all (parse + validate + apply): {total:.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
