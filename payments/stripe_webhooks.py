"""Stripe's webhooks, verified and read in the domain's terms (SPEC "Payments through a
processor", item 7).

`parse_event` checks the `Stripe-Signature` header with the `stripe` package (HMAC-SHA256 over
"timestamp.body", 5-minute tolerance) before reading anything, and answers a `GatewayEvent`
for the notifications that change the books, or None for the ones the bot ignores. Anything
it cannot trust (a forged or stale signature, a wrong secret, a body that is not a Stripe
event) raises `BadSignature`, so the endpoint answers 400 and applies nothing.

Some payloads name a card only by id (a SetupIntent's `payment_method`; a Checkout Session
names only its SetupIntent). The parser then asks `cards` (the `StripeGateway`, or anything
with the same two methods) for the card, so the event carries it whole; a `GatewayUnavailable`
from that look-up propagates, the endpoint answers 5xx, and Stripe delivers the event again.
Without `cards`, such an event comes back with `card=None`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import stripe

from billing.gateway import EventKind, GatewayEvent, SavedCard
from payments.stripe_gateway import (
    KEY_METADATA,
    STATE_METADATA,
    decline_reason,
    major_units,
    saved_card,
)

TOLERANCE = 300
"""Seconds a signature stays valid: older deliveries are refused as replays."""


class BadSignature(Exception):
    """The request is not a genuine, recent Stripe event: apply nothing."""


class CardLookup(Protocol):
    """Where the parser fetches a card that a payload names by id only."""

    def payment_method(self, payment_method: str) -> SavedCard: ...

    def setup_intent_payment_method(self, setup_intent: str) -> str | None: ...


def parse_event(
    body: bytes,
    signature_header: str,
    secret: str,
    tolerance: int = TOLERANCE,
    cards: CardLookup | None = None,
) -> GatewayEvent | None:
    """The verified event in `body`, None when its type does not concern the books."""
    try:
        event = stripe.Webhook.construct_event(body, signature_header, secret, tolerance)
        data = event.to_dict()
        kind = data["type"]
        obj = data["data"]["object"]
        base = {"id": data["id"], "created": datetime.fromtimestamp(int(data["created"]), UTC)}
        if not isinstance(kind, str) or not isinstance(obj, dict):
            raise TypeError("not an event")
    except stripe.SignatureVerificationError as error:
        raise BadSignature(str(error)) from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        # json.JSONDecodeError and UnicodeDecodeError are ValueErrors; a missing field is a
        # KeyError. The body is not repeated in the message: it is never logged.
        raise BadSignature(f"malformed event: {type(error).__name__}") from None
    reader = _READERS.get(kind)
    if reader is None:
        return None
    try:
        return reader(obj, base, cards)
    except (ValueError, KeyError, TypeError, ArithmeticError) as error:
        # Genuinely signed, but not the shape this type has: applying half of it is worse.
        raise BadSignature(f"malformed {kind} event: {type(error).__name__}") from None


_Base = dict[str, Any]
_Reader = Callable[[dict[str, Any], _Base, "CardLookup | None"], "GatewayEvent | None"]


def _setup_from_session(
    session: dict[str, Any], base: _Base, cards: CardLookup | None
) -> GatewayEvent | None:
    """checkout.session.completed: only a setup-mode session is a card entry."""
    if session.get("mode") != "setup":
        return None
    state = _metadata(session).get(STATE_METADATA) or session.get("client_reference_id")
    card = None
    setup_intent = _id(session.get("setup_intent"))
    if cards is not None and setup_intent:
        method = cards.setup_intent_payment_method(setup_intent)
        card = cards.payment_method(method) if method else None
    return GatewayEvent(
        kind=EventKind.SETUP_COMPLETED,
        processor_customer=_id(session.get("customer")),
        state=state,
        card=card,
        **base,
    )


def _setup_from_intent(
    intent: dict[str, Any], base: _Base, cards: CardLookup | None
) -> GatewayEvent:
    method = intent.get("payment_method")
    if isinstance(method, dict):  # expanded
        card: SavedCard | None = saved_card(method)
    elif isinstance(method, str) and cards is not None:
        card = cards.payment_method(method)
    else:
        card = None
    return GatewayEvent(
        kind=EventKind.SETUP_COMPLETED,
        processor_customer=_id(intent.get("customer")),
        state=_metadata(intent).get(STATE_METADATA),
        card=card,
        **base,
    )


def _payment(kind: EventKind) -> _Reader:
    """payment_intent.succeeded and payment_intent.payment_failed."""

    def read(intent: dict[str, Any], base: _Base, cards: CardLookup | None) -> GatewayEvent:
        error = intent.get("last_payment_error") or {}
        failed = kind is EventKind.PAYMENT_FAILED
        return GatewayEvent(
            kind=kind,
            processor_customer=_id(intent.get("customer")),
            key=_metadata(intent).get(KEY_METADATA),
            charge_id=intent["id"],
            amount=major_units(intent["amount"], intent["currency"]),
            currency=intent["currency"].upper(),
            reason=decline_reason(error.get("code"), error.get("decline_code")) if failed else None,
            **base,
        )

    return read


def _refunded(charge: dict[str, Any], base: _Base, cards: CardLookup | None) -> GatewayEvent:
    """charge.refunded: `amount` is the charge's total refunded so far (Stripe's
    `amount_refunded`), so a late or repeated event never counts a refund twice. The key is the
    newest refund's, when the payload lists the refunds (older API versions do)."""
    refunds = (charge.get("refunds") or {}).get("data") or []
    newest = max(refunds, key=lambda r: r.get("created", 0), default=None)
    return GatewayEvent(
        kind=EventKind.REFUNDED,
        processor_customer=_id(charge.get("customer")),
        key=_metadata(newest).get(KEY_METADATA) if newest else None,
        charge_id=_id(charge.get("payment_intent")) or charge["id"],
        amount=major_units(charge["amount_refunded"], charge["currency"]),
        currency=charge["currency"].upper(),
        **base,
    )


def _refund_failed(
    refund: dict[str, Any], base: _Base, cards: CardLookup | None
) -> GatewayEvent | None:
    """charge.refund.updated (and refund.failed): only a failure changes the books."""
    if refund.get("status") != "failed":
        return None
    return GatewayEvent(
        kind=EventKind.REFUND_FAILED,
        key=_metadata(refund).get(KEY_METADATA),
        charge_id=_id(refund.get("payment_intent")) or _id(refund.get("charge")),
        amount=major_units(refund["amount"], refund["currency"]),
        currency=refund["currency"].upper(),
        reason=refund.get("failure_reason") or "failed",
        **base,
    )


def _method_updated(
    method: dict[str, Any], base: _Base, cards: CardLookup | None
) -> GatewayEvent | None:
    """payment_method.updated and payment_method.automatically_updated (the card networks'
    updater): the payload is the whole PaymentMethod, so the card is read from it."""
    if not method.get("card"):
        return None
    return GatewayEvent(
        kind=EventKind.PAYMENT_METHOD_UPDATED,
        processor_customer=_id(method.get("customer")),
        card=saved_card(method),
        **base,
    )


def _dispute(kind: EventKind) -> _Reader:
    """charge.dispute.created and charge.dispute.closed. `reason` is Stripe's dispute reason
    (`fraudulent`, `product_not_received`, ...); a closed dispute is won only with the status
    "won" (not "lost", nor "warning_closed" for an inquiry that lapsed)."""

    def read(dispute: dict[str, Any], base: _Base, cards: CardLookup | None) -> GatewayEvent:
        closed = kind is EventKind.DISPUTE_CLOSED
        return GatewayEvent(
            kind=kind,
            charge_id=_id(dispute.get("payment_intent")) or _id(dispute.get("charge")),
            amount=major_units(dispute["amount"], dispute["currency"]),
            currency=dispute["currency"].upper(),
            reason=dispute.get("reason"),
            won=dispute.get("status") == "won" if closed else None,
            **base,
        )

    return read


_READERS = {
    "checkout.session.completed": _setup_from_session,
    "setup_intent.succeeded": _setup_from_intent,
    "payment_intent.succeeded": _payment(EventKind.PAYMENT_SUCCEEDED),
    "payment_intent.payment_failed": _payment(EventKind.PAYMENT_FAILED),
    "charge.refunded": _refunded,
    "charge.refund.updated": _refund_failed,
    "refund.failed": _refund_failed,
    "payment_method.updated": _method_updated,
    "payment_method.automatically_updated": _method_updated,
    "charge.dispute.created": _dispute(EventKind.DISPUTE_OPENED),
    "charge.dispute.closed": _dispute(EventKind.DISPUTE_CLOSED),
}


def _metadata(obj: dict[str, Any] | None) -> dict[str, Any]:
    metadata = (obj or {}).get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _id(value: object) -> str | None:
    """An expandable field's id, whether the payload holds the id or the object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None
