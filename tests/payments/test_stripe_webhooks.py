"""Stripe webhooks: signatures checked, each event type read in the domain's terms.

Payloads are written here by hand in Stripe's shapes and signed here with Stripe's scheme
(`t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`), computed with hmac, not with the stripe
package that the code under test uses. Two tests use localstripe: one plays the hosted card
page through the API and reads the card back, one has localstripe itself deliver signed events
to a small HTTP server here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from billing.gateway import Decline, EventKind, GatewayEvent, SavedCard
from payments.stripe_gateway import StripeGateway
from payments.stripe_webhooks import BadSignature, parse_event
from tests.payments.conftest import API_KEY, LocalStripe, Recorder

SECRET = "whsec_test_licensebot"
CREATED = 1796112000
"""2026-12-01 08:00:00 UTC (midnight in Los Angeles): 20788 days after 1970-01-01, plus 8 h."""
AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def sign(body: bytes, secret: str = SECRET, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event(kind: str, obj: dict[str, Any], event_id: str = "evt_test_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": CREATED,
            "livemode": False,
            "api_version": "2026-10-28.endive",
            "data": {"object": obj},
        }
    ).encode()


def parse(body: bytes, **options: Any) -> GatewayEvent | None:
    return parse_event(body, sign(body), SECRET, **options)


class Cards:
    """A card look-up with two cards, standing in for the gateway."""

    def __init__(self) -> None:
        self.cards = {"pm_test_visa": SavedCard("pm_test_visa", "visa", "4242", 2030, 12)}
        self.intents = {"seti_test_1": "pm_test_visa"}

    def payment_method(self, payment_method: str) -> SavedCard:
        return self.cards[payment_method]

    def setup_intent_payment_method(self, setup_intent: str) -> str | None:
        return self.intents.get(setup_intent)


INTENT = {
    "id": "pi_test_1",
    "object": "payment_intent",
    "amount": 1234,
    "currency": "usd",
    "customer": "cus_test_1",
    "status": "succeeded",
    "metadata": {"licensebot_key": "charge:F-2026-0042:1"},
}

# Signatures


def test_a_genuine_event_is_accepted() -> None:
    body = event("payment_intent.succeeded", INTENT)
    assert parse(body) is not None


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(lambda body: sign(body, secret="whsec_someone_else"), id="wrong secret"),
        pytest.param(lambda body: sign(body + b" "), id="other body"),
        pytest.param(lambda body: sign(body).replace("v1=", "v0="), id="other scheme"),
        pytest.param(lambda body: "t=1796112000,v1=" + "0" * 64, id="forged"),
        pytest.param(lambda body: sign(body, at=int(time.time()) - 301), id="stale"),
        pytest.param(lambda body: "garbage", id="garbled header"),
        pytest.param(lambda body: "", id="no header"),
    ],
)
def test_an_untrusted_signature_is_refused(header: Any) -> None:
    body = event("payment_intent.succeeded", INTENT)
    with pytest.raises(BadSignature):
        parse_event(body, header(body), SECRET)


def test_five_minutes_is_the_tolerance() -> None:
    body = event("payment_intent.succeeded", INTENT)
    four_minutes_old = sign(body, at=int(time.time()) - 240)
    assert parse_event(body, four_minutes_old, SECRET) is not None
    with pytest.raises(BadSignature):
        parse_event(body, four_minutes_old, SECRET, tolerance=60)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="not json"),
        pytest.param(b"\xff\xfe\x00", id="not utf-8"),
        pytest.param(b'{"hello": "world"}', id="not an event"),
        pytest.param(b'{"object": "event", "id": "evt_1", "type": "x"}', id="no data"),
        pytest.param(
            event("payment_intent.succeeded", {"id": "pi_1", "currency": "usd"}),
            id="no amount",
        ),
    ],
)
def test_a_signed_body_that_is_not_a_stripe_event_is_refused(body: bytes) -> None:
    with pytest.raises(BadSignature):
        parse(body)


def test_an_empty_secret_refuses_everything() -> None:
    body = event("payment_intent.succeeded", INTENT)
    with pytest.raises(BadSignature):
        parse_event(body, sign(body, secret=""), "")


# Each event the books use


def test_payment_succeeded() -> None:
    assert parse(event("payment_intent.succeeded", INTENT)) == GatewayEvent(
        id="evt_test_1",
        kind=EventKind.PAYMENT_SUCCEEDED,
        created=AT,
        processor_customer="cus_test_1",
        key="charge:F-2026-0042:1",
        charge_id="pi_test_1",
        amount=Decimal("12.34"),
        currency="USD",
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ({"code": "card_declined", "decline_code": "insufficient_funds"}, "insufficient_funds"),
        ({"code": "card_declined", "decline_code": "generic_decline"}, "card_declined"),
        ({"code": "expired_card"}, "expired_card"),
        ({"code": "authentication_required"}, "authentication_required"),
        ({"code": "processing_error"}, "processing_error"),
    ],
)
def test_payment_failed_with_its_reason(error: dict[str, str], reason: str) -> None:
    failed = {**INTENT, "status": "requires_payment_method", "last_payment_error": error}
    parsed = parse(event("payment_intent.payment_failed", failed))
    assert parsed is not None
    assert parsed.kind == EventKind.PAYMENT_FAILED
    assert parsed.reason == reason
    assert (parsed.key, parsed.charge_id, parsed.amount) == (
        "charge:F-2026-0042:1",
        "pi_test_1",
        Decimal("12.34"),
    )


def test_a_zero_decimal_currency_is_read_in_whole_units() -> None:
    yen = {**INTENT, "amount": 1500, "currency": "jpy"}
    parsed = parse(event("payment_intent.succeeded", yen))
    assert parsed is not None and (parsed.amount, parsed.currency) == (Decimal("1500"), "JPY")


def test_refunded_carries_the_total_refunded() -> None:
    charge = {
        "id": "ch_test_1",
        "object": "charge",
        "amount": 1234,
        "amount_refunded": 734,
        "currency": "usd",
        "customer": "cus_test_1",
        "payment_intent": "pi_test_1",
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [
                {
                    "id": "re_2",
                    "amount": 234,
                    "created": CREATED + 60,
                    "metadata": {"licensebot_key": "refund:7:2"},
                },
                {
                    "id": "re_1",
                    "amount": 500,
                    "created": CREATED,
                    "metadata": {"licensebot_key": "refund:7:1"},
                },
            ],
        },
    }
    assert parse(event("charge.refunded", charge)) == GatewayEvent(
        id="evt_test_1",
        kind=EventKind.REFUNDED,
        created=AT,
        processor_customer="cus_test_1",
        key="refund:7:2",
        charge_id="pi_test_1",
        amount=Decimal("7.34"),
        currency="USD",
    )


def test_refunded_without_the_refund_list_has_no_key() -> None:
    charge = {
        "id": "ch_test_1",
        "amount": 1234,
        "amount_refunded": 1234,
        "currency": "usd",
        "payment_intent": "pi_test_1",
    }
    parsed = parse(event("charge.refunded", charge))
    assert parsed is not None
    assert (parsed.key, parsed.charge_id, parsed.amount) == (None, "pi_test_1", Decimal("12.34"))


REFUND = {
    "id": "re_test_1",
    "object": "refund",
    "amount": 500,
    "currency": "usd",
    "charge": "ch_test_1",
    "payment_intent": "pi_test_1",
    "metadata": {"licensebot_key": "refund:7:1"},
}


@pytest.mark.parametrize("kind", ["charge.refund.updated", "refund.failed"])
def test_refund_failed_with_the_banks_reason(kind: str) -> None:
    failed = {**REFUND, "status": "failed", "failure_reason": "expired_or_canceled_card"}
    assert parse(event(kind, failed)) == GatewayEvent(
        id="evt_test_1",
        kind=EventKind.REFUND_FAILED,
        created=AT,
        key="refund:7:1",
        charge_id="pi_test_1",
        amount=Decimal("5.00"),
        currency="USD",
        reason="expired_or_canceled_card",
    )


METHOD = {
    "id": "pm_test_visa",
    "object": "payment_method",
    "type": "card",
    "customer": "cus_test_1",
    "card": {"brand": "visa", "last4": "4242", "exp_month": 3, "exp_year": 2031, "country": "US"},
}


@pytest.mark.parametrize("kind", ["payment_method.updated", "payment_method.automatically_updated"])
def test_a_card_updated_at_stripe(kind: str) -> None:
    assert parse(event(kind, METHOD)) == GatewayEvent(
        id="evt_test_1",
        kind=EventKind.PAYMENT_METHOD_UPDATED,
        created=AT,
        processor_customer="cus_test_1",
        card=SavedCard("pm_test_visa", "visa", "4242", 2031, 3),
    )


DISPUTE = {
    "id": "dp_test_1",
    "object": "dispute",
    "amount": 1234,
    "currency": "usd",
    "charge": "ch_test_1",
    "payment_intent": "pi_test_1",
    "reason": "fraudulent",
    "status": "needs_response",
}


def test_a_dispute_opened() -> None:
    assert parse(event("charge.dispute.created", DISPUTE)) == GatewayEvent(
        id="evt_test_1",
        kind=EventKind.DISPUTE_OPENED,
        created=AT,
        charge_id="pi_test_1",
        amount=Decimal("12.34"),
        currency="USD",
        reason="fraudulent",
    )


@pytest.mark.parametrize(
    ("status", "won"), [("won", True), ("lost", False), ("warning_closed", False)]
)
def test_a_dispute_closed_is_won_only_when_stripe_says_won(status: str, won: bool) -> None:
    parsed = parse(event("charge.dispute.closed", {**DISPUTE, "status": status}))
    assert parsed is not None
    assert (parsed.kind, parsed.won, parsed.charge_id) == (
        EventKind.DISPUTE_CLOSED,
        won,
        "pi_test_1",
    )


SESSION = {
    "id": "cs_test_1",
    "object": "checkout.session",
    "mode": "setup",
    "customer": "cus_test_1",
    "client_reference_id": "st-9f2c",
    "metadata": {"licensebot_state": "st-9f2c"},
    "setup_intent": "seti_test_1",
    "status": "complete",
}

VISA_4242 = SavedCard("pm_test_visa", "visa", "4242", 2030, 12)


def test_a_completed_checkout_setup_brings_its_state_and_card() -> None:
    assert parse(event("checkout.session.completed", SESSION), cards=Cards()) == GatewayEvent(
        id="evt_test_1",
        kind=EventKind.SETUP_COMPLETED,
        created=AT,
        processor_customer="cus_test_1",
        state="st-9f2c",
        card=VISA_4242,
    )


def test_a_setup_intent_succeeded_brings_its_state_and_card() -> None:
    intent = {
        "id": "seti_test_1",
        "object": "setup_intent",
        "customer": "cus_test_1",
        "payment_method": "pm_test_visa",
        "status": "succeeded",
        "metadata": {"licensebot_state": "st-9f2c"},
    }
    parsed = parse(event("setup_intent.succeeded", intent), cards=Cards())
    assert parsed is not None
    assert (parsed.kind, parsed.state, parsed.card) == (
        EventKind.SETUP_COMPLETED,
        "st-9f2c",
        VISA_4242,
    )
    # Without a look-up the card is not invented.
    bare = parse(event("setup_intent.succeeded", intent))
    assert bare is not None and bare.card is None and bare.state == "st-9f2c"


def test_the_state_falls_back_on_the_client_reference() -> None:
    session = {**SESSION, "metadata": {}}
    parsed = parse(event("checkout.session.completed", session), cards=Cards())
    assert parsed is not None and parsed.state == "st-9f2c"


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("customer.created", {"id": "cus_test_1", "object": "customer"}),
        ("invoice.paid", {"id": "in_test_1", "object": "invoice"}),
        ("payment_intent.created", INTENT),
        ("checkout.session.completed", {**SESSION, "mode": "payment"}),
        ("charge.refund.updated", {**REFUND, "status": "succeeded"}),
        ("payment_method.updated", {**METHOD, "type": "sepa_debit", "card": None}),
    ],
)
def test_events_the_books_do_not_use_are_ignored(kind: str, obj: dict[str, Any]) -> None:
    assert parse(event(kind, obj)) is None


# With localstripe


def test_the_hosted_page_played_through_the_api_brings_the_card_back(
    localstripe: LocalStripe, recorder: Recorder
) -> None:
    """What Checkout does on its page, done by hand: a SetupIntent for the customer carrying the
    state, confirmed with a test card. localstripe sends no setup_intent.succeeded event, so the
    event is built around the SetupIntent as localstripe returns it, and signed here; the card
    is then fetched from localstripe through the gateway."""
    gateway = StripeGateway(API_KEY, api_base=localstripe.url, http_client=recorder)
    customer = gateway.create_customer(11, "hosted.example")
    intent = localstripe.post(
        "/v1/setup_intents",
        {"customer": customer, "usage": "off_session", "metadata[licensebot_state]": "st-live"},
    )
    confirmed = localstripe.post(
        f"/v1/setup_intents/{intent['id']}/confirm",
        {
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "4242424242424242",
            "payment_method_data[card][exp_month]": "8",
            "payment_method_data[card][exp_year]": "2032",
            "payment_method_data[card][cvc]": "123",
        },
    )
    assert confirmed["status"] == "succeeded"

    parsed = parse(event("setup_intent.succeeded", confirmed), cards=gateway)

    assert parsed is not None
    assert parsed.kind == EventKind.SETUP_COMPLETED
    assert (parsed.state, parsed.processor_customer) == ("st-live", customer)
    assert parsed.card == SavedCard(confirmed["payment_method"], "visa", "4242", 2032, 8)

    session = {**SESSION, "customer": customer, "setup_intent": intent["id"]}
    from_session = parse(event("checkout.session.completed", session), cards=gateway)
    assert from_session is not None and from_session.card == parsed.card


class _Hooks(BaseHTTPRequestHandler):
    deliveries: queue.Queue[tuple[bytes, str]]

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.deliveries.put((self.rfile.read(length), self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[tuple[bytes, str]]]]:
    deliveries: queue.Queue[tuple[bytes, str]] = queue.Queue()
    handler = type("Hooks", (_Hooks,), {"deliveries": deliveries})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook", deliveries
    server.shutdown()
    server.server_close()


def test_events_localstripe_signs_and_delivers_are_read(
    fresh_localstripe: LocalStripe,
    recorder: Recorder,
    receiver: tuple[str, queue.Queue[tuple[bytes, str]]],
) -> None:
    url, deliveries = receiver
    fresh_localstripe.post(
        "/_config/webhooks/licensebot",
        [
            ("url", url),
            ("secret", SECRET),
            ("events[]", "payment_intent.succeeded"),
            ("events[]", "payment_intent.payment_failed"),
        ],
    )
    gateway = StripeGateway(API_KEY, api_base=fresh_localstripe.url, http_client=recorder)
    customer = gateway.create_customer(12, "hooks.example")
    good, bad = (
        fresh_localstripe.post(
            "/v1/payment_methods",
            {
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2030",
                "card[cvc]": "123",
            },
        )["id"]
        for number in ("4242424242424242", "4000000000000341")
    )
    paid = gateway.charge(customer, good, Decimal("12.34"), "USD", "charge:W-1:1", "GSUITE_W")
    gateway.charge(customer, bad, Decimal("3.00"), "USD", "charge:W-2:1", "GSUITE_W")

    events = []
    for _ in range(2):  # localstripe delivers about a second later
        body, header = deliveries.get(timeout=10)
        with pytest.raises(BadSignature):
            parse_event(body, header, "whsec_not_ours")
        events.append(parse_event(body, header, SECRET))

    by_key = {e.key: e for e in events if e is not None}
    succeeded, failed = by_key["charge:W-1:1"], by_key["charge:W-2:1"]
    assert (succeeded.kind, succeeded.charge_id, succeeded.amount, succeeded.currency) == (
        EventKind.PAYMENT_SUCCEEDED,
        paid.charge_id,
        Decimal("12.34"),
        "USD",
    )
    assert (failed.kind, failed.amount, failed.reason) == (
        EventKind.PAYMENT_FAILED,
        Decimal("3.00"),
        Decline.CARD_DECLINED,
    )
    assert succeeded.processor_customer == customer
    assert succeeded.created.tzinfo is not None
