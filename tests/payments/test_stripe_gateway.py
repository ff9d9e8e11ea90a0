"""The Stripe adapter against a real localstripe server (started by conftest), with every
request it sends recorded and checked against the stripe package's documented parameters.

Expected figures are written by hand: 12.34 USD is 1234 cents; a 22-character descriptor is
counted here, not taken from the program. Where localstripe cannot give an answer that Stripe
documents (insufficient funds, an expired card, an over-refund, a Checkout Session, an
outage), the Recorder answers with that documented body and the real stripe package parses it.
"""

from __future__ import annotations

import logging
import re
import socket
import sys
import time
import types
import typing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ForwardRef, Literal, NotRequired, Required, Union, get_args, get_origin

import pytest
import stripe
import stripe.params
from stripe._stripe_object import UntypedStripeObject
from typing_extensions import is_typeddict

from billing.gateway import ChargeOutcome, Decline, GatewayUnavailable, SavedCard
from payments.stripe_gateway import StripeGateway, decline_reason, major_units, minor_units
from tests.payments.conftest import (
    API_KEY,
    CardMaker,
    LocalStripe,
    Recorder,
    Sent,
    free_port,
)

VISA = "4242424242424242"
DECLINED_AT_CHARGE = "4000000000000341"  # attaches, then every charge is declined
AUTHENTICATE = "4000002760003184"  # always asks for 3-D Secure
AUTHENTICATE_ONCE = "4000002500003155"  # asks for 3-D Secure unless set up off-session

# Amounts and money


@pytest.mark.parametrize(
    ("amount", "currency", "cents"),
    [
        ("12.34", "USD", 1234),
        ("10", "usd", 1000),
        ("0.50", "EUR", 50),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("99999.99", "USD", 9999999),
    ],
)
def test_amounts_become_exact_minor_units(amount: str, currency: str, cents: int) -> None:
    assert minor_units(Decimal(amount), currency) == cents
    assert major_units(cents, currency) == Decimal(amount)


@pytest.mark.parametrize(("amount", "currency"), [("12.345", "USD"), ("0.5", "JPY")])
def test_an_amount_finer_than_the_currency_is_refused_not_rounded(
    amount: str, currency: str
) -> None:
    with pytest.raises(ValueError):
        minor_units(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("code", "decline_code", "reason"),
    [
        ("card_declined", None, Decline.CARD_DECLINED),
        ("card_declined", "generic_decline", Decline.CARD_DECLINED),
        ("card_declined", "insufficient_funds", Decline.INSUFFICIENT_FUNDS),
        ("card_declined", "do_not_honor", Decline.CARD_DECLINED),
        ("expired_card", None, Decline.EXPIRED_CARD),
        ("card_declined", "expired_card", Decline.EXPIRED_CARD),
        ("processing_error", None, Decline.PROCESSING_ERROR),
        ("authentication_required", "authentication_required", Decline.AUTHENTICATION_REQUIRED),
        ("card_declined", "authentication_required", Decline.AUTHENTICATION_REQUIRED),
        ("incorrect_cvc", None, Decline.CARD_DECLINED),
        (None, None, Decline.CARD_DECLINED),
    ],
)
def test_stripe_decline_codes_map_onto_specs(
    code: str | None, decline_code: str | None, reason: Decline
) -> None:
    assert decline_reason(code, decline_code) == reason


# Charges on localstripe


def test_a_good_card_is_charged_off_session_in_cents(
    gateway: StripeGateway,
    recorder: Recorder,
    customer: str,
    card: CardMaker,
    localstripe: LocalStripe,
) -> None:
    pm = card(VISA)
    outcome = gateway.charge(
        customer, pm, Decimal("12.34"), "USD", "charge:F-1:1", "GSUITE_EXAMPLE"
    )

    assert outcome.succeeded
    assert outcome.key == "charge:F-1:1"
    assert outcome.amount == Decimal("12.34")
    assert outcome.reason is None
    assert outcome.charge_id is not None and outcome.charge_id.startswith("pi_")
    [sent] = recorder.requests_to("POST", "/v1/payment_intents")
    assert sent.params == {
        "amount": "1234",
        "currency": "usd",
        "customer": customer,
        "payment_method": pm,
        "off_session": "true",
        "confirm": "true",
        "statement_descriptor_suffix": "GSUITE_EXAMPLE",
        "metadata": {"licensebot_key": "charge:F-1:1"},
    }
    assert sent.idempotency_key == "charge:F-1:1"
    # The server's own books agree.
    intent = localstripe.get(f"/v1/payment_intents/{outcome.charge_id}")
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 1234, "usd")


def test_the_descriptor_is_cut_to_stripes_22_characters(
    gateway: StripeGateway, recorder: Recorder, customer: str, card: CardMaker
) -> None:
    assert gateway.descriptor_limit == 22
    gateway.charge(
        customer,
        card(VISA),
        Decimal("1.00"),
        "USD",
        "charge:F-2:1",
        "GSUITE_averyveryverylongdomain",
    )
    [sent] = recorder.requests_to("POST", "/v1/payment_intents")
    assert sent.params["statement_descriptor_suffix"] == "GSUITE_averyveryverylo"
    assert "statement_descriptor" not in sent.params


def test_a_card_declined_at_charge_is_a_decline_not_an_error(
    gateway: StripeGateway, customer: str, card: CardMaker
) -> None:
    outcome = gateway.charge(
        customer, card(DECLINED_AT_CHARGE), Decimal("12.34"), "USD", "charge:F-3:1", "GSUITE_X"
    )
    assert not outcome.succeeded
    assert outcome.reason == Decline.CARD_DECLINED
    assert outcome.amount == Decimal("12.34")


@pytest.mark.parametrize("number", [AUTHENTICATE, AUTHENTICATE_ONCE])
def test_a_card_that_needs_authentication_waits_for_the_payer(
    gateway: StripeGateway, customer: str, card: CardMaker, number: str
) -> None:
    outcome = gateway.charge(
        customer, card(number), Decimal("12.34"), "USD", f"charge:F-4-{number}:1", "GSUITE_X"
    )
    assert not outcome.succeeded
    assert outcome.reason == Decline.AUTHENTICATION_REQUIRED
    assert outcome.charge_id is not None and outcome.charge_id.startswith("pi_")
    # localstripe asks for Stripe.js (use_stripe_sdk), not a page: there is no link to give.
    assert outcome.action_url is None


def test_a_charge_stripe_refuses_outright_fails_as_processing_error(
    gateway: StripeGateway, customer: str
) -> None:
    outcome = gateway.charge(
        customer, "pm_nosuchcard", Decimal("12.34"), "USD", "charge:F-5:1", "GSUITE_X"
    )
    assert (outcome.succeeded, outcome.reason) == (False, Decline.PROCESSING_ERROR)


# Stripe's documented answers that localstripe never gives


def _card_error(
    code: str, decline_code: str | None, intent: dict[str, Any] | None
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "type": "card_error",
        "code": code,
        "message": "Your card was declined.",
    }
    if decline_code:
        error["decline_code"] = decline_code
    if intent:
        error["payment_intent"] = intent
    return {"error": error}


def _intent(pi: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": pi,
        "object": "payment_intent",
        "amount": 1234,
        "currency": "usd",
        "status": status,
        "created": 1796112000,
        "metadata": {"licensebot_key": "charge:F-6:1"},
        **extra,
    }


@pytest.mark.parametrize(
    ("code", "decline_code", "reason"),
    [
        ("card_declined", "insufficient_funds", Decline.INSUFFICIENT_FUNDS),  # 4000000000009995
        ("expired_card", "expired_card", Decline.EXPIRED_CARD),  # 4000000000000069
        ("processing_error", "processing_error", Decline.PROCESSING_ERROR),  # 4000000000000119
        ("authentication_required", "authentication_required", Decline.AUTHENTICATION_REQUIRED),
        ("card_declined", "lost_card", Decline.CARD_DECLINED),  # 4000000000009987
    ],
)
def test_stripes_card_errors_become_declines_keeping_the_payment_intent(
    gateway: StripeGateway, recorder: Recorder, code: str, decline_code: str, reason: Decline
) -> None:
    failed = _intent("pi_test_declined", "requires_payment_method")
    recorder.answer("POST", "/v1/payment_intents", 402, _card_error(code, decline_code, failed))

    outcome = gateway.charge("cus_x", "pm_x", Decimal("12.34"), "USD", "charge:F-6:1", "GSUITE_X")

    assert outcome == ChargeOutcome(
        "charge:F-6:1", False, Decimal("12.34"), charge_id="pi_test_declined", reason=reason
    )


def test_an_authentication_page_stripe_gives_becomes_the_action_url(
    gateway: StripeGateway, recorder: Recorder
) -> None:
    page = "https://hooks.stripe.com/3d_secure_2/hosted?intent=pi_test_3ds"
    waiting = _intent(
        "pi_test_3ds",
        "requires_action",
        next_action={"type": "redirect_to_url", "redirect_to_url": {"url": page}},
    )
    recorder.answer("POST", "/v1/payment_intents", 200, waiting)

    outcome = gateway.charge("cus_x", "pm_x", Decimal("12.34"), "USD", "charge:F-6:1", "GSUITE_X")

    assert outcome.reason == Decline.AUTHENTICATION_REQUIRED
    assert outcome.action_url == page
    assert outcome.charge_id == "pi_test_3ds"


# Outages: never a decline


def _gateway_nobody_answers(recorder: Recorder) -> StripeGateway:
    return StripeGateway(API_KEY, api_base=f"http://127.0.0.1:{free_port()}", http_client=recorder)


_EVERY_CALL = {
    "charge": lambda g: g.charge("cus_x", "pm_x", Decimal("1.00"), "USD", "charge:F-7:1", "X"),
    "refund": lambda g: g.refund("pi_x", Decimal("1.00"), "USD", "refund:F-7"),
    "find_charge": lambda g: g.find_charge("charge:F-7:1"),
    "payments": lambda g: g.payments(
        datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    ),
    "create_customer": lambda g: g.create_customer(7, "example.com"),
    "payment_method": lambda g: g.payment_method("pm_x"),
    "card_entry_url": lambda g: g.card_entry_url("cus_x", "state-1", "https://bot.example/back"),
}


@pytest.mark.parametrize("call", sorted(_EVERY_CALL))
def test_nobody_listening_is_unavailable(recorder: Recorder, call: str) -> None:
    with pytest.raises(GatewayUnavailable):
        _EVERY_CALL[call](_gateway_nobody_answers(recorder))


def test_a_server_that_stops_between_two_charges(
    fresh_localstripe: LocalStripe, recorder: Recorder
) -> None:
    gateway = StripeGateway(API_KEY, api_base=fresh_localstripe.url, http_client=recorder)
    customer = gateway.create_customer(8, "example.org")
    method = fresh_localstripe.post(
        "/v1/payment_methods",
        {
            "type": "card",
            "card[number]": VISA,
            "card[exp_month]": "12",
            "card[exp_year]": "2030",
            "card[cvc]": "123",
        },
    )["id"]
    first = gateway.charge(customer, method, Decimal("5.00"), "USD", "charge:F-8:1", "X")
    assert first.succeeded

    fresh_localstripe.stop()
    with pytest.raises(GatewayUnavailable):
        gateway.charge(customer, method, Decimal("5.00"), "USD", "charge:F-9:1", "X")


@pytest.mark.parametrize(("status", "times"), [(500, 3), (503, 3), (429, 1), (409, 3)])
def test_stripe_errors_that_say_nothing_about_the_charge_are_unavailable(
    gateway: StripeGateway, recorder: Recorder, status: int, times: int
) -> None:
    body = {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
    for _ in range(times):  # the stripe package retries 5xx and 409 twice
        recorder.answer("POST", "/v1/payment_intents", status, body)
    with pytest.raises(GatewayUnavailable):
        gateway.charge("cus_x", "pm_x", Decimal("1.00"), "USD", "charge:F-10:1", "X")
    assert len(recorder.requests_to("POST", "/v1/payment_intents")) == times


def test_a_timeout_is_unavailable() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        gateway = StripeGateway(
            API_KEY,
            api_base=f"http://127.0.0.1:{port}",
            max_network_retries=0,
            http_client=Recorder(timeout=0.3),
        )
        started = time.monotonic()
        with pytest.raises(GatewayUnavailable):
            gateway.charge("cus_x", "pm_x", Decimal("1.00"), "USD", "charge:F-11:1", "X")
        assert time.monotonic() - started < 3


# Idempotency, on the adapter's side (localstripe ignores the header)


def test_network_retries_resend_the_same_key_and_charge_once(
    gateway: StripeGateway, recorder: Recorder, customer: str, card: CardMaker
) -> None:
    pm = card(VISA)
    recorder.refuse("POST", "/v1/payment_intents")
    recorder.answer("POST", "/v1/payment_intents", 500, {"error": {"type": "api_error"}})

    outcome = gateway.charge(customer, pm, Decimal("12.34"), "USD", "charge:F-12:1", "X")

    assert outcome.succeeded
    sent = recorder.requests_to("POST", "/v1/payment_intents")
    assert [s.idempotency_key for s in sent] == ["charge:F-12:1"] * 3
    assert sent[0].params == sent[1].params == sent[2].params


def test_an_attempt_resent_after_an_outage_carries_its_key_again(
    gateway: StripeGateway, recorder: Recorder, customer: str, card: CardMaker
) -> None:
    pm = card(VISA)
    recorder.refuse("POST", "/v1/payment_intents", times=3)
    with pytest.raises(GatewayUnavailable):
        gateway.charge(customer, pm, Decimal("12.34"), "USD", "charge:F-13:1", "X")
    again = gateway.charge(customer, pm, Decimal("12.34"), "USD", "charge:F-13:1", "X")
    retry = gateway.charge(customer, pm, Decimal("12.34"), "USD", "charge:F-13:2", "X")

    assert again.succeeded and retry.succeeded
    keys = [s.idempotency_key for s in recorder.requests_to("POST", "/v1/payment_intents")]
    assert keys == ["charge:F-13:1"] * 4 + ["charge:F-13:2"]


def test_customers_refunds_and_card_entry_carry_their_keys(
    gateway: StripeGateway, recorder: Recorder, customer: str, card: CardMaker
) -> None:
    charged = gateway.charge(customer, card(VISA), Decimal("3.00"), "USD", "charge:F-14:1", "X")
    assert charged.charge_id is not None
    gateway.refund(charged.charge_id, Decimal("1.00"), "USD", "refund:F-14:1")
    recorder.answer("POST", "/v1/checkout/sessions", 200, _session("cs_test_keys"))
    gateway.card_entry_url(customer, "st-14", "https://bot.example/back")

    assert [s.idempotency_key for s in recorder.requests_to("POST", "/v1/customers")] == [
        "customer:7"
    ]
    assert [s.idempotency_key for s in recorder.requests_to("POST", "/v1/refunds")] == [
        "refund:F-14:1"
    ]
    assert [s.idempotency_key for s in recorder.requests_to("POST", "/v1/checkout/sessions")] == [
        "card-entry:st-14"
    ]


# Customers, card entry, cards


def test_a_customer_is_created_with_the_accounts_id_and_domain(
    gateway: StripeGateway, recorder: Recorder, localstripe: LocalStripe
) -> None:
    processor_customer = gateway.create_customer(41, "acme.example")

    [sent] = recorder.requests_to("POST", "/v1/customers")
    assert sent.params == {"description": "acme.example", "metadata": {"licensebot_customer": "41"}}
    stored = localstripe.get(f"/v1/customers/{processor_customer}")
    assert stored["metadata"] == {"licensebot_customer": "41"}


def _session(session_id: str) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "setup",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
    }


def test_card_entry_is_a_checkout_session_in_setup_mode(
    gateway: StripeGateway, recorder: Recorder
) -> None:
    # localstripe has no Checkout: the answer is Stripe's, the request is checked exactly.
    recorder.answer("POST", "/v1/checkout/sessions", 200, _session("cs_test_a1"))

    url = gateway.card_entry_url("cus_A1", "st-9f2c", "https://bot.example/card?team=T1")

    assert url == "https://checkout.stripe.com/c/pay/cs_test_a1"
    [sent] = recorder.requests_to("POST", "/v1/checkout/sessions")
    assert sent.params == {
        "mode": "setup",
        "customer": "cus_A1",
        "currency": "usd",
        "allowed_payment_method_types": ["card"],
        "success_url": "https://bot.example/card?team=T1&card_entry=done",
        "cancel_url": "https://bot.example/card?team=T1&card_entry=cancelled",
        "client_reference_id": "st-9f2c",
        "metadata": {"licensebot_state": "st-9f2c"},
        "setup_intent_data": {"metadata": {"licensebot_state": "st-9f2c"}},
    }


def test_a_card_saved_before_stripe_is_never_adopted(gateway: StripeGateway) -> None:
    assert gateway.adopt("visa", "4242", 2030, 12) is None


def test_a_payment_method_is_read_as_the_card_the_bot_keeps(
    gateway: StripeGateway, card: CardMaker
) -> None:
    pm = card(AUTHENTICATE_ONCE, exp_month=2, exp_year=2031)
    assert gateway.payment_method(pm) == SavedCard(pm, "visa", "3155", 2031, 2)


# Refunds


def test_partial_then_full_refund(
    gateway: StripeGateway,
    recorder: Recorder,
    customer: str,
    card: CardMaker,
    localstripe: LocalStripe,
) -> None:
    charged = gateway.charge(customer, card(VISA), Decimal("12.34"), "USD", "charge:F-15:1", "X")
    assert charged.charge_id is not None

    part = gateway.refund(charged.charge_id, Decimal("5.00"), "USD", "refund:F-15:1")
    rest = gateway.refund(charged.charge_id, Decimal("7.34"), "USD", "refund:F-15:2")

    assert part.succeeded and rest.succeeded
    assert part.key == "refund:F-15:1" and rest.key == "refund:F-15:2"
    assert part.refund_id and part.refund_id.startswith("re_") and part.refund_id != rest.refund_id
    sent = recorder.requests_to("POST", "/v1/refunds")
    assert [s.params for s in sent] == [
        {
            "payment_intent": charged.charge_id,
            "amount": "500",
            "metadata": {"licensebot_key": "refund:F-15:1"},
        },
        {
            "payment_intent": charged.charge_id,
            "amount": "734",
            "metadata": {"licensebot_key": "refund:F-15:2"},
        },
    ]
    intent = localstripe.get(f"/v1/payment_intents/{charged.charge_id}")
    assert intent["latest_charge"]["amount_refunded"] == 1234


def test_an_over_refund_stripe_refuses_is_an_outcome_with_its_reason(
    gateway: StripeGateway, recorder: Recorder
) -> None:
    # localstripe accepts any refund; Stripe answers this (code amount_too_large).
    refusal = {
        "error": {
            "type": "invalid_request_error",
            "code": "amount_too_large",
            "param": "amount",
            "message": "Refund amount ($20.00) is greater than unrefunded amount on charge ($12.34)",
        }
    }
    recorder.answer("POST", "/v1/refunds", 400, refusal)

    outcome = gateway.refund("pi_test_1", Decimal("20.00"), "USD", "refund:F-16:1")

    assert (outcome.succeeded, outcome.reason, outcome.refund_id) == (
        False,
        "amount_too_large",
        None,
    )
    [sent] = recorder.requests_to("POST", "/v1/refunds")
    assert sent.params["amount"] == "2000"


def test_a_refund_of_a_failed_payment_is_refused_by_the_server(
    gateway: StripeGateway, customer: str, card: CardMaker
) -> None:
    gateway.charge(customer, card(DECLINED_AT_CHARGE), Decimal("4.00"), "USD", "charge:F-17:1", "X")
    failed = gateway.find_charge("charge:F-17:1")
    assert failed is not None and failed.charge_id is not None

    outcome = gateway.refund(failed.charge_id, Decimal("4.00"), "USD", "refund:F-17:1")

    # localstripe's refusal has a message and no code.
    assert (outcome.succeeded, outcome.reason) == (False, "Cannot refund a failed payment.")


# find_charge


def test_find_charge_lists_where_search_is_missing(
    gateway: StripeGateway, recorder: Recorder, customer: str, card: CardMaker
) -> None:
    paid = gateway.charge(customer, card(VISA), Decimal("12.34"), "USD", "charge:F-18:1", "X")
    gateway.charge(customer, card(DECLINED_AT_CHARGE), Decimal("6.00"), "USD", "charge:F-18:2", "X")

    found = gateway.find_charge("charge:F-18:1")
    declined = gateway.find_charge("charge:F-18:2")
    missing = gateway.find_charge("charge:F-18:3")

    assert found == ChargeOutcome("charge:F-18:1", True, Decimal("12.34"), charge_id=paid.charge_id)
    assert declined is not None
    assert (declined.succeeded, declined.amount, declined.reason) == (
        False,
        Decimal("6.00"),
        Decline.CARD_DECLINED,
    )
    assert missing is None
    # Search is tried once (localstripe answers 404), then lists are used.
    [search] = recorder.requests_to("GET", "/v1/payment_intents/search")
    assert search.params == {"query": "metadata['licensebot_key']:'charge:F-18:1'"}
    assert len(recorder.requests_to("GET", "/v1/payment_intents")) >= 3


def test_find_charge_uses_stripes_search(gateway: StripeGateway, recorder: Recorder) -> None:
    result = {
        "object": "search_result",
        "url": "/v1/payment_intents/search",
        "has_more": False,
        "data": [_intent("pi_test_found", "succeeded")],
    }
    recorder.answer("GET", "/v1/payment_intents/search", 200, result)

    found = gateway.find_charge("charge:F-6:1")

    assert found == ChargeOutcome("charge:F-6:1", True, Decimal("12.34"), charge_id="pi_test_found")
    assert recorder.requests_to("GET", "/v1/payment_intents") == []


# Reconciliation


def test_payments_and_refunds_in_a_range_every_page(
    fresh_localstripe: LocalStripe, recorder: Recorder
) -> None:
    gateway = StripeGateway(API_KEY, api_base=fresh_localstripe.url, http_client=recorder)
    customer = gateway.create_customer(9, "example.net")

    def method(number: str) -> str:
        pm: str = fresh_localstripe.post(
            "/v1/payment_methods",
            {
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2030",
                "card[cvc]": "123",
            },
        )["id"]
        return pm

    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    first = gateway.charge(customer, method(VISA), Decimal("12.34"), "USD", "charge:R-1:1", "X")
    gateway.charge(
        customer, method(DECLINED_AT_CHARGE), Decimal("3.00"), "USD", "charge:R-2:1", "X"
    )
    second = gateway.charge(customer, method(VISA), Decimal("20.00"), "USD", "charge:R-3:1", "X")
    gateway.charge(customer, method(AUTHENTICATE), Decimal("8.00"), "USD", "charge:R-4:1", "X")
    gateway.refund(str(second.charge_id), Decimal("5.00"), "USD", "refund:R-3:1")
    after = datetime.now(UTC) + timedelta(seconds=2)
    recorder.page_size = 2  # localstripe hands out two at a time: the adapter must page

    found = gateway.payments(before, after)
    later = gateway.payments(after + timedelta(hours=1), after + timedelta(hours=2))

    assert sorted((p.kind, p.charge_id, p.amount, p.currency) for p in found) == sorted(
        [
            ("payment", first.charge_id, Decimal("12.34"), "USD"),
            ("payment", second.charge_id, Decimal("20.00"), "USD"),
            ("refund", second.charge_id, Decimal("5.00"), "USD"),
        ]
    )
    assert all(before <= p.at < after and p.at.tzinfo is not None for p in found)
    assert later == []
    lists = recorder.requests_to("GET", "/v1/payment_intents")
    assert lists[0].params == {
        "created": {"gte": str(int(before.timestamp())), "lt": str(int(after.timestamp()) + 1)},
        "limit": "100",
    }
    assert any("starting_after" in s.params for s in lists)


def test_payments_needs_aware_instants(gateway: StripeGateway) -> None:
    with pytest.raises(ValueError):
        gateway.payments(datetime(2026, 11, 1), datetime(2026, 12, 1))


# Every request is one Stripe documents


_REQUEST_OPTIONS = frozenset(stripe.RequestOptions.__annotations__)

_DOCUMENTED = [
    ("post", r"/v1/customers", stripe.params.CustomerCreateParams),
    ("post", r"/v1/checkout/sessions", stripe.params.checkout.SessionCreateParams),
    ("get", r"/v1/payment_methods/[^/]+", stripe.params.PaymentMethodRetrieveParams),
    ("get", r"/v1/setup_intents/[^/]+", stripe.params.SetupIntentRetrieveParams),
    ("post", r"/v1/payment_intents", stripe.params.PaymentIntentCreateParams),
    ("get", r"/v1/payment_intents/search", stripe.params.PaymentIntentSearchParams),
    ("get", r"/v1/payment_intents", stripe.params.PaymentIntentListParams),
    ("post", r"/v1/refunds", stripe.params.RefundCreateParams),
    ("get", r"/v1/refunds", stripe.params.RefundListParams),
]


def _params_class(sent: Sent) -> type:
    for method, path, params in _DOCUMENTED:
        if sent.method == method and re.fullmatch(path, sent.path):
            return params
    raise AssertionError(f"the adapter called {sent.method.upper()} {sent.path}, not listed here")


def undocumented(value: Any, annotation: Any, module: str, where: str) -> list[str]:
    """What in a request's wire parameters (strings, nested dicts, lists) the stripe
    package's typed parameters do not document: unknown keys, missing required ones, values
    of the wrong kind, literals outside their choices."""
    if isinstance(annotation, ForwardRef | str):
        text = annotation.__forward_arg__ if isinstance(annotation, ForwardRef) else annotation
        annotation = eval(text, vars(sys.modules[module]))  # the package's own annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (NotRequired, Required):
        return undocumented(value, args[0], module, where)
    if origin in (Union, types.UnionType):
        branches = [undocumented(value, arg, module, where) for arg in args]
        return [] if any(not b for b in branches) else [f"{where}: {value!r} fits no {annotation}"]
    if origin is Literal:
        return [] if value in [str(a) for a in args] else [f"{where}: {value!r} not in {args}"]
    if is_typeddict(annotation):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        keys = set(annotation.__annotations__) - _REQUEST_OPTIONS
        problems = [f"{where}.{k}: undocumented" for k in value if k not in keys]
        problems += [
            f"{where}.{k}: required, missing" for k in annotation.__required_keys__ - set(value)
        ]
        for key in set(value) & keys:
            hint = annotation.__annotations__[key]
            problems += undocumented(value[key], hint, annotation.__module__, f"{where}.{key}")
        return problems
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        return [
            p for k, v in value.items() for p in undocumented(v, args[1], module, f"{where}.{k}")
        ]
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        return [
            p
            for i, v in enumerate(value)
            for p in undocumented(v, args[0], module, f"{where}[{i}]")
        ]
    if annotation is UntypedStripeObject or origin is UntypedStripeObject:
        return [] if isinstance(value, dict) else [f"{where}: {value!r} is not an object"]
    if annotation is str:
        return [] if isinstance(value, str) else [f"{where}: {value!r} is not a string"]
    if annotation is int:
        ok = isinstance(value, str) and re.fullmatch(r"-?\d+", value)
        return [] if ok else [f"{where}: {value!r} is not an integer"]
    if annotation is bool:
        return [] if value in ("true", "false") else [f"{where}: {value!r} is not a boolean"]
    if annotation is type(None):
        return [f"{where}: None is never sent"]
    return [f"{where}: cannot check {annotation!r}"]


def test_the_checker_of_documented_parameters_can_fail() -> None:
    session = stripe.params.checkout.SessionCreateParams
    module = session.__module__
    assert undocumented({"mode": "setup"}, session, module, "s") == []
    assert undocumented({"payment_method_types": ["card"]}, session, module, "s") == [
        "s.payment_method_types: undocumented"
    ]
    assert undocumented({"mode": "setup", "metadata": "x"}, session, module, "s") != []
    intent = stripe.params.PaymentIntentCreateParams
    assert sorted(undocumented({"amount": "12.34"}, intent, intent.__module__, "pi")) == [
        "pi.amount: '12.34' is not an integer",
        "pi.currency: required, missing",
    ]


def test_every_request_the_adapter_sends_is_documented_by_stripe(
    gateway: StripeGateway,
    recorder: Recorder,
    customer: str,
    card: CardMaker,
    localstripe: LocalStripe,
) -> None:
    pm = card(VISA)
    recorder.answer("POST", "/v1/checkout/sessions", 200, _session("cs_test_doc"))
    gateway.card_entry_url(customer, "st-doc", "https://bot.example/back")
    gateway.payment_method(pm)
    gateway.setup_intent_payment_method(
        localstripe.post("/v1/setup_intents", {"customer": customer})["id"]
    )
    paid = gateway.charge(customer, pm, Decimal("12.34"), "USD", "charge:D-1:1", "GSUITE_EXAMPLE")
    gateway.refund(str(paid.charge_id), Decimal("2.00"), "USD", "refund:D-1:1")
    gateway.find_charge("charge:D-1:1")
    gateway.payments(datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC))

    adapters = recorder.sent
    problems = []
    for sent in adapters:
        params = _params_class(sent)
        problems += undocumented(
            sent.params, params, params.__module__, f"{sent.method} {sent.path}"
        )
    assert problems == []
    called = {(s.method, re.sub(r"/(pm|seti)_\w+$", "/{id}", s.path)) for s in adapters}
    assert called == {
        ("post", "/v1/customers"),
        ("post", "/v1/checkout/sessions"),
        ("get", "/v1/payment_methods/{id}"),
        ("get", "/v1/setup_intents/{id}"),
        ("post", "/v1/payment_intents"),
        ("post", "/v1/refunds"),
        ("get", "/v1/payment_intents/search"),
        ("get", "/v1/payment_intents"),
        ("get", "/v1/refunds"),
    }


# Logs


def test_no_key_nor_body_reaches_the_logs(
    localstripe: LocalStripe, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stripe")  # as an application logging everything
    gateway = StripeGateway(API_KEY, api_base=localstripe.url, http_client=recorder)
    customer = gateway.create_customer(77, "secret-domain.example")
    pm = localstripe.post(
        "/v1/payment_methods",
        {
            "type": "card",
            "card[number]": DECLINED_AT_CHARGE,
            "card[exp_month]": "12",
            "card[exp_year]": "2030",
            "card[cvc]": "123",
        },
    )["id"]
    gateway.charge(customer, pm, Decimal("12.34"), "USD", "charge:L-1:1", "GSUITE_LOGS")
    recorder.refuse("POST", "/v1/refunds", times=3)
    with pytest.raises(GatewayUnavailable):
        gateway.refund("pi_x", Decimal("1.00"), "USD", "refund:L-1:1")

    assert caplog.records  # the adapter did log its outcomes
    for text in (API_KEY, "secret-domain", "GSUITE_LOGS", "1234", "Post details", "response body"):
        assert text not in caplog.text
    assert API_KEY not in repr(gateway)
