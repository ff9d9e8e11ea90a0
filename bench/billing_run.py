"""Benchmark: the monthly invoice run over 100,000 subscriptions on PostgreSQL.

Seeds ~20,000 customers with 100,000 subscriptions (annual and flexible) and a month of
quantity changes, runs the real invoice run (billing.jobs.run_invoicing) for that month,
then times a raw COPY of the same invoice and invoice-line rows into the emptied tables
(the target's baseline) and a raw COPY of every row the run wrote (its floor: ledger,
outbox and audit rows included).
Each run seeds afresh and is measured in a fresh process (for its peak RSS); the script
prints every run and the medians.

    python bench/billing_run.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.pg import URL, empty_schema, ensure_database, raw_url
from billing.calendar import day_start
from storage.db import make_engine

MONTH = date(2026, 3, 1)
RUN_AT = day_start(date(2026, 4, 1))
SIGNED_UP = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
PAID_FROM = date(2026, 1, 19)


def psycopg_connection():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(raw_url(URL))


def seed(customers: int, subscriptions: int, seed_value: int = 7) -> None:
    empty_schema(URL)
    rng = random.Random(seed_value)
    per_customer = subscriptions // customers
    month_start = day_start(MONTH)
    with psycopg_connection() as conn, conn.cursor() as cur:
        with cur.copy("COPY customers (id, domain, currency, created_at) FROM STDIN") as copy:
            for cid in range(1, customers + 1):
                copy.write_row((cid, f"customer{cid}.example", "USD", SIGNED_UP))
        with cur.copy(
            "COPY payment_methods (customer_id, brand, last4, exp_year, exp_month, saved_at) FROM STDIN"
        ) as copy:
            for cid in range(1, customers + 1):
                copy.write_row((cid, "visa", f"{cid % 10000:04d}", 2030, 12, SIGNED_UP))
        sub_id = 0
        plan_of: list[tuple[int, str]] = []
        with cur.copy(
            "COPY subscriptions (id, customer_id, key, product, plan, price, signed_up_at, trial_ends_at,"
            " status, renewal_mode, renewal_booked, paid_from, term_end) FROM STDIN"
        ) as copy:
            for cid in range(1, customers + 1):
                for n in range(per_customer):
                    sub_id += 1
                    annual = n % 2 == 0
                    plan = "annual" if annual else "flexible"
                    price = (
                        600000 if annual else 60000
                    )  # 60.00 a year, 6.00 a month (ten-thousandths)
                    term_end = date(2027, 1, 18) if annual else None
                    copy.write_row(
                        (
                            sub_id,
                            cid,
                            f"s{n}",
                            "Product",
                            plan,
                            price,
                            SIGNED_UP,
                            SIGNED_UP + timedelta(days=14),
                            "active",
                            "auto",
                            False,
                            PAID_FROM,
                            term_end,
                        )
                    )
                    plan_of.append((sub_id, plan))
        with cur.copy("COPY quantity_changes (subscription_id, at, quantity) FROM STDIN") as copy:
            for sid, plan in plan_of:
                held = rng.randint(5, 200)
                copy.write_row((sid, SIGNED_UP, held))
                for _ in range(rng.randint(0, 3)):  # a month of changes
                    at = month_start + timedelta(minutes=rng.randint(0, 31 * 24 * 60 - 1))
                    held = (
                        held + rng.randint(1, 10)
                        if plan == "annual"
                        else max(1, held + rng.randint(-10, 10))
                    )
                    copy.write_row((sid, at, held))
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")  # as autovacuum would, long before a month ends


WRITTEN = (
    "invoices",
    "invoice_lines",
    "transactions",
    "allocations",
    "alerts",
    "audit_log",
    "charges",
)
"""Every table the invoice run writes to; the first two hold the invoice rows. The charges
are recorded by the run and sent by the charge worker afterwards (bench/charging.py)."""


def written_rows() -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Each written table's columns and rows, as the run left them."""
    from psycopg.types.json import Jsonb

    found = {}
    with psycopg_connection() as conn, conn.cursor() as cur:
        for table in WRITTEN:
            cur.execute(f"SELECT * FROM {table}")
            columns = [column.name for column in cur.description or ()]
            rows = [
                tuple(Jsonb(v) if isinstance(v, dict | list) else v for v in row)
                for row in cur.fetchall()
            ]
            found[table] = (columns, rows)
    return found


def timed_copy(tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    """Seconds to COPY these rows into the emptied tables, with their indexes and foreign
    keys, as a raw bulk insert would meet them, in one transaction."""
    with psycopg_connection() as conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(WRITTEN)}")
        conn.commit()
        started = time.perf_counter()
        for table, (columns, rows) in tables.items():
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def measure() -> dict[str, float]:
    """In a fresh process: the invoice run, then raw COPYs of the rows it wrote."""
    from billing.jobs import run_invoicing
    from storage.store import SqlStore

    engine = make_engine(URL)
    store = SqlStore(engine)
    started = time.perf_counter()
    issued = run_invoicing(store, RUN_AT)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    engine.dispose()
    written = written_rows()
    # The baseline of the target: the invoice rows alone (invoices and their lines).
    copy_s = timed_copy({table: written[table] for table in WRITTEN[:2]})
    # The floor: every row the run must write (ledger, outbox and audit included).
    floor_s = timed_copy(written)
    return {
        "invoices": issued,
        "lines": len(written["invoice_lines"][1]),
        "rows_written": sum(len(rows) for _, rows in written.values()),
        "run_s": elapsed,
        "invoices_per_s": issued / elapsed,
        "peak_rss_mb": peak_mb,
        "worker_peak_rss_mb": worker_mb,
        "copy_s": copy_s,
        "ratio_to_copy": elapsed / copy_s,
        "floor_s": floor_s,
        "ratio_to_floor": elapsed / floor_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--child", choices=["seed", "measure"])
    args = parser.parse_args()
    ensure_database()
    if args.child == "seed":
        seed(args.customers, args.subscriptions)
        return
    if args.child == "measure":
        print(json.dumps(measure()))
        return
    results = []
    for run in range(1, args.runs + 1):
        base = [
            sys.executable,
            __file__,
            "--customers",
            str(args.customers),
            "--subscriptions",
            str(args.subscriptions),
        ]
        subprocess.run([*base, "--child", "seed"], check=True)
        out = subprocess.run(
            [*base, "--child", "measure"], check=True, capture_output=True, text=True
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        print(
            f"run {run}: {result['invoices']} invoices, {result['lines']} lines in {result['run_s']:.2f} s"
            f" = {result['invoices_per_s']:.0f} invoices/s; peak RSS {result['peak_rss_mb']:.0f} MB"
            f" (worker {result['worker_peak_rss_mb']:.0f} MB);"
            f" raw COPY {result['copy_s']:.2f} s; ratio {result['ratio_to_copy']:.2f};"
            f" floor (COPY of all {result['rows_written']} rows written) {result['floor_s']:.2f} s,"
            f" ratio {result['ratio_to_floor']:.2f}"
        )
    print(f"median over {len(results)} runs:")
    keys = (
        "invoices_per_s",
        "run_s",
        "peak_rss_mb",
        "worker_peak_rss_mb",
        "copy_s",
        "ratio_to_copy",
        "floor_s",
        "ratio_to_floor",
    )
    for key in keys:
        print(f"  {key}: {statistics.median(r[key] for r in results):.2f}")
    print("  targets: >= 5000 invoices/s, ratio <= 3.00")


if __name__ == "__main__":
    main()
