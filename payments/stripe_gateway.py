"""The Stripe adapter of the payment gateway port (SPEC "Payments through a processor").

It speaks to Stripe through the official `stripe` package and translates, in both directions,
between the domain's terms (`Decimal` major units, `Decline` codes, idempotency keys) and
Stripe's (integer minor units, PaymentIntents, card errors, request options).

Three rules shape it:
- Money is never a float: amounts become integer minor units by exact `Decimal` arithmetic,
  and an amount with more decimals than the currency has is refused rather than rounded.
- An outage is never a decline: connection errors, timeouts, rate limits and Stripe's 5xx
  answers raise `GatewayUnavailable`, so the worker sends the same attempt again with the same
  idempotency key, which Stripe answers with the first outcome.
- Nothing secret leaves through the logs: this module logs ids and Stripe's error codes only,
  never the API key nor a request or response body, and it quiets the `stripe` package's own
  logger, which writes whole request and response bodies at DEBUG.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from math import ceil, floor
from typing import TYPE_CHECKING, Any

import stripe

from billing.gateway import (
    ChargeOutcome,
    Decline,
    GatewayUnavailable,
    PaymentGateway,
    ProcessorPayment,
    RefundOutcome,
    SavedCard,
)

log = logging.getLogger(__name__)

KEY_METADATA = "licensebot_key"
"""The PaymentIntent and Refund metadata that carries the bot's idempotency key, so that a
charge can be found again once Stripe has forgotten the key (after 24 hours)."""

CUSTOMER_METADATA = "licensebot_customer"
STATE_METADATA = "licensebot_state"

DESCRIPTOR_LIMIT = 22

# Stripe counts these currencies in whole units, and these in thousandths; every other one in
# hundredths (https://docs.stripe.com/currencies#zero-decimal).
_ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
_THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

_DECLINES = {decline.value: decline for decline in Decline}


def minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in the currency's minor units, exactly: 12.34 USD is 1234. An amount finer than
    the currency's unit (12.345 USD) is an error upstream, never rounded away here."""
    scaled = amount.scaleb(_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency.upper()} is finer than the currency's minor unit")
    return int(scaled)


def major_units(amount: int, currency: str) -> Decimal:
    """Stripe's integer minor units back in major units: 1234 USD cents is Decimal("12.34")."""
    return Decimal(amount).scaleb(-_exponent(currency))


def _exponent(currency: str) -> int:
    code = currency.lower()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


def decline_reason(code: str | None, decline_code: str | None) -> Decline:
    """SPEC's decline code for a Stripe card error: the more precise `decline_code` first
    (a `card_declined` error carries `insufficient_funds` there), then the error `code`
    (`expired_card`, `processing_error`, `authentication_required`); anything else is a plain
    `card_declined`."""
    for candidate in (decline_code, code):
        if candidate in _DECLINES:
            return _DECLINES[candidate]
    return Decline.CARD_DECLINED


@contextmanager
def _unavailable_on_outage(action: str) -> Iterator[None]:
    """Turn "no answer" into `GatewayUnavailable`: a connection error or timeout, a rate limit,
    a conflict with a request still in flight under the same key (409) or a 5xx. Other Stripe
    errors (a refusal, a bad key) pass through for the caller to judge."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        log.warning(
            "Stripe unavailable during %s: %s (status %s, request %s)",
            action,
            type(error).__name__,
            error.http_status,
            error.request_id,
        )
        raise GatewayUnavailable(f"Stripe did not answer {action}") from error


class StripeGateway:
    """`PaymentGateway` on Stripe: customers, Checkout in setup mode for card entry,
    off-session PaymentIntents for charges, refunds, and lists for reconciliation."""

    name = "stripe"
    descriptor_limit = DESCRIPTOR_LIMIT

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        max_network_retries: int = 2,
        timeout: float = 30,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        """`api_base` (STRIPE_API_BASE) points the client at another server speaking Stripe's
        API, such as localstripe in the tests. Network retries resend the same request with the
        same Idempotency-Key, so they can never charge twice."""
        # The stripe package logs request and response bodies at DEBUG on this logger.
        logging.getLogger("stripe").setLevel(logging.WARNING)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=http_client or stripe.RequestsClient(timeout=timeout),
        )
        self._search_missing = False

    def __repr__(self) -> str:
        return "StripeGateway()"  # never the key

    # Customers and cards

    def create_customer(self, customer_id: int, domain: str) -> str:
        """One Stripe customer per account; the idempotency key makes a resend (after a crash
        before the id was stored) return the same customer."""
        with _unavailable_on_outage("create_customer"):
            customer = self._client.v1.customers.create(
                {"description": domain, "metadata": {CUSTOMER_METADATA: str(customer_id)}},
                {"idempotency_key": f"customer:{customer_id}"},
            )
        return customer.id

    def card_entry_url(self, processor_customer: str, state: str, return_url: str) -> str:
        """A Checkout Session in setup mode: Stripe's page collects the card and saves it on the
        customer. The state travels in the session and its SetupIntent, so the webhooks that
        report the completed set-up (`checkout.session.completed`, `setup_intent.succeeded`)
        both carry it back."""
        params: stripe.params.checkout.SessionCreateParams = {
            "mode": "setup",
            "customer": processor_customer,
            "currency": "usd",
            # API 2026-10-28 renamed Checkout's `payment_method_types` to this filter.
            "allowed_payment_method_types": ["card"],
            "success_url": _with_query(return_url, "card_entry=done"),
            "cancel_url": _with_query(return_url, "card_entry=cancelled"),
            "client_reference_id": state,
            "metadata": {STATE_METADATA: state},
            "setup_intent_data": {"metadata": {STATE_METADATA: state}},
        }
        with _unavailable_on_outage("card_entry_url"):
            session = self._client.v1.checkout.sessions.create(
                params, {"idempotency_key": f"card-entry:{state}"}
            )
        if not session.url:
            raise RuntimeError(f"Stripe returned Checkout Session {session.id} without a URL")
        return session.url

    def adopt(self, brand: str, last4: str, exp_year: int, exp_month: int) -> str | None:
        """Never: a card saved before Stripe was configured has no PaymentMethod there, and
        only the hosted page may collect one (SPEC item 2), so it is entered again."""
        return None

    def payment_method(self, payment_method: str) -> SavedCard:
        with _unavailable_on_outage("payment_method"):
            method = self._client.v1.payment_methods.retrieve(payment_method)
        return saved_card(method.to_dict())

    def setup_intent_payment_method(self, setup_intent: str) -> str | None:
        """The payment method a SetupIntent saved: a completed Checkout Session names only its
        SetupIntent, so the webhook parser asks for the card through this."""
        with _unavailable_on_outage("setup_intent_payment_method"):
            intent = self._client.v1.setup_intents.retrieve(setup_intent)
        method = intent.payment_method
        if method is None or isinstance(method, str):
            return method
        return method.id

    # Charges

    def charge(
        self,
        processor_customer: str,
        payment_method: str,
        amount: Decimal,
        currency: str,
        key: str,
        descriptor: str,
    ) -> ChargeOutcome:
        """An off-session PaymentIntent, created and confirmed at once under `key`.

        The descriptor goes in `statement_descriptor_suffix`: Stripe refuses
        `statement_descriptor` on card PaymentIntents and appends the suffix to the account's
        prefix on the statement."""
        params: stripe.params.PaymentIntentCreateParams = {
            "amount": minor_units(amount, currency),
            "currency": currency.lower(),
            "customer": processor_customer,
            "payment_method": payment_method,
            "off_session": True,
            "confirm": True,
            "statement_descriptor_suffix": descriptor[:DESCRIPTOR_LIMIT],
            "metadata": {KEY_METADATA: key},
        }
        try:
            with _unavailable_on_outage("charge"):
                intent = self._client.v1.payment_intents.create(params, {"idempotency_key": key})
        except stripe.CardError as error:
            return self._declined(key, amount, error)
        except stripe.InvalidRequestError as error:
            # Stripe refused the request itself (a detached card, an amount below its minimum):
            # nothing was charged and resending will not help, so it fails like a decline.
            log.warning("Stripe refused charge %s: %s (%s)", key, error.code, error.http_status)
            return ChargeOutcome(key, False, amount, reason=Decline.PROCESSING_ERROR)
        return self._outcome(key, intent.to_dict())

    def _declined(self, key: str, amount: Decimal, error: stripe.CardError) -> ChargeOutcome:
        details = error.error
        decline_code = details.decline_code if details is not None else None
        reason = decline_reason(error.code, decline_code)
        intent = details.payment_intent if details is not None else None
        log.info("Stripe declined charge %s: %s/%s", key, error.code, decline_code)
        return ChargeOutcome(
            key,
            False,
            amount,
            charge_id=intent.id if intent is not None else None,
            reason=reason,
            action_url=_action_url(intent.to_dict()) if intent is not None else None,
        )

    def _outcome(self, key: str, intent: dict[str, Any]) -> ChargeOutcome:
        """A PaymentIntent as the domain's outcome for `key`."""
        amount = major_units(intent["amount"], intent["currency"])
        status = intent.get("status")
        if status == "succeeded":
            return ChargeOutcome(key, True, amount, charge_id=intent["id"])
        if status == "requires_action":
            return ChargeOutcome(
                key,
                False,
                amount,
                charge_id=intent["id"],
                reason=Decline.AUTHENTICATION_REQUIRED,
                action_url=_action_url(intent),
            )
        if status in ("requires_payment_method", "canceled", "requires_confirmation"):
            error = intent.get("last_payment_error") or {}
            reason = (
                decline_reason(error.get("code"), error.get("decline_code"))
                if error
                else Decline.PROCESSING_ERROR
            )
            return ChargeOutcome(key, False, amount, charge_id=intent["id"], reason=reason)
        # "processing" (or an unexpected "requires_capture"): the money is not settled either
        # way yet; the same key is asked again later.
        raise GatewayUnavailable(f"PaymentIntent {intent['id']} is still {status}")

    def find_charge(self, key: str) -> ChargeOutcome | None:
        """The PaymentIntent whose metadata carries `key`, found with Stripe's search API.

        Where the server has no search endpoint (Stripe in some regions; localstripe), the
        PaymentIntents are listed and filtered here instead. Search is eventually consistent
        (Stripe indexes within about a minute); the domain only asks for keys older than the
        24 hours Stripe keeps idempotency keys for."""
        intents = [intent.to_dict() for intent in self._intents_with_key(key)]
        intents = [i for i in intents if (i.get("metadata") or {}).get(KEY_METADATA) == key]
        if not intents:
            return None
        succeeded = [i for i in intents if i.get("status") == "succeeded"]
        chosen = succeeded[0] if succeeded else max(intents, key=lambda i: i["created"])
        return self._outcome(key, chosen)

    def _intents_with_key(self, key: str) -> Iterator[stripe.PaymentIntent]:
        if not self._search_missing:
            escaped = key.replace("\\", "\\\\").replace("'", "\\'")
            query = f"metadata['{KEY_METADATA}']:'{escaped}'"
            try:
                with _unavailable_on_outage("find_charge"):
                    found = list(
                        self._client.v1.payment_intents.search({"query": query}).auto_paging_iter()
                    )
                yield from found
                return
            except stripe.InvalidRequestError as error:
                if error.http_status != 404:
                    raise
                log.warning("Stripe search is not available here; listing PaymentIntents")
                self._search_missing = True
        with _unavailable_on_outage("find_charge"):
            yield from list(self._client.v1.payment_intents.list({"limit": 100}).auto_paging_iter())

    # Refunds

    def refund(self, charge_id: str, amount: Decimal, currency: str, key: str) -> RefundOutcome:
        """A refund of `amount` against the PaymentIntent `charge_id`, once per `key`. A refund
        Stripe refuses (more than is left to refund, a disputed charge) is an outcome, not an
        exception: its reason is Stripe's error code, or its message when it has no code."""
        params: stripe.params.RefundCreateParams = {
            "payment_intent": charge_id,
            "amount": minor_units(amount, currency),
            "metadata": {KEY_METADATA: key},
        }
        try:
            with _unavailable_on_outage("refund"):
                refund = self._client.v1.refunds.create(params, {"idempotency_key": key})
        except stripe.InvalidRequestError as error:
            log.info("Stripe refused refund %s: %s", key, error.code)
            return RefundOutcome(key, False, reason=error.code or error.user_message or "refused")
        if refund.status in ("failed", "canceled"):
            reason = getattr(refund, "failure_reason", None) or refund.status
            return RefundOutcome(key, False, refund_id=refund.id, reason=reason)
        # "succeeded", or "pending" until the bank confirms (a later failure arrives as a
        # charge.refund.updated webhook).
        return RefundOutcome(key, True, refund_id=refund.id)

    # Reconciliation

    def payments(self, start: datetime, end: datetime) -> list[ProcessorPayment]:
        """Succeeded PaymentIntents and refunds created in [start, end), every page of them.

        The range is sent to Stripe (`created[gte]`, `created[lt]`, whole seconds) and checked
        again here on each object, so the answer is exact even from a server that ignores the
        filter. A refund's `charge_id` is the PaymentIntent it pays back, as for its payment;
        amounts are positive, `kind` says which way the money went."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("payments() needs aware datetimes")
        gte, lt = floor(start.timestamp()), ceil(end.timestamp())
        found: list[ProcessorPayment] = []
        with _unavailable_on_outage("payments"):
            intents = self._client.v1.payment_intents.list(
                {"created": {"gte": gte, "lt": lt}, "limit": 100}
            )
            for intent in intents.auto_paging_iter():
                at = _instant(intent.created)
                if intent.status == "succeeded" and start <= at < end:
                    found.append(
                        ProcessorPayment(
                            intent.id,
                            "payment",
                            major_units(intent.amount, intent.currency),
                            intent.currency.upper(),
                            at,
                        )
                    )
            refunds = self._client.v1.refunds.list(
                {"created": {"gte": gte, "lt": lt}, "limit": 100}
            )
            for refund in refunds.auto_paging_iter():
                at = _instant(refund.created)
                if refund.status in ("succeeded", "pending") and start <= at < end:
                    paid = _id(getattr(refund, "payment_intent", None)) or _id(refund.charge)
                    found.append(
                        ProcessorPayment(
                            paid or refund.id,
                            "refund",
                            major_units(refund.amount, refund.currency),
                            refund.currency.upper(),
                            at,
                        )
                    )
        return sorted(found, key=lambda p: (p.at, p.kind, p.charge_id))


def saved_card(method: dict[str, Any]) -> SavedCard:
    """What the bot keeps of a Stripe PaymentMethod: its id, brand, last 4 and expiry."""
    card = method.get("card")
    if not card:
        raise ValueError(f"payment method {method.get('id')} is not a card")
    return SavedCard(
        payment_method=method["id"],
        brand=card["brand"],
        last4=card["last4"],
        exp_year=int(card["exp_year"]),
        exp_month=int(card["exp_month"]),
    )


def _action_url(intent: dict[str, Any]) -> str | None:
    """Where the payer completes an authentication, when Stripe gives a page for it."""
    action = intent.get("next_action") or {}
    redirect = action.get("redirect_to_url") or {}
    url = redirect.get("url")
    return url if isinstance(url, str) else None


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _instant(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _id(value: object) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the object."""
    if value is None or isinstance(value, str):
        return value
    identifier = getattr(value, "id", None)
    return identifier if isinstance(identifier, str) else None


if TYPE_CHECKING:  # mypy checks the adapter against the port

    def _is_a_gateway(gateway: StripeGateway) -> PaymentGateway:
        return gateway
