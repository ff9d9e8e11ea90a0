"""Charges through the payment gateway (SPEC "Payments through a processor" 3-5): each sandbox
test card's outcome, declines with their reasons, and exactly one charge whatever fails
between sending it and recording its answer: a SIGKILL, an outage, a second worker."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.gateway import ChargeOutcome, GatewayUnavailable
from billing.model import ChargeStatus
from bot.config import retry_days
from bot.sandbox.card_page import AuthenticationPage
from bot.simulate import simulate
from bot.timeline import read_timeline
from payments.sandbox import SandboxGateway
from services.billing import Billing
from services.charging import Charger, backoff, sandbox_charger
from services.processor_events import Applied, ProcessorEvents
from storage.charges import SqlChargeQueue
from storage.models import ChargeRow, SandboxChargeRow, TransactionRow
from storage.store import SqlStore
from tests.support import (
    alerts_of,
    fresh_database,
    run,
    setup_card,
    signup,
    step,
    timeline,
)

ADA = Actor.slack("UADA")
T0 = datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC)
FEB_1 = "2026-02-01T00:00:00-08:00"


def january(last4: str, *more: dict[str, Any], until: str = FEB_1) -> dict[str, Any]:
    """25 annual licences at 60.00 from Jan 10, billing set up on the trial's first day:
    January's invoice (Jan 24..31) is 60 / 12 x 25 x 8 / 31 = 32.258... -> 32.26."""
    return timeline(
        signup("2026-01-10T09:00:00-08:00", "chrome", "annual", 25, "60.00"),
        setup_card("2026-01-10T10:00:00-08:00", last4=last4),
        *more,
        until=until,
    )


def failures(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(a["at"], a.get("reason")) for a in result["alerts"] if a["kind"] == "payment_failed"]


@pytest.mark.parametrize(
    ("last4", "reason"),
    [
        ("0002", "card_declined"),
        ("9995", "insufficient_funds"),
        ("3184", "authentication_required"),
        ("0341", "card_declined"),
    ],
)
def test_a_declining_test_card_fails_the_charge_with_its_reason(last4: str, reason: str) -> None:
    result = run(january(last4))
    assert failures(result) == [(FEB_1, reason)]
    assert [(t["kind"], t["amount"]) for t in result["transactions"]] == [("charge", "32.26")]
    assert result["balance"]["balance_due"] == "32.26"
    assert alerts_of(result, "payment_succeeded") == []


@pytest.mark.parametrize("last4", ["4242", "1881"])
def test_any_other_card_is_charged_at_the_instant_the_invoice_is_issued(last4: str) -> None:
    result = run(january(last4))
    assert [(t["at"], t["kind"], t["amount"]) for t in result["transactions"]] == [
        (FEB_1, "charge", "32.26"),
        (FEB_1, "payment", "32.26"),
    ]
    assert alerts_of(result, "payment_succeeded") == [(FEB_1, "payment_succeeded", None)]
    assert failures(result) == []


def test_a_card_past_its_expiry_month_is_a_hard_decline_never_retried() -> None:
    """Saved in January expiring 2026-01: at Feb 1 it has expired; no later job charges it."""
    result = run(
        timeline(
            signup("2026-01-10T09:00:00-08:00", "chrome", "annual", 25, "60.00"),
            setup_card("2026-01-10T10:00:00-08:00", expires="2026-01"),
            until="2026-02-06T00:00:00-08:00",
        )
    )
    assert failures(result) == [(FEB_1, "expired_card")]


def test_a_declined_manual_payment_pays_nothing_and_the_timeline_goes_on() -> None:
    """Settled detail 16: a payment declined by the card writes `payment_failed`, no row."""
    paid = "2026-01-20T10:00:00-08:00"
    result = run(
        january(
            "9995",
            step(paid, "pay", amount="25.00"),
            until="2026-01-21T00:00:00-08:00",
        )
    )
    assert failures(result) == [(paid, "insufficient_funds")]
    assert result["transactions"] == []
    assert result["balance"]["credit"] == "0.00"


def test_a_manual_payment_is_taken_through_the_gateway_once_per_order(
    billing: Billing, store: SqlStore, engine: Engine
) -> None:
    customer = billing.open_account("once.example", T0).id
    card = cmd.CardDetails(brand="visa", last4="4242", expires="2031-12")
    billing.order(customer, cmd.SetupBilling(card=card), at=T0, actor=ADA, key="card")
    pay = cmd.Pay(amount="25.00")  # type: ignore[arg-type]
    for _ in range(3):  # Slack retries, double clicks
        billing.order(customer, pay, at=T0, actor=ADA, key="pay-1")
    with engine.connect() as connection:
        taken = connection.execute(select(SandboxChargeRow.amount)).scalars().all()
        kinds = connection.execute(select(TransactionRow.kind)).scalars().all()
    assert taken == [Decimal("25.00")]
    assert kinds == ["payment", "credit"]  # nothing was due: all of it is credit


# ---- outages, timeouts and crashes ---------------------------------------------------------


class Outage:
    """The sandbox gateway behind a network that first loses `lost` requests."""

    def __init__(self, gateway: SandboxGateway, lost: int) -> None:
        self.gateway, self.lost, self.sent = gateway, lost, 0
        self.name, self.descriptor_limit = gateway.name, gateway.descriptor_limit
        self.keys: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.gateway, name)

    def charge(self, *args: Any) -> ChargeOutcome:
        self.sent += 1
        self.keys.append(args[4])
        if self.sent <= self.lost:
            raise GatewayUnavailable("timed out")
        return self.gateway.charge(*args)


def pending_payment(store: SqlStore, at: datetime = T0) -> int:
    """An account with a manual payment of 25.00 recorded and not yet sent."""
    billing = Billing(store)  # no worker: the charge waits in the queue
    customer = billing.open_account("outage.example", at).id
    card = cmd.CardDetails(brand="visa", last4="4242", expires="2031-12")
    billing.order(customer, cmd.SetupBilling(card=card), at=at, actor=ADA)
    billing.order(customer, cmd.Pay(amount="25.00"), at=at, actor=ADA, key="pay")  # type: ignore[arg-type]
    return customer


def test_an_outage_backs_off_resends_the_same_key_and_alerts_nobody(
    store: SqlStore, engine: Engine
) -> None:
    pending_payment(store)
    flaky = Outage(SandboxGateway(engine, lambda: T0), lost=2)
    clock = [T0]
    charger = Charger(store, SqlChargeQueue(store), flaky, lambda: clock[0])
    assert charger.run() == 0  # lost: sent again in 30 s, not before
    assert charger.run() == 0
    clock[0] = T0 + timedelta(seconds=30)
    assert charger.run() == 0  # lost again: now in a minute
    clock[0] = T0 + timedelta(seconds=89)
    assert charger.run() == 0
    clock[0] = T0 + timedelta(seconds=90)
    assert charger.run() == 1
    assert len(set(flaky.keys)) == 1 and flaky.sent == 3
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(SandboxChargeRow)).scalar() == 1
        kinds = connection.execute(select(TransactionRow.kind)).scalars().all()
    assert kinds == ["payment", "credit"]
    assert [a.kind for a in store.alerts(1)] == ["payment_succeeded"]


def test_the_back_off_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in range(4)] == [30, 60, 120, 240]
    assert backoff(40) == timedelta(hours=1)


def test_a_key_older_than_a_day_is_looked_up_before_it_is_sent_again(
    store: SqlStore, engine: Engine
) -> None:
    """Past the processor's key lifetime a resend could charge again: the charge found by
    its key at the processor is applied instead."""
    pending_payment(store)
    gateway = SandboxGateway(engine, lambda: T0)
    lost = Outage(gateway, lost=1)
    clock = [T0]
    charger = Charger(store, SqlChargeQueue(store), lost, lambda: clock[0])
    charger.run()  # no answer
    [key] = lost.keys
    gateway.charge("cus_sandbox_1", "pm_sandbox_visa_4242_203112", Decimal("25.00"), "USD", key, "")
    clock[0] = T0 + timedelta(hours=25)  # the processor did take it; its key has expired
    assert charger.run() == 1
    assert lost.sent == 1, "found by its key, not sent again"
    assert gateway.charges() == 1


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from billing.calendar import PACIFIC
    from payments.sandbox import SandboxGateway
    from services.charging import Charger
    from storage.charges import SqlChargeQueue
    from storage.db import make_engine
    from storage.store import SqlStore

    class DiesAfterCharging(SandboxGateway):
        def charge(self, *args):
            self_outcome = super().charge(*args)
            os.kill(os.getpid(), signal.SIGKILL)  # after the processor took it, before the books

    engine = make_engine(sys.argv[1])
    store = SqlStore(engine, workers=0)
    at = datetime(2026, 1, 10, 9, tzinfo=PACIFIC)
    Charger(store, SqlChargeQueue(store), DiesAfterCharging(engine, lambda: at), lambda: at).run()
    """
)


def test_sigkill_between_charging_and_recording_then_a_restart_charges_once(
    database: tuple[str, Engine],
) -> None:
    url, engine = database
    store = SqlStore(engine, workers=0)
    customer = pending_payment(store)
    died = subprocess.run(
        [sys.executable, "-c", CHILD, url], capture_output=True, text=True, timeout=60
    )
    assert died.returncode == -9, died.stderr
    with engine.connect() as connection:
        assert connection.execute(select(ChargeRow.status)).scalars().all() == ["pending"]
        assert connection.execute(select(func.count()).select_from(SandboxChargeRow)).scalar() == 1
    sandbox_charger(store, lambda: T0).run()  # the restarted worker
    with engine.connect() as connection:
        taken = connection.execute(select(SandboxChargeRow.amount)).scalars().all()
        statuses = connection.execute(select(ChargeRow.status)).scalars().all()
        payments = (
            connection.execute(
                select(TransactionRow.amount).where(TransactionRow.kind == "payment")
            )
            .scalars()
            .all()
        )
    assert taken == [Decimal("25.00")], "the processor charged once"
    assert statuses == [ChargeStatus.SUCCEEDED.value]
    assert payments == [Decimal("25.00")], "and the books recorded it once"
    assert [a.kind for a in store.alerts(customer)] == ["payment_succeeded"]


def scheduled(last4: str, days: tuple[int, ...]) -> list[tuple[str, str | None]]:
    with fresh_database() as engine:
        result = simulate(
            read_timeline(january(last4, until="2026-02-09T00:00:00-08:00")), engine, days
        )
    return failures(result)


def test_the_retry_schedule_charges_a_soft_decline_again_on_its_days() -> None:
    """LICENSEBOT_RETRY_DAYS=1,3: the invoice of Feb 1 is charged again at 00:00 on Feb 2 and
    Feb 4 (each a new attempt, each failure one alert); suspension stays on Feb 8."""
    assert scheduled("9995", (1, 3)) == [
        (FEB_1, "insufficient_funds"),
        ("2026-02-02T00:00:00-08:00", "insufficient_funds"),
        ("2026-02-04T00:00:00-08:00", "insufficient_funds"),
    ]


@pytest.mark.parametrize("last4", ["3184"])
def test_the_retry_schedule_leaves_a_charge_waiting_for_the_payer(last4: str) -> None:
    assert scheduled(last4, (1, 3, 5)) == [(FEB_1, "authentication_required")]


def test_the_retry_schedule_never_charges_an_expired_card_again() -> None:
    with fresh_database() as engine:
        document = timeline(
            signup("2026-01-10T09:00:00-08:00", "chrome", "annual", 25, "60.00"),
            setup_card("2026-01-10T10:00:00-08:00", expires="2026-01"),
            until="2026-02-09T00:00:00-08:00",
        )
        result = simulate(read_timeline(document), engine, (1, 3, 5))
    assert failures(result) == [(FEB_1, "expired_card")]


def test_without_a_retry_schedule_nothing_is_charged_again() -> None:
    """Settled detail 5, the default: no automatic retry but the one after a card change."""
    assert scheduled("0002", ()) == [(FEB_1, "card_declined")]


def test_the_retry_days_setting_is_read_strictly() -> None:
    assert retry_days("5, 1,3") == (1, 3, 5)
    assert retry_days("") == ()
    for bad in ("0", "7", "1;3", "x"):
        with pytest.raises(ValueError):
            retry_days(bad)


def test_a_charge_waiting_for_authentication_is_taken_once_the_payer_confirms_it(
    store: SqlStore, engine: Engine
) -> None:
    """SPEC 5: `authentication_required` waits for the admin, who completes it from the
    alert's link; the payment is then recorded when it was confirmed, once."""
    billing = Billing(store)
    customer = billing.open_account("confirm.example", T0).id
    card = cmd.CardDetails(brand="visa", last4="3184", expires="2031-12")
    billing.order(customer, cmd.SetupBilling(card=card), at=T0, actor=ADA)
    billing.order(customer, cmd.Pay(amount="25.00"), at=T0, actor=ADA, key="pay")  # type: ignore[arg-type]
    gateway = SandboxGateway(engine, lambda: T0, base_url="http://sandbox.test")
    Charger(store, SqlChargeQueue(store), gateway, lambda: T0).run()
    [failed] = store.alerts(customer)
    assert failed.kind == "payment_failed"
    assert failed.facts["reason"] == "authentication_required"
    url = failed.facts["action_url"]
    assert url.startswith("http://sandbox.test/sandbox/authenticate?charge=ch_sandbox_")
    charge_id = url.split("charge=")[1]
    confirmed = T0 + timedelta(hours=2)
    event = gateway.authenticate(charge_id, confirmed)
    assert event is not None
    events = ProcessorEvents(store, billing, "sandbox")
    assert events.apply(event, confirmed) is Applied.APPLIED
    assert events.apply(event, confirmed) is Applied.DUPLICATE
    assert gateway.authenticate(charge_id, confirmed) is None, "confirmed once"
    with engine.connect() as connection:
        paid = connection.execute(
            select(TransactionRow.at, TransactionRow.kind, TransactionRow.amount)
        ).all()
    assert [(at, kind, amount) for at, kind, amount in paid] == [
        (confirmed, "payment", Decimal("25.00")),
        (confirmed, "credit", Decimal("25.00")),
    ]
    assert [a.kind for a in store.alerts(customer)] == ["payment_failed", "payment_succeeded"]


def call(page: Any, method: str, query: str = "", body: bytes = b"") -> tuple[str, str]:
    """A WSGI request to a page: its status and its HTML."""
    import io

    said: list[str] = []
    environ = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    answer = b"".join(page(environ, lambda status, headers: said.append(status)))
    return said[0], answer.decode()


def test_the_sandbox_banks_page_confirms_a_payment_once(store: SqlStore, engine: Engine) -> None:
    billing = Billing(store)
    customer = billing.open_account("bank.example", T0).id
    card = cmd.CardDetails(brand="visa", last4="3184", expires="2031-12")
    billing.order(customer, cmd.SetupBilling(card=card), at=T0, actor=ADA)
    billing.order(customer, cmd.Pay(amount="25.00"), at=T0, actor=ADA, key="pay")  # type: ignore[arg-type]
    gateway = SandboxGateway(engine, lambda: T0, base_url="http://sandbox.test")
    Charger(store, SqlChargeQueue(store), gateway, lambda: T0).run()
    charge = store.alerts(customer)[0].facts["action_url"].split("charge=")[1]
    page = AuthenticationPage(gateway, ProcessorEvents(store, billing, "sandbox"), lambda: T0)
    status, shown = call(page, "GET", f"charge={charge}")
    assert status == "200 OK" and "confirm a payment of <strong>$25.00</strong>" in shown
    status, shown = call(page, "POST", body=f"charge={charge}".encode())
    assert status == "200 OK" and "Payment confirmed" in shown
    assert call(page, "POST", body=f"charge={charge}".encode())[0] == "404 Not Found"
    assert call(page, "GET", "charge=ch_forged")[0] == "404 Not Found"
    with engine.connect() as connection:
        kinds = connection.execute(select(TransactionRow.kind)).scalars().all()
    assert kinds == ["payment", "credit"]
