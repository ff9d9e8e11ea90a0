"""POST /stripe/webhook on the bot's real HTTP server (SPEC "Payments through a processor" 7):
each verified event applied once; forged, stale, replayed, duplicated and out-of-order
events change nothing twice."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine, func, select

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.gateway import SavedCard
from billing.model import Card
from billing.payments import save_card
from bot.server import HttpServer, serve
from bot.webhooks import PATH, stripe_webhook
from services.billing import Billing
from services.processor_events import ProcessorEvents
from storage.models import (
    AuditRow,
    ChargeRow,
    PaymentMethodRow,
    ProcessorEventRow,
    RefundRow,
    TransactionRow,
)
from storage.store import SqlStore
from tests.payments.test_stripe_webhooks import SECRET, sign
from tests.test_card_entry import card_entry, state_of

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC)
ADA = Actor.slack("UADA")


@pytest.fixture
def server(store: SqlStore, billing: Billing) -> Iterator[HttpServer]:
    events = ProcessorEvents(store, billing, "stripe")
    app = App(token="xoxb-test", signing_secret="s", token_verification_enabled=False)
    routes = {PATH: stripe_webhook(events, SECRET, None, lambda: datetime.now(UTC))}
    running = serve(app, store.engine, "s", 0, host="127.0.0.1", routes=routes).start()
    yield running
    running.stop()


def post(server: HttpServer, body: bytes, signature: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{PATH}",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode().strip()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode().strip()


def event(kind: str, obj: dict[str, Any], event_id: str, created: int | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": created or int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()


def waiting_payment(store: SqlStore) -> tuple[int, str]:
    """A manual payment of 25.00 recorded, its charge not answered yet (a Stripe
    PaymentIntent still processing): its customer and idempotency key."""
    billing = Billing(store)  # no worker: the answer will come by webhook
    customer = billing.open_account("hooks.example", T0).id
    card = cmd.CardDetails(brand="visa", last4="4242", expires="2031-12")
    billing.order(customer, cmd.SetupBilling(card=card), at=T0, actor=ADA)
    billing.order(customer, cmd.Pay(amount="25.00"), at=T0, actor=ADA, key="pay")  # type: ignore[arg-type]
    with store.engine.connect() as connection:
        key = connection.execute(select(ChargeRow.key)).scalar_one()
    return customer, key


def intent(key: str, **more: Any) -> dict[str, Any]:
    return {
        "id": "pi_test_1",
        "object": "payment_intent",
        "amount": 2500,
        "currency": "usd",
        "customer": "cus_test_1",
        "metadata": {"licensebot_key": key},
        **more,
    }


def books(engine: Engine) -> tuple[list[str], list[str], int]:
    with engine.connect() as connection:
        kinds = connection.execute(select(TransactionRow.kind)).scalars().all()
        statuses = connection.execute(select(ChargeRow.status)).scalars().all()
        seen = connection.execute(select(func.count()).select_from(ProcessorEventRow)).scalar()
    return list(kinds), list(statuses), int(seen or 0)


def test_a_payment_succeeded_event_settles_the_charge_once_however_often_it_comes(
    server: HttpServer, store: SqlStore, engine: Engine
) -> None:
    _, key = waiting_payment(store)
    body = event("payment_intent.succeeded", intent(key, status="succeeded"), "evt_1")
    assert post(server, body, sign(body)) == (200, "applied")
    assert post(server, body, sign(body)) == (200, "duplicate")  # redelivered
    # the same news under another event id (Stripe sends both kinds): nothing twice
    again = event("payment_intent.succeeded", intent(key, status="succeeded"), "evt_2")
    assert post(server, again, sign(again)) == (200, "applied")
    late = event(  # out of order: a failure reported after the success
        "payment_intent.payment_failed",
        intent(key, last_payment_error={"code": "card_declined"}),
        "evt_3",
    )
    assert post(server, late, sign(late)) == (200, "applied")
    kinds, statuses, seen = books(engine)
    assert kinds == ["payment", "credit"]  # 25.00 taken, nothing due: all of it credit
    assert statuses == ["succeeded"]
    assert seen == 3
    assert [a.kind for a in store.alerts(1)] == ["payment_succeeded"]


@pytest.mark.parametrize(
    "signature",
    [
        lambda body: sign(body, secret="whsec_someone_else"),
        lambda body: sign(body, at=int(time.time()) - 301),  # older than five minutes
        lambda body: "t=1,v1=00",
        lambda body: "",
    ],
    ids=["forged", "stale", "garbled", "missing"],
)
def test_an_event_that_is_not_verified_is_a_400_and_changes_nothing(
    server: HttpServer, store: SqlStore, engine: Engine, signature: Any
) -> None:
    _, key = waiting_payment(store)
    body = event("payment_intent.succeeded", intent(key, status="succeeded"), "evt_1")
    assert post(server, body, signature(body)) == (400, "invalid signature")
    assert books(engine) == ([], ["pending"], 0)


def test_a_new_expiry_from_the_card_network_updates_the_card_on_file(
    server: HttpServer, store: SqlStore, engine: Engine
) -> None:
    customer = Billing(store).open_account("network.example", T0).id
    with store.account(customer) as account:
        card = Card("visa", "4242", 2027, 1, payment_method="pm_test_visa")
        save_card(account, card, T0, retry_after=timedelta(hours=4))
    method = {
        "id": "pm_test_visa",
        "object": "payment_method",
        "type": "card",
        "customer": "cus_test_1",
        "card": {"brand": "visa", "last4": "4242", "exp_month": 3, "exp_year": 2031},
    }
    body = event("payment_method.automatically_updated", method, "evt_card")
    assert post(server, body, sign(body)) == (200, "applied")
    assert post(server, body, sign(body)) == (200, "duplicate")
    with store.account(customer, write=False) as account:
        assert account.card is not None
        assert (account.card.exp_year, account.card.exp_month) == (2031, 3)
        assert account.card.payment_method == "pm_test_visa"
    with engine.connect() as connection:
        actions = connection.execute(select(AuditRow.action)).scalars().all()
    assert actions.count("card_updated") == 1


def test_an_event_about_nothing_the_bot_sent_is_ignored(server: HttpServer, engine: Engine) -> None:
    body = event("payment_intent.succeeded", intent("someone-else:1", status="succeeded"), "e")
    assert post(server, body, sign(body)) == (200, "ignored")
    assert books(engine) == ([], [], 0)


def test_refund_failed_and_dispute_events_through_the_endpoint(
    server: HttpServer, store: SqlStore, engine: Engine
) -> None:
    """SPEC 8-9 through the real endpoint: a refund that fails later puts the credit back; a
    dispute makes the payment owed again until it is won."""
    customer, key = waiting_payment(store)
    paid = event("payment_intent.succeeded", intent(key, status="succeeded"), "evt_p")
    assert post(server, paid, sign(paid)) == (200, "applied")
    billing = Billing(store)  # no worker: the refund waits, as if Stripe said "pending"
    billing.order(customer, cmd.RefundCredit(amount="10.00"), at=T0, actor=ADA, key="r")  # type: ignore[arg-type]
    with engine.connect() as connection:
        refund_key = connection.execute(select(RefundRow.key)).scalar_one()
    failed = {
        "id": "re_test_1",
        "object": "refund",
        "status": "failed",
        "amount": 1000,
        "currency": "usd",
        "payment_intent": "pi_test_1",
        "failure_reason": "lost_or_stolen_card",
        "metadata": {"licensebot_key": refund_key},
    }
    body = event("charge.refund.updated", failed, "evt_rf")
    assert post(server, body, sign(body)) == (200, "applied")
    assert post(server, body, sign(body)) == (200, "duplicate")
    # 25.00 of credit, 10.00 reserved for the refund, then put back: 25.00.
    assert billing.balance(customer, T0).credit == Decimal("25.00")
    with engine.connect() as connection:
        assert connection.execute(select(RefundRow.status)).scalar_one() == "failed"

    def disputed(kind: str, event_id: str, **more: Any) -> bytes:
        obj = {
            "id": "dp_test_1",
            "object": "dispute",
            "amount": 2500,
            "currency": "usd",
            "payment_intent": "pi_test_1",
            "reason": "fraudulent",
            **more,
        }
        return event(kind, obj, event_id)

    opened = disputed("charge.dispute.created", "evt_do", status="needs_response")
    assert post(server, opened, sign(opened)) == (200, "applied")
    # The disputed 25.00 is owed again; the 25.00 of credit stays as it was.
    balance = billing.balance(customer, T0 + timedelta(hours=1))
    assert (balance.balance_due, balance.credit) == (Decimal("25.00"), Decimal("25.00"))
    won = disputed("charge.dispute.closed", "evt_dc", status="won")
    assert post(server, won, sign(won)) == (200, "applied")
    balance = billing.balance(customer, T0 + timedelta(hours=2))
    assert (balance.balance_due, balance.credit) == (Decimal("0.00"), Decimal("25.00"))
    kinds = [a.kind for a in store.alerts(customer)]
    assert kinds.count("refund_failed") == 1
    assert kinds.count("payment_disputed") == 1 and kinds.count("dispute_won") == 1


class Cards:
    """The Stripe gateway's card look-up, as the parser uses it."""

    def payment_method(self, payment_method: str) -> SavedCard:
        assert payment_method == "pm_test_visa"
        return SavedCard("pm_test_visa", "visa", "4242", 2030, 12)

    def setup_intent_payment_method(self, setup_intent: str) -> str | None:
        return "pm_test_visa" if setup_intent == "seti_test_1" else None


def test_a_card_entered_on_the_processors_page_is_saved_once(
    store: SqlStore, billing: Billing, engine: Engine
) -> None:
    """Checkout in setup mode completes: its signed event saves the card for the link's
    account, with the processor's payment-method id; a redelivery saves nothing more."""
    entry = card_entry(store)
    customer = billing.open_account("entry.example", T0).id
    now = datetime.now(UTC)
    state = state_of(entry.start(customer, "UADA", "setup_billing", now))
    events = ProcessorEvents(store, billing, "stripe", entry)
    app = App(token="xoxb-test", signing_secret="s", token_verification_enabled=False)
    routes = {PATH: stripe_webhook(events, SECRET, Cards(), lambda: datetime.now(UTC))}
    running = serve(app, store.engine, "s", 0, host="127.0.0.1", routes=routes).start()
    try:
        session = {
            "id": "cs_test_1",
            "object": "checkout.session",
            "mode": "setup",
            "setup_intent": "seti_test_1",
            "client_reference_id": state,
            "metadata": {"licensebot_state": state},
        }
        body = event("checkout.session.completed", session, "evt_setup")
        assert post(running, body, sign(body)) == (200, "applied")
        assert post(running, body, sign(body)) == (200, "duplicate")
    finally:
        running.stop()
    with engine.connect() as connection:
        cards = connection.execute(
            select(
                PaymentMethodRow.brand, PaymentMethodRow.last4, PaymentMethodRow.processor_method
            )
        ).all()
    assert [tuple(c) for c in cards] == [("visa", "4242", "pm_test_visa")]
