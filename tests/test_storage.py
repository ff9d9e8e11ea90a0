"""Storage guarantees: migrations match the models, idempotency is enforced by the
database, concurrent replicas act once, and card secrets never reach a row."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.jobs import run_invoicing
from scheduler.runner import Runner
from services.billing import Billing
from services.charging import sandbox_charger
from storage.migrate import pending, upgrade
from storage.models import AuditRow, Base, InvoiceRow, SandboxChargeRow, TransactionRow
from storage.store import SqlStore
from tests.support import ON_POSTGRES

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC)
TEST = Actor.system("test")
CARD = cmd.CardDetails(brand="visa", last4="4242", expires="2031-12")


def test_migrations_build_exactly_the_models_schema(migrated: Engine) -> None:
    assert pending(migrated)
    upgrade(engine=migrated)
    assert not pending(migrated)
    with migrated.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
        products = (
            connection.execute(text("SELECT name FROM products ORDER BY name")).scalars().all()
        )
    assert differences == []
    assert products == ["Chrome Enterprise Upgrade", "Cloud Identity Premium"]
    upgrade(engine=migrated)  # running it again is a no-op


def test_the_same_idempotency_key_acts_once(
    billing: Billing, store: SqlStore, engine: Engine
) -> None:
    customer = billing.open_account("once.example", T0)
    billing.order(
        customer.id, cmd.SetupBilling(card=CARD), at=T0, actor=Actor.parse("U1"), key="card-1"
    )
    first = billing.order(
        customer.id, cmd.Pay(amount="25.00"), at=T0, actor=Actor.parse("U1"), key="pay-1"
    )
    again = billing.order(
        customer.id,
        cmd.Pay(amount="25.00"),
        at=T0 + timedelta(seconds=3),
        actor=Actor.parse("U1"),
        key="pay-1",
    )
    assert not first.replayed and again.replayed and again.after == first.after
    with engine.connect() as connection:
        payments = (
            connection.execute(
                select(TransactionRow.amount).where(TransactionRow.kind == "payment")
            )
            .scalars()
            .all()
        )
        keys = connection.execute(select(AuditRow.idempotency_key)).scalars().all()
    assert len(payments) == 1
    assert sorted(k for k in keys if k) == ["card-1", "pay-1"]
    assert keys.count(None) == 1, "the processor's one answer, audited once"


def test_an_invoice_period_is_unique_per_customer_in_the_database(
    billing: Billing, engine: Engine
) -> None:
    customer = billing.open_account("unique.example", T0)
    row = {
        "customer_id": customer.id,
        "kind": "monthly",
        "key": "monthly:2026-01",
        "period_start": T0.date(),
        "period_end": T0.date(),
        "issued_at": T0,
        "due_at": T0,
    }
    with engine.begin() as connection:
        connection.execute(insert(InvoiceRow), row)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(InvoiceRow), row)


def _together(*actions: object) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(actions))

    def go(action: object) -> None:
        try:
            barrier.wait()
            action()  # type: ignore[operator]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=go, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_replicas_running_the_same_payment_and_invoice_run_act_once(
    shared_engine: Engine,
) -> None:
    one, two = SqlStore(shared_engine), SqlStore(shared_engine)
    billing = Billing(one, charges=sandbox_charger(one))
    customer = billing.open_account("replicas.example", T0)
    billing.order(
        customer.id,
        cmd.Signup(subscription="c", product="P", plan="flexible", licences=10, price="6.00"),
        at=T0,
        actor=Actor.parse("U1"),
    )
    billing.order(customer.id, cmd.SetupBilling(card=CARD), at=T0, actor=Actor.parse("U1"))
    from scheduler.runner import Runner

    Runner(one, T0, settle=lambda at: sandbox_charger(one).run(at)).run_until(
        datetime(2026, 1, 31, 12, tzinfo=PACIFIC)
    )
    payment = cmd.Pay(amount="30.00")
    at = datetime(2026, 1, 31, 13, tzinfo=PACIFIC)
    errors = _together(
        lambda: Billing(one, charges=sandbox_charger(one)).order(
            customer.id, payment, at=at, actor=Actor.parse("U1"), key="click-1"
        ),
        lambda: Billing(two, charges=sandbox_charger(two)).order(
            customer.id, payment, at=at, actor=Actor.parse("U1"), key="click-1"
        ),
    )
    assert errors == []
    run_at = datetime(2026, 2, 1, tzinfo=PACIFIC)
    assert _together(lambda: run_invoicing(one, run_at), lambda: run_invoicing(two, run_at)) == []
    with shared_engine.connect() as connection:
        kinds = connection.execute(
            select(TransactionRow.kind, TransactionRow.amount).order_by(TransactionRow.id)
        ).all()
        invoices = connection.execute(select(InvoiceRow.key)).scalars().all()
    assert invoices == ["monthly:2026-01"]
    # One manual payment (all credit: nothing was due yet); one charge, settled by that credit
    # (Jan 24-31: 8 x 10 = 80 user-days, 6 x 80 / 31 = 15.48 < 30.00).
    assert [k for k, _ in kinds] == ["payment", "credit", "charge", "credit_applied"]
    with shared_engine.connect() as connection:
        taken = connection.execute(select(SandboxChargeRow.amount)).scalars().all()
    assert taken == [Decimal("30.00")], "the processor charged the card once"


def test_no_row_ever_holds_a_card_number_or_security_code(billing: Billing, engine: Engine) -> None:
    customer = billing.open_account("cards.example", T0)
    billing.order(customer.id, cmd.SetupBilling(card=CARD), at=T0, actor=Actor.parse("U1"))
    for bad in ({"number": "4242424242424242"}, {"cvc": "123"}, {"last4": "4242424242424242"}):
        with pytest.raises(ValueError):
            cmd.CardDetails.model_validate(
                {"brand": "visa", "last4": "4242", "expires": "2031-12", **bad}
            )
    digits = re.compile(r"\d{12,}")
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                assert not any(isinstance(v, str) and digits.search(v) for v in row), (table, row)


def test_bulk_copy_writes_give_the_same_books_as_row_inserts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL large batches are written with COPY; forcing every write through that
    path must give exactly the outcome of ordinary inserts."""
    import storage.saving
    from bot.timeline import parse_document
    from tests.support import run

    examples = Path(__file__).parent.parent / "examples"
    for name in ("quickstart.yaml", "late_payment.yaml", "cancel_and_transfer.yaml"):
        document = parse_document((examples / name).read_text(), name)
        ordinary = run(document)
        monkeypatch.setattr(storage.saving, "COPY_FROM", 1)
        copied = run(document)
        monkeypatch.setattr(storage.saving, "COPY_FROM", 100)
        assert copied == ordinary, name


def test_two_card_changes_at_the_same_instant_schedule_one_retry(
    billing: Billing, engine: Engine
) -> None:
    from storage.models import RetryRow

    customer = billing.open_account("twice.example", T0)
    billing.order(
        customer.id,
        cmd.Signup(subscription="c", product="P", plan="flexible", licences=3, price="6.00"),
        at=T0,
        actor=Actor.parse("U1"),
    )
    from scheduler.runner import Runner

    Runner(SqlStore(engine), T0).run_until(
        datetime(2026, 1, 25, tzinfo=PACIFIC)
    )  # suspended: no billing
    at = datetime(2026, 1, 25, 9, tzinfo=PACIFIC)
    billing.order(customer.id, cmd.SetupBilling(card=CARD), at=at, actor=Actor.parse("U1"))
    billing.order(customer.id, cmd.UpdateCard(expires="2032-01"), at=at, actor=Actor.parse("U1"))
    with engine.connect() as connection:
        assert len(connection.execute(select(RetryRow.id)).all()) == 1


def test_an_overview_kept_in_memory_follows_every_change_made_elsewhere(
    shared_engine: Engine,
) -> None:
    """Another replica's order and the scheduler's jobs move the customer's stamp, so the
    overview one process keeps is recomputed, never shown stale."""
    here, there = Billing(SqlStore(shared_engine)), Billing(SqlStore(shared_engine))
    customer = here.open_account("kept.example", T0)
    signup = cmd.Signup(subscription="c", product="P", plan="annual", licences=25, price="60.00")
    here.order(customer.id, signup, at=T0, actor=TEST)
    assert here.overview(customer.id, T0).subscriptions[0].licences == 25
    there.order(customer.id, cmd.AddLicences(subscription="c", count=25), at=T0, actor=TEST)
    assert here.overview(customer.id, T0).subscriptions[0].licences == 50
    there.order(customer.id, cmd.SetupBilling(card=CARD), at=T0, actor=TEST)
    day15 = datetime(2026, 1, 24, 0, 0, tzinfo=PACIFIC)
    Runner(SqlStore(shared_engine), T0).run_until(day15)  # the trial ends: paid from Jan 24
    seen = here.overview(customer.id, day15 + timedelta(hours=9))
    assert seen.subscriptions[0].status.value == "active"
    # Jan 24, 50 licences: (60 / 12) x 50 x 1 / 31 = 8.064... -> 8.06
    assert seen.balance.current_cycle == Decimal("8.06")


def test_a_screen_does_not_wait_for_a_writer_on_sqlite(shared_engine: Engine) -> None:
    """Reads take no write lock: while the invoice run (or any order) holds SQLite's writer
    lock, the overview still answers."""
    if ON_POSTGRES:
        pytest.skip("PostgreSQL readers never wait for writers")
    store = SqlStore(shared_engine)
    billing = Billing(store)
    customer = billing.open_account("busy.example", T0)
    with shared_engine.connect() as writer:
        writer.execute(text("UPDATE customers SET reseller = NULL"))  # holds the write lock
        started = time.monotonic()
        assert billing.overview(customer.id, T0).subscriptions == []
        assert time.monotonic() - started < 5, "the read waited for the writer"
        writer.rollback()
