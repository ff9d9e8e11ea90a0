"""Refunds of credit through the gateway, disputes, the descriptor and the daily
reconciliation (SPEC "Payments through a processor" 8-11), against the sandbox gateway on a
real database. Every figure is worked out by hand in the comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.errors import BillingError
from billing.gateway import (
    ChargeOutcome,
    EventKind,
    GatewayEvent,
    GatewayUnavailable,
    RefundOutcome,
)
from billing.model import Transaction, TxKind
from payments.sandbox import SandboxGateway
from scheduler.runner import Runner
from services.billing import Billing
from services.charging import Charger
from services.processor_events import ProcessorEvents
from services.reconciliation import Reconciler
from storage.charges import SqlChargeQueue
from storage.models import (
    AlertRow,
    ChargeRow,
    JobRunRow,
    RefundRow,
    SandboxChargeRow,
    SandboxRefundRow,
    TransactionRow,
)
from storage.store import SqlStore

ADA = Actor.slack("UADA")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=PACIFIC)
CARD = cmd.CardDetails(brand="visa", last4="4242", expires="2031-12")


class Wrapper:
    """The sandbox gateway with some answers changed (a refusal, an outage), counting calls."""

    def __init__(self, gateway: SandboxGateway) -> None:
        self.gateway = gateway
        self.name = gateway.name
        self.descriptor_limit = gateway.descriptor_limit
        self.refund_answer: Callable[..., RefundOutcome] | None = None
        self.lost_refunds = 0
        self.refund_keys: list[str] = []
        self.descriptors: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.gateway, name)

    def charge(self, *args: Any) -> ChargeOutcome:
        self.descriptors.append(args[5])
        return self.gateway.charge(*args)

    def refund(self, charge_id: str, amount: Decimal, currency: str, key: str) -> RefundOutcome:
        self.refund_keys.append(key)
        if self.lost_refunds:
            self.lost_refunds -= 1
            raise GatewayUnavailable("timed out")
        if self.refund_answer is not None:
            return self.refund_answer(charge_id, amount, currency, key)
        return self.gateway.refund(charge_id, amount, currency, key)


class World:
    def __init__(self, store: SqlStore, domain: str = "refunds.example") -> None:
        self.store = store
        self.clock = [T0]
        self.gateway = Wrapper(SandboxGateway(store.engine, lambda: self.clock[0]))
        self.charger = Charger(store, SqlChargeQueue(store), self.gateway, lambda: self.clock[0])
        self.billing = Billing(store, charges=self.charger)
        self.customer = self.billing.open_account(domain, T0).id
        self.billing.order(self.customer, cmd.SetupBilling(card=CARD), at=T0, actor=ADA)

    def at(self, hours: float) -> datetime:
        self.clock[0] = T0 + timedelta(hours=hours)
        return self.clock[0]

    def pay(self, amount: str, hours: float) -> None:
        at = self.at(hours)
        order = cmd.Pay(amount=amount)  # type: ignore[arg-type]
        self.billing.order(self.customer, order, at=at, actor=ADA, key=f"pay:{hours}")

    def refund(self, amount: str | None, hours: float, key: str = "refund") -> dict[str, Any]:
        at = self.at(hours)
        order = cmd.RefundCredit(amount=amount)  # type: ignore[arg-type]
        change = self.billing.order(self.customer, order, at=at, actor=ADA, key=key)
        assert change.after is not None
        return change.after

    def credit(self) -> Decimal:
        return self.billing.balance(self.customer, self.clock[0]).credit

    def ledger(self) -> list[tuple[str, Decimal, str | None, str]]:
        with self.store.engine.connect() as connection:
            rows = connection.execute(
                select(
                    TransactionRow.kind,
                    TransactionRow.amount,
                    TransactionRow.processor_id,
                    TransactionRow.memo,
                ).order_by(TransactionRow.id)
            ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def charge_ids(self) -> list[str]:
        with self.store.engine.connect() as connection:
            found = connection.execute(select(ChargeRow.processor_id).order_by(ChargeRow.id))
            return [c for c in found.scalars() if c]

    def refunds(self) -> list[tuple[str, Decimal, str, str]]:
        with self.store.engine.connect() as connection:
            rows = connection.execute(
                select(
                    RefundRow.charge_id, RefundRow.amount, RefundRow.status, RefundRow.key
                ).order_by(RefundRow.id)
            ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def processor_refunds(self) -> list[tuple[str, Decimal, bool]]:
        with self.store.engine.connect() as connection:
            rows = connection.execute(
                select(
                    SandboxRefundRow.charge_id, SandboxRefundRow.amount, SandboxRefundRow.succeeded
                ).order_by(SandboxRefundRow.created_at)
            ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def alerts(self, kind: str) -> list[dict[str, Any]]:
        return [{"at": a.at, **a.facts} for a in self.store.alerts(self.customer) if a.kind == kind]


@pytest.fixture
def world(store: SqlStore) -> World:
    return World(store)


# ---- refunds -------------------------------------------------------------------------------


def test_a_refund_goes_back_through_the_gateway_against_the_payment_that_made_the_credit(
    world: World,
) -> None:
    # Nothing is owed: a manual payment of 30.00 is all credit (settled detail 7).
    world.pay("30.00", 1)
    assert world.credit() == Decimal("30.00")
    [paid] = world.charge_ids()
    after = world.refund("12.50", 2)
    # 30.00 - 12.50 = 17.50 stays.
    assert after == {"refunded": "12.50", "credit": "17.50"}
    assert world.credit() == Decimal("17.50")
    ledger = world.ledger()
    assert [(k, a, p) for k, a, p, _ in ledger] == [
        ("payment", Decimal("30.00"), paid),
        ("credit", Decimal("30.00"), None),
        ("refund", Decimal("12.50"), paid),
    ]
    with world.store.engine.connect() as connection:
        refund_tx = connection.execute(
            select(TransactionRow.id).where(TransactionRow.kind == "refund")
        ).scalar_one()
    assert world.refunds() == [(paid, Decimal("12.50"), "succeeded", f"refund:{refund_tx}")]
    assert world.processor_refunds() == [(paid, Decimal("12.50"), True)]
    assert world.gateway.refund_keys == [f"refund:{refund_tx}"]


def test_credit_is_refunded_newest_payment_first_one_refund_row_per_payment(
    world: World,
) -> None:
    world.pay("20.00", 1)  # first payment: 20.00 credit
    world.pay("15.00", 2)  # second: 15.00 more, 35.00 in all
    first, second = world.charge_ids()
    after = world.refund("25.00", 3)
    # Newest first: all 15.00 of the second payment, then 25.00 - 15.00 = 10.00 of the first.
    assert after == {"refunded": "25.00", "credit": "10.00"}
    refunds = [(k, a, p) for k, a, p, _ in world.ledger() if k == "refund"]
    assert refunds == [
        ("refund", Decimal("15.00"), second),
        ("refund", Decimal("10.00"), first),
    ]
    assert world.processor_refunds() == [
        (second, Decimal("15.00"), True),
        (first, Decimal("10.00"), True),
    ]
    # What is left (10.00) came from the first payment: 20.00 - 10.00 refunded of it.
    world.refund(None, 4, key="rest")
    assert world.credit() == Decimal("0.00")
    assert world.processor_refunds()[-1] == (first, Decimal("10.00"), True)


def test_a_refund_the_processor_refuses_puts_the_credit_back_and_says_why(world: World) -> None:
    world.pay("30.00", 1)
    world.gateway.refund_answer = lambda c, a, cur, key: RefundOutcome(
        key, False, None, "charge_disputed"
    )
    world.refund("30.00", 2)
    # Reserved (30.00 - 30.00 = 0) then put back: 30.00 again.
    assert world.credit() == Decimal("30.00")
    [paid] = world.charge_ids()
    assert [(k, a, m) for k, a, _, m in world.ledger()][2:] == [
        ("refund", Decimal("30.00"), world.store.customer(world.customer).descriptor),  # type: ignore[union-attr]
        ("credit", Decimal("30.00"), "refund failed: charge_disputed"),
    ]
    assert [r[2] for r in world.refunds()] == ["failed"]
    [alert] = world.alerts("refund_failed")
    assert alert["amount"] == "30.00" and alert["reason"] == "charge_disputed"
    assert alert["at"] == world.clock[0]
    # The failed refund no longer counts against the payment: it can be refunded again.
    world.gateway.refund_answer = None
    world.refund("30.00", 3, key="again")
    assert world.credit() == Decimal("0.00")
    assert world.processor_refunds() == [(paid, Decimal("30.00"), True)]


def test_credit_with_no_processor_payment_behind_it_cannot_go_back_to_a_card(
    world: World,
) -> None:
    # A correction credit of 8.00, made by hand: no processor charge stands behind it.
    with world.store.account(world.customer) as account:
        account.record(Transaction(account.id, T0, TxKind.CREDIT, Decimal("8.00"), memo="fix"))
    with pytest.raises(BillingError) as refused:
        world.refund(None, 1)
    assert refused.value.template == (
        "none of the credit came from a card payment that can be paid back"
    )
    world.pay("12.00", 2)  # 8.00 + 12.00 = 20.00 of credit, 12.00 of it refundable
    with pytest.raises(BillingError) as partly:
        world.refund("15.00", 3)
    assert partly.value.params["refundable"] == Decimal("12.00")
    # "All of it": the 12.00 that can go back, and 20.00 - 12.00 = 8.00 stays, said so.
    assert world.refund(None, 4, key="all") == {
        "refunded": "12.00",
        "credit": "8.00",
        "not_refundable": "8.00",
    }
    assert world.credit() == Decimal("8.00")


def test_a_refund_lost_in_an_outage_keeps_the_credit_reserved_and_is_sent_again_once(
    world: World,
) -> None:
    world.pay("30.00", 1)
    world.gateway.lost_refunds = 2
    world.refund("10.00", 2)
    # Reserved at once: 30.00 - 10.00 = 20.00 can be spent, whatever the processor says.
    assert world.credit() == Decimal("20.00")
    assert [r[2] for r in world.refunds()] == ["pending"]
    assert world.alerts("refund_failed") == []
    assert world.charger.run(world.at(2)) == 0  # backing off: 30 s
    assert world.charger.run(world.at(2) + timedelta(seconds=30)) == 0  # lost again: 1 min
    assert world.charger.run(world.at(2) + timedelta(seconds=90)) == 1
    assert len(set(world.gateway.refund_keys)) == 1 and len(world.gateway.refund_keys) == 3
    assert [r[2] for r in world.refunds()] == ["succeeded"]
    assert len(world.processor_refunds()) == 1
    assert world.credit() == Decimal("20.00")


# ---- refund and dispute webhooks -----------------------------------------------------------


def events(world: World) -> ProcessorEvents:
    return ProcessorEvents(world.store, world.billing, "sandbox")


def test_a_refund_failing_later_puts_the_credit_back_once(world: World) -> None:
    world.pay("30.00", 1)
    world.refund("10.00", 2)
    [(paid, _, _, key)] = world.refunds()
    failed = GatewayEvent(
        "evt_r1",
        EventKind.REFUND_FAILED,
        world.at(30),
        key=key,
        charge_id=paid,
        amount=Decimal("10.00"),
        currency="USD",
        reason="expired_or_canceled_card",
    )
    hub = events(world)
    assert hub.apply(failed, world.at(30)).value == "applied"
    assert hub.apply(failed, world.at(31)).value == "duplicate"
    again = GatewayEvent(
        "evt_r2",
        EventKind.REFUND_FAILED,
        world.at(32),
        key=key,
        charge_id=paid,
        amount=Decimal("10.00"),
        currency="USD",
        reason="expired_or_canceled_card",
    )
    assert hub.apply(again, world.at(32)).value == "applied"  # the same news: nothing twice
    # 20.00 left after the refund, + 10.00 back = 30.00.
    assert world.credit() == Decimal("30.00")
    credits = [(a, m) for k, a, _, m in world.ledger() if k == "credit"]
    assert credits[-1] == (Decimal("10.00"), "refund failed: expired_or_canceled_card")
    assert len(credits) == 2
    assert [a["reason"] for a in world.alerts("refund_failed")] == ["expired_or_canceled_card"]
    # A late "refunded" confirmation changes nothing: the refund stays failed.
    late = GatewayEvent(
        "evt_r3", EventKind.REFUNDED, world.at(33), key=key, charge_id=paid, amount=Decimal("10.00")
    )
    hub.apply(late, world.at(33))
    assert [r[2] for r in world.refunds()] == ["failed"]


def test_a_refunded_event_confirms_a_refund_still_pending(world: World) -> None:
    world.pay("30.00", 1)
    world.gateway.lost_refunds = 1
    world.refund("10.00", 2)
    [(paid, _, status, _)] = world.refunds()
    assert status == "pending"
    confirmed = GatewayEvent(
        "evt_c1", EventKind.REFUNDED, world.at(3), charge_id=paid, amount=Decimal("10.00")
    )
    assert events(world).apply(confirmed, world.at(3)).value == "applied"
    assert [r[2] for r in world.refunds()] == ["succeeded"]
    assert world.charger.run(world.at(4)) == 0, "answered: not sent again"
    assert world.credit() == Decimal("20.00")


def dispute(world: World, kind: EventKind, event_id: str, hours: float, **more: Any) -> str:
    [paid] = world.charge_ids()[-1:]
    found = GatewayEvent(
        event_id,
        kind,
        world.at(hours),
        charge_id=paid,
        amount=Decimal("30.00"),
        currency="USD",
        reason="fraudulent",
        **more,
    )
    return events(world).apply(found, world.at(hours)).value


def figures(world: World) -> tuple[Decimal, Decimal]:
    balance = world.billing.balance(world.customer, world.clock[0])
    return balance.balance_due, balance.credit


def test_a_dispute_is_owed_again_until_it_is_won(world: World) -> None:
    world.pay("30.00", 1)  # 30.00 of credit
    world.refund("10.00", 2)  # 20.00 left
    assert dispute(world, EventKind.DISPUTE_OPENED, "evt_d1", 3) == "applied"
    # The whole disputed payment, 30.00, is owed again; the credit is left as it was.
    assert figures(world) == (Decimal("30.00"), Decimal("20.00"))
    kinds = [(k, a) for k, a, _, _ in world.ledger()]
    assert kinds[-1] == ("dispute", Decimal("30.00"))
    [alert] = world.alerts("payment_disputed")
    assert alert["amount"] == "30.00" and alert["reason"] == "fraudulent"
    assert dispute(world, EventKind.DISPUTE_OPENED, "evt_d2", 4) == "applied"  # same dispute
    assert figures(world) == (Decimal("30.00"), Decimal("20.00"))
    assert dispute(world, EventKind.DISPUTE_CLOSED, "evt_d3", 50, won=True) == "applied"
    # Won: the 30.00 comes back and settles what was owed again: 30.00 - 30.00 = 0 due.
    assert figures(world) == (Decimal("0.00"), Decimal("20.00"))
    assert [(k, a) for k, a, _, _ in world.ledger()][-1] == ("dispute_won", Decimal("30.00"))
    assert len(world.alerts("dispute_won")) == 1
    assert dispute(world, EventKind.DISPUTE_CLOSED, "evt_d4", 51, won=True) == "applied"
    assert figures(world) == (Decimal("0.00"), Decimal("20.00")), "won once"


def test_a_lost_dispute_stays_owed(world: World) -> None:
    world.pay("30.00", 1)
    dispute(world, EventKind.DISPUTE_OPENED, "evt_l1", 2)
    dispute(world, EventKind.DISPUTE_CLOSED, "evt_l2", 60, won=False)
    # Owed 30.00, credit 30.00 untouched: the balance total is 0, but nothing is settled.
    assert figures(world) == (Decimal("30.00"), Decimal("30.00"))
    [lost] = world.alerts("dispute_lost")
    assert lost["amount"] == "30.00"


def test_a_closing_that_arrives_before_the_opening_ends_the_same(world: World) -> None:
    world.pay("30.00", 1)
    dispute(world, EventKind.DISPUTE_CLOSED, "evt_o1", 2, won=True)
    dispute(world, EventKind.DISPUTE_OPENED, "evt_o2", 3)
    # Opened and won at once: 30.00 owed then settled; the late opening changes nothing.
    assert figures(world) == (Decimal("0.00"), Decimal("30.00"))
    kinds = [k for k, _, _, _ in world.ledger()]
    assert kinds.count("dispute") == 1 and kinds.count("dispute_won") == 1


# ---- the descriptor ------------------------------------------------------------------------


def test_the_descriptor_sent_with_a_charge_is_cut_to_the_processors_limit(
    store: SqlStore,
) -> None:
    world = World(store, domain="averyveryverylongcompanyname.example.com")
    world.pay("10.00", 1)
    # GSUITE_ (7) + AVERYVERYVERYLONGCOMPANYNAME (28) = 35 characters, cut to 22:
    # "GSUITE_" + the first 15 letters "AVERYVERYVERYLO".
    assert world.gateway.descriptors == ["GSUITE_AVERYVERYVERYLO"]
    assert len(world.gateway.descriptors[0]) == 22


# ---- reconciliation ------------------------------------------------------------------------

MAR_3 = datetime(2026, 3, 3, 0, 0, tzinfo=PACIFIC)
"""The run at 00:00 on Mar 3 reconciles Mar 2."""


def reconciliation_alerts(engine: Engine) -> list[list[dict[str, str]]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AlertRow.facts).where(AlertRow.kind == "reconciliation_difference")
        ).scalars()
        return [facts["differences"] for facts in rows]


def test_books_that_match_the_processor_raise_no_alert(world: World) -> None:
    world.pay("30.00", 1)
    world.refund("10.00", 2)
    assert Reconciler(world.store, world.gateway).run(MAR_3) == []
    assert reconciliation_alerts(world.store.engine) == []


def test_each_difference_is_alerted_once_for_its_day(world: World) -> None:
    world.pay("30.00", 1)  # Mar 2, 10:00
    world.pay("20.00", 2)  # Mar 2, 11:00
    first, second = world.charge_ids()
    engine = world.store.engine
    with engine.begin() as connection:
        # The processor took 21.00 for the second payment, which the books have as 20.00,
        connection.execute(
            update(SandboxChargeRow)
            .where(SandboxChargeRow.charge_id == second)
            .values(amount=Decimal("21.00"))
        )
        # and refunded 5.00 of the first that the books know nothing of.
        connection.execute(
            insert(SandboxRefundRow),
            {
                "key": "by-hand",
                "refund_id": "re_by_hand",
                "charge_id": first,
                "amount": Decimal("5.00"),
                "succeeded": True,
                "reason": None,
                "created_at": T0 + timedelta(hours=5),
            },
        )
    runner = Runner(
        world.store, T0, now=lambda: MAR_3, reconcile=Reconciler(world.store, world.gateway).run
    )
    runner.run_until(MAR_3)
    runner.run_reconcile(MAR_3)  # a second replica, or a restart: nothing twice
    Reconciler(world.store, world.gateway).run(MAR_3)  # even the job itself, run again
    assert reconciliation_alerts(engine) == [
        [
            {
                "what": "amount_differs",
                "kind": "payment",
                "id": second,
                "ledger": "20.00",
                "processor": "21.00",
            },
            {
                "what": "missing_in_ledger",
                "kind": "refund",
                "id": first,
                "ledger": "0.00",
                "processor": "5.00",
            },
        ]
    ]
    with engine.connect() as connection:
        runs = connection.execute(
            select(func.count()).select_from(JobRunRow).where(JobRunRow.job == "reconcile")
        ).scalar()
    assert runs == 1
    # The next day (Mar 3) has no movement: nothing more.
    assert Reconciler(world.store, world.gateway).run(MAR_3 + timedelta(days=1)) == []
