"""Properties of the ledger over arbitrary sequences of admin steps and scheduled jobs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import Engine, func, select

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.errors import BillingError
from billing.jobs import run_daily, run_retry
from storage.models import AllocationRow, Base, InvoiceLineRow, InvoiceRow, TransactionRow
from storage.store import SqlStore
from tests.support import (
    ON_POSTGRES,
    billing_of,
    fresh_database,
    lines_of,
    run,
    runner_of,
    setup_card,
    signup,
    timeline,
)

ORIGIN = datetime(2026, 1, 1, 9, 0, tzinfo=PACIFIC)
KEYS = ("a", "b", "c")
PRICES = ("6.00", "60.00", "7.3333", "49.99")


@dataclass(frozen=True)
class Action:
    minutes: int
    method: str
    order: BaseModel


def _orders() -> st.SearchStrategy[tuple[str, BaseModel]]:
    key = st.sampled_from(KEYS)
    card = st.builds(
        cmd.CardDetails,
        brand=st.just("visa"),
        last4=st.just("4242"),
        expires=st.sampled_from(["2026-03", "2031-12"]),
    )
    return st.one_of(
        st.builds(
            lambda k, plan, n, price: (
                "signup",
                cmd.Signup(subscription=k, product="P", plan=plan, licences=n, price=price),
            ),
            key,
            st.sampled_from(["annual", "flexible"]),
            st.integers(1, 40),
            st.sampled_from(PRICES),
        ),
        st.builds(
            lambda k, n: ("add_licences", cmd.AddLicences(subscription=k, count=n)),
            key,
            st.integers(1, 20),
        ),
        st.builds(
            lambda k, n: ("set_users", cmd.SetUsers(subscription=k, count=n)),
            key,
            st.integers(1, 60),
        ),
        st.builds(lambda c: ("setup_billing", cmd.SetupBilling(card=c)), card),
        st.builds(
            lambda e: ("update_card", cmd.UpdateCard(expires=e)),
            st.sampled_from(["2026-04", "2032-01"]),
        ),
        st.builds(
            lambda a: ("pay", cmd.Pay(amount=a)), st.sampled_from(["10.00", "25.50", "400.00"])
        ),
        st.builds(
            lambda k, m, n: ("renewal", cmd.Renewal(subscription=k, mode=m, licences=n)),
            key,
            st.sampled_from(["auto", "manual", "cancel_at_expiry"]),
            st.one_of(st.none(), st.integers(1, 30)),
        ),
        st.builds(
            lambda k, w: ("cancel", cmd.Cancel(subscription=k, when=w)),
            key,
            st.sampled_from(["now", "at_expiry"]),
        ),
        st.just(("refund", cmd.RefundCredit())),
        st.builds(
            lambda p: ("register_domain", cmd.RegisterDomain(price=p)),
            st.sampled_from(["12.00", "9.99"]),
        ),
    )


actions = st.lists(
    st.builds(lambda m, o: Action(m, o[0], o[1]), st.integers(0, 60 * 24 * 200), _orders()),
    max_size=14,
).map(lambda xs: sorted(xs, key=lambda a: a.minutes))


def counts(engine: Engine) -> Counter[str]:
    with engine.connect() as connection:
        return Counter(
            {
                t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables
            }
        )


def replay(engine: Engine, steps: list[Action], days: int = 230) -> tuple[SqlStore, int, datetime]:
    store = SqlStore(engine)
    billing = billing_of(store)
    customer = billing.open_account("prop.example", ORIGIN)
    runner = runner_of(store, ORIGIN)
    for index, action in enumerate(steps):
        at = ORIGIN + timedelta(minutes=action.minutes)
        runner.run_until(at)
        before = counts(engine)
        try:
            billing.order(
                customer.id, action.order, at=at, actor=Actor.parse("test"), key=f"k{index}"
            )
        except BillingError:
            assert counts(engine) == before, f"refused {action.method} changed the database"
    end = ORIGIN + timedelta(days=days)
    runner.run_until(end)
    return store, customer.id, end


def ledger_sums(engine: Engine, customer_id: int) -> dict[str, Decimal]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(TransactionRow.kind, TransactionRow.amount).where(
                TransactionRow.customer_id == customer_id
            )
        ).all()
    sums: dict[str, Decimal] = {
        kind: Decimal("0.00")
        for kind in ("charge", "payment", "credit", "credit_applied", "refund")
    }
    for kind, amount in rows:
        sums[kind] += amount
    return sums


# Each example replays ~230 days of jobs; PostgreSQL pays a network round trip per query.
SLOW = settings(
    max_examples=12 if ON_POSTGRES else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SLOW
@given(actions)
def test_the_ledger_never_creates_or_loses_a_cent(steps: list[Action]) -> None:
    with fresh_database() as engine:
        store, customer_id, end = replay(engine, steps)
        sums = ledger_sums(engine, customer_id)
        invoices = store.invoices(customer_id)
        with engine.connect() as connection:
            allocated = connection.execute(
                select(AllocationRow.amount)
                .join(TransactionRow, TransactionRow.id == AllocationRow.transaction_id)
                .where(TransactionRow.kind == "payment")
            ).scalars()
            allocated_payments = sum(allocated, Decimal("0.00"))
        # Money received either settled an invoice or became credit.
        assert sums["payment"] == allocated_payments + sums["credit"]
        # An invoice is charged once, for the sum of its rounded lines, and never overpaid.
        assert sums["charge"] == sum((inv.total for inv in invoices), Decimal("0.00"))
        for invoice in invoices:
            assert invoice.total == sum((line.amount for line in invoice.lines), Decimal("0.00"))
            assert Decimal(0) <= invoice.paid <= invoice.total
            assert (invoice.paid_at is not None) == (invoice.paid == invoice.total)
        # Balance identity (SPEC 10, settled 11), checked against the raw ledger.
        balance = billing_of(store).balance(customer_id, end)
        assert balance.credit >= 0
        assert balance.total == balance.current_cycle + balance.balance_due - balance.credit
        assert (
            balance.balance_due - balance.credit
            == sums["charge"] - sums["payment"] + sums["refund"]
        )


@SLOW
@given(actions)
def test_running_a_job_occurrence_twice_equals_running_it_once(steps: list[Action]) -> None:
    with fresh_database() as engine:
        store, customer_id, end = replay(engine, steps)
        before = counts(engine), ledger_sums(engine, customer_id)
        last_midnight = runner_of(store, ORIGIN).next_daily() - timedelta(days=1)
        run_daily(store, last_midnight)
        with engine.connect() as connection:
            months = (
                connection.execute(select(InvoiceRow.issued_at).where(InvoiceRow.kind == "monthly"))
                .scalars()
                .all()
            )
        for issued in months:  # every past invoice run, again
            run_daily(store, issued)
        for retry in store.due_retries(end) + _done_retries(store, customer_id):
            run_retry(store, retry, retry.due_at)
        assert (counts(engine), ledger_sums(engine, customer_id)) == before


def _done_retries(store: SqlStore, customer_id: int) -> list[Any]:
    from billing.account import Retry
    from storage.models import RetryRow

    with store.sessions() as session:
        return [
            Retry(r.customer_id, r.due_at, r.occasion, None, r.id)
            for r in session.scalars(select(RetryRow))
        ]


@settings(max_examples=15, deadline=None)
@given(
    plan=st.sampled_from(["annual", "flexible"]),
    licences=st.integers(1, 500),
    price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
    months=st.integers(1, 3),
)
def test_a_constant_quantity_over_whole_months_costs_price_times_months(
    plan: str, licences: int, price: Decimal, months: int
) -> None:
    # Signed up Dec 18, 2025: paid from Jan 1, 2026 (day 15), so every month is whole.
    # Flexible: P x L x D / D = P x L per month. Annual: (A / 12) x L per month, rounded once.
    result = run(
        timeline(
            signup("2025-12-18T10:00:00-08:00", "s", plan, licences, str(price)),
            setup_card("2025-12-18T10:05:00-08:00"),
            until=f"2026-{months + 1:02d}-01T00:00:00-0{7 if months >= 3 else 8}:00",
        )
    )
    monthly = (
        price * licences
        if plan == "flexible"
        else (price * licences / 12).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    )
    if monthly == 0:  # a 0.00 line is left out, and an empty invoice is not issued
        assert result["invoices"] == []
        return
    for month in range(1, months + 1):
        assert lines_of(result, f"2026-{month:02d}")["s"][1] == str(monthly)
    assert len(result["invoices"]) == months


def test_invoice_lines_are_stored_rounded_and_positive(engine: Engine) -> None:
    replay(
        engine,
        [
            Action(
                0,
                "signup",
                cmd.Signup(
                    subscription="a", product="P", plan="flexible", licences=3, price="7.3333"
                ),
            ),
            Action(
                5,
                "setup_billing",
                cmd.SetupBilling(
                    card=cmd.CardDetails(brand="visa", last4="4242", expires="2031-12")
                ),
            ),
        ],
        days=70,
    )
    with engine.connect() as connection:
        amounts = connection.execute(select(InvoiceLineRow.amount)).scalars().all()
    assert amounts and all(a > 0 and a == a.quantize(Decimal("0.01")) for a in amounts)
