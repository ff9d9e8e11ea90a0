"""A process killed with SIGKILL in the middle of an invoice run, then restarted: every
invoice issued exactly once, every ledger total as if nothing had happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.jobs import run_invoicing
from storage.db import make_engine
from storage.models import Base, InvoiceRow, TransactionRow
from storage.store import SqlStore
from tests.support import ON_POSTGRES, billing_of, runner_of

CUSTOMERS = 40
RUN_AT = datetime(2026, 3, 1, tzinfo=PACIFIC)
CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    import storage.store
    from billing.calendar import PACIFIC
    from billing.jobs import run_invoicing
    from storage.db import make_engine
    from storage.store import SqlStore

    real = storage.store.save_accounts
    def slow(session, accounts):
        real(session, accounts)
        print("batch", flush=True)
        time.sleep(0.3)  # still inside the batch's transaction
    storage.store.save_accounts = slow
    store = SqlStore(make_engine(sys.argv[1]), workers=0)  # this process's own batches only
    run_invoicing(store, datetime(2026, 3, 1, tzinfo=PACIFIC), batch_size=4)
    print("finished", flush=True)
    """
)


def seed(engine: Engine) -> None:
    """Customers in paid service since January, some users added in February."""
    store = SqlStore(engine)
    billing = billing_of(store)
    t0 = datetime(2026, 1, 5, 9, tzinfo=PACIFIC)
    for n in range(CUSTOMERS):
        customer = billing.open_account(f"c{n}.example", t0)
        plan = "annual" if n % 2 else "flexible"
        billing.order(
            customer.id,
            cmd.Signup(
                subscription="s",
                product="P",
                plan=plan,
                licences=5 + n,
                price="6.00" if plan == "flexible" else "60.00",
            ),
            at=t0,
            actor=Actor.parse("seed"),
        )
        billing.order(
            customer.id,
            cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2031-01")),
            at=t0,
            actor=Actor.parse("seed"),
        )
    runner_of(store, t0).run_until(datetime(2026, 2, 10, tzinfo=PACIFIC))
    for n in range(0, CUSTOMERS, 3):
        billing.order(
            n + 1,
            cmd.AddLicences(subscription="s", count=3),
            at=datetime(2026, 2, 14, 10, tzinfo=PACIFIC),
            actor=Actor.parse("seed"),
        )
    runner_of(store, t0).run_until(datetime(2026, 2, 28, 12, tzinfo=PACIFIC))


def books(engine: Engine) -> tuple[int, int, dict[str, Decimal]]:
    with engine.connect() as connection:
        invoices = connection.execute(
            select(func.count()).select_from(InvoiceRow).where(InvoiceRow.key == "monthly:2026-02")
        ).scalar_one()
        keys = connection.execute(
            select(func.count(func.distinct(InvoiceRow.customer_id))).where(
                InvoiceRow.key == "monthly:2026-02"
            )
        ).scalar_one()
        rows = connection.execute(select(TransactionRow.kind, TransactionRow.amount)).all()
    totals: dict[str, Decimal] = {}
    for kind, amount in rows:
        totals[kind] = totals.get(kind, Decimal("0.00")) + amount
    return invoices, keys, totals


def reference_books() -> tuple[int, int, dict[str, Decimal]]:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    seed(engine)
    run_invoicing(SqlStore(engine), RUN_AT)
    return books(engine)


def test_sigkill_in_the_middle_of_an_invoice_run_then_restart(database: tuple[str, Engine]) -> None:
    expected = reference_books()
    url, engine = database
    seed(engine)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert child.stdout is not None
    batches = 0
    deadline = time.monotonic() + 60
    while batches < 3 and time.monotonic() < deadline:
        line = child.stdout.readline()
        batches += line.startswith("batch")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    partial = books(engine)[0]
    assert 0 < partial < CUSTOMERS, "killed in the middle: some invoices issued, not all"
    run_invoicing(SqlStore(engine), RUN_AT)  # the restart runs the occurrence again
    run_invoicing(SqlStore(engine), RUN_AT)  # and again, for good measure
    assert books(engine) == expected
    assert expected[0] == expected[1] == CUSTOMERS


@pytest.mark.skipif(not ON_POSTGRES, reason="worker processes share batches on PostgreSQL only")
def test_a_run_shared_with_worker_processes_books_the_same(
    database: tuple[str, Engine],
) -> None:
    expected = reference_books()
    _, engine = database
    seed(engine)
    assert run_invoicing(SqlStore(engine, workers=2), RUN_AT, batch_size=3) == CUSTOMERS
    assert run_invoicing(SqlStore(engine, workers=2), RUN_AT, batch_size=3) == 0
    assert books(engine) == expected


WITH_WORKERS = textwrap.dedent(
    """
    import sys
    from datetime import date, datetime
    from billing.calendar import PACIFIC
    from storage.db import make_engine
    from storage.store import SqlStore
    from tests.slow_rules import SlowInvoiceRun

    store = SqlStore(make_engine(sys.argv[1]), workers=1)
    print("started", flush=True)
    run = SlowInvoiceRun(datetime(2026, 3, 1, tzinfo=PACIFIC))
    store.for_monthly_batches(date(2026, 2, 1), 2, run)
    """
)


def children(pid: int) -> set[int]:
    """The live processes `pid` started, and theirs, from /proc."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(pid) and not fields["State"].startswith("Z"):
            found.add(int(entry.name))
    for child in list(found):
        found |= children(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state


@pytest.mark.skipif(not ON_POSTGRES, reason="worker processes share batches on PostgreSQL only")
def test_sigkill_of_a_run_with_workers_leaves_no_process_behind(
    database: tuple[str, Engine],
) -> None:
    url, engine = database
    seed(engine)
    child = subprocess.Popen(
        [sys.executable, "-c", WITH_WORKERS, url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert child.stdout is not None and child.stdout.readline().startswith("started")
    deadline = time.monotonic() + 30
    spawned: set[int] = set()
    while time.monotonic() < deadline and len(spawned) < 2:  # a worker and the tracker
        spawned |= children(child.pid)
        time.sleep(0.1)
    assert spawned, "the run started no worker process"
    time.sleep(1.5)  # the worker is inside a batch
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in spawned):
        time.sleep(0.2)
    assert not [pid for pid in spawned if alive(pid)], "processes outlived the killed run"
