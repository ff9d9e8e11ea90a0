"""Benchmark: one daily sweep over 100,000 subscriptions, then the outbox delivery rate.

Seeds PostgreSQL (COPY) with ~20,000 customers and 100,000 subscriptions: trials ending
today or due a reminder, one-off invoices a week overdue, cards expiring next month,
annual terms ending in 30 days, and a majority with nothing due. Times the real daily
run (billing.jobs.run_daily) at 00:00 Pacific on 2026-03-02, which finds and enqueues
every due alert (and suspends, converts, renews), then delivers part of the outbox to a
local recording stand-in of Slack's Web API. Medians of several runs.

    python bench/alert_sweep.py [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk import WebClient
from sqlalchemy import func, select

from bench.pg import empty_schema, ensure_database, raw_url
from billing.calendar import day_start
from billing.jobs import run_daily
from bot.sandbox.slack_api import SlackApi
from scheduler.delivery import Deliverer
from scheduler.destinations import OneWorkspace
from storage.db import make_engine
from storage.models import AlertRow
from storage.outbox import Outbox
from storage.store import SqlStore

URL = ensure_database()
DAY = date(2026, 3, 2)
AT = day_start(DAY)


def seed(customers: int, per_customer: int, rng: random.Random) -> dict[str, int]:
    import psycopg

    empty_schema(URL)
    mix = {"trial_today": 0, "trial_reminder": 0, "overdue": 0, "card_expiring": 0, "renewal": 0}
    long_ago = datetime(2025, 12, 1, 18, tzinfo=UTC)
    with (
        psycopg.connect(raw_url(URL)) as conn,
        conn.cursor() as cur,
    ):
        subs, changes, cards, invoices, lines = [], [], [], [], []
        sub_id = invoice_id = 0
        for cid in range(1, customers + 1):
            roll = rng.random()
            kind = (
                "trial_today"
                if roll < 0.04
                else "trial_reminder"
                if roll < 0.10
                else "overdue"
                if roll < 0.15
                else "card_expiring"
                if roll < 0.18
                else "renewal"
                if roll < 0.20
                else "quiet"
            )
            has_card = kind != "trial_today" or rng.random() < 0.5
            if has_card:
                exp = (2026, 3) if kind == "card_expiring" else (2030, 12)
                cards.append((cid, "visa", f"{cid % 10000:04d}", *exp, long_ago))
            for n in range(per_customer):
                sub_id += 1
                annual = n % 2 == 0
                status, signed, paid_from, term_end = (
                    "active",
                    long_ago,
                    date(2025, 12, 15),
                    date(2026, 12, 14) if annual else None,
                )
                if n == 0 and kind == "trial_today":
                    signed, status, paid_from, term_end = (
                        day_start(DAY - timedelta(days=14)) + timedelta(hours=10),
                        "trial",
                        None,
                        None,
                    )
                elif n == 0 and kind == "trial_reminder":
                    signed = day_start(DAY - timedelta(days=rng.choice((6, 10, 12)))) + timedelta(
                        hours=10
                    )
                    status, paid_from, term_end = "trial", None, None
                elif n == 0 and kind == "renewal" and annual:
                    paid_from, term_end = date(2025, 4, 2), DAY + timedelta(days=30)
                if n == 0 and kind in mix:
                    mix[kind] += 1
                trial_ends = day_start(
                    (signed.astimezone(UTC) - timedelta(hours=8)).date() + timedelta(days=14)
                )
                subs.append(
                    (
                        sub_id,
                        cid,
                        f"s{n}",
                        "Product",
                        "annual" if annual else "flexible",
                        600000 if annual else 60000,
                        signed,
                        trial_ends,
                        status,
                        "auto",
                        False,
                        paid_from,
                        term_end,
                    )
                )
                changes.append((sub_id, signed, rng.randint(5, 200)))
            if kind == "overdue":
                invoice_id += 1
                issued = day_start(DAY - timedelta(days=7)) + timedelta(hours=9)
                invoices.append(
                    (
                        invoice_id,
                        cid,
                        "domain",
                        f"domain:c{cid}.example:2026-02-23",
                        DAY - timedelta(days=7),
                        DAY + timedelta(days=358),
                        issued,
                        day_start(DAY),
                    )
                )
                lines.append((invoice_id, "Domain registration", 0, 1200))
        for table, columns, rows in (
            (
                "customers",
                "id, domain, currency, created_at",
                [(c, f"c{c}.example", "USD", long_ago) for c in range(1, customers + 1)],
            ),
            ("payment_methods", "customer_id, brand, last4, exp_year, exp_month, saved_at", cards),
            (
                "subscriptions",
                "id, customer_id, key, product, plan, price, signed_up_at, trial_ends_at, status, renewal_mode, renewal_booked, paid_from, term_end",
                subs,
            ),
            ("quantity_changes", "subscription_id, at, quantity", changes),
            (
                "invoices",
                "id, customer_id, kind, key, period_start, period_end, issued_at, due_at",
                invoices,
            ),
            ("invoice_lines", "invoice_id, description, quantity_days, amount", lines),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table in ("customers", "subscriptions", "invoices"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
        cur.execute("ANALYZE")  # as autovacuum would after a bulk load
    mix["subscriptions"] = sub_id
    return mix


def one_run(customers: int, per_customer: int, deliver: int, seed_value: int) -> dict[str, float]:
    mix = seed(customers, per_customer, random.Random(seed_value))
    engine = make_engine(URL)
    store = SqlStore(engine)
    started = time.perf_counter()
    run_daily(store, AT)
    sweep_s = time.perf_counter() - started
    with engine.connect() as connection:
        enqueued = connection.execute(select(func.count()).select_from(AlertRow)).scalar_one()
    with SlackApi() as slack:
        clock = lambda: AT + timedelta(minutes=1)  # noqa: E731
        client = WebClient(token="xoxb-bench", base_url=slack.api_url)
        deliverer = Deliverer(Outbox(store), OneWorkspace(client, "CBILLING", "en"), clock)
        started = time.perf_counter()
        result = deliverer.sweep(limit=deliver)
        delivery_s = time.perf_counter() - started
    engine.dispose()
    return {
        "subscriptions": mix["subscriptions"],
        "alerts": enqueued,
        "sweep_s": sweep_s,
        "delivered": result.sent,
        "delivery_per_s": result.sent / delivery_s,
        **{k: v for k, v in mix.items() if k != "subscriptions"},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--per-customer", type=int, default=5)
    parser.add_argument("--deliver", type=int, default=2000)
    args = parser.parse_args()
    results = []
    for run in range(1, args.runs + 1):
        result = one_run(args.customers, args.per_customer, args.deliver, seed_value=run)
        results.append(result)
        print(
            f"run {run}: {result['subscriptions']} subscriptions; daily sweep {result['sweep_s']:.2f} s enqueued {result['alerts']} alerts"
            f" (trials ending {result['trial_today']}, reminders {result['trial_reminder']}, overdue {result['overdue']},"
            f" cards {result['card_expiring']}, renewals {result['renewal']}); delivered {result['delivered']}"
            f" at {result['delivery_per_s']:.0f} messages/s"
        )
    print(f"median over {len(results)} runs:")
    for key in ("sweep_s", "alerts", "delivery_per_s"):
        print(f"  {key}: {statistics.median(r[key] for r in results):.2f}")
    print(
        "  targets: sweep under 3 s; delivery limited only by Slack (chat.postMessage: about 1 message/s per channel)"
    )


if __name__ == "__main__":
    main()
