"""Reading a submitted modal into an order, with errors named by field, in the user's language."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from billing.commands import field_errors, refuse_card_secrets
from billing.money import MINIMUM_PAYMENT
from bot.actions import ACTIONS
from bot.i18n import N_, t
from bot.views.kit import VALUE
from storage.workspace import Workspaces


class FormErrors(Exception):
    """Field errors for `response_action: errors`, keyed by block id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def values(view: dict[str, Any]) -> dict[str, Any]:
    """{block id: value} from a view's state, whatever the input element."""
    found: dict[str, Any] = {}
    for block_id, elements in ((view.get("state") or {}).get("values") or {}).items():
        element: dict[str, Any] = elements.get(VALUE) or next(iter(elements.values()), {}) or {}
        kind = element.get("type")
        if kind in ("static_select", "radio_buttons"):
            found[block_id] = (element.get("selected_option") or {}).get("value")
        elif kind == "checkboxes":
            found[block_id] = [o.get("value") for o in element.get("selected_options") or []]
        else:
            text = element.get("value")
            found[block_id] = text.strip() if isinstance(text, str) and text.strip() else None
    return found


PYDANTIC = {
    "missing": "Required.",
    "int_parsing": "Give a whole number.",
    "int_from_float": "Give a whole number.",
    "int_type": "Give a whole number.",
    "greater_than_equal": "Must be at least {ge}.",
    "less_than_equal": "Must be at most {le}.",
    "string_pattern_mismatch": "Use letters, digits, “.”, “-” and “_” only (up to 40).",
    "string_too_long": "Too long.",
    "string_too_short": "Too short.",
    "enum": "Choose one of the options.",
    "literal_error": "Choose one of the options.",
}


def translate(error: ValidationError, lang: str, blocks: list[str]) -> dict[str, str]:
    """Field errors keyed by block id; a field the form lacks is reported on its first block."""
    errors: dict[str, str] = {}
    named = field_errors(error)
    for item, (field, message) in zip(error.errors(include_url=False), named, strict=True):
        template = PYDANTIC.get(str(item["type"]))
        text = t(lang, template, **(item.get("ctx") or {})) if template else t(lang, message)
        block = field.split(".")[-1]
        errors.setdefault(block if block in blocks else blocks[0], text)
    return errors


AMOUNT = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")
"""How people write a sum of money in a form: what the billing parser also accepts, minus
exponents, underscores and other scripts' digits, which nobody means as an amount."""
MONEY_FIELDS = ("amount",)


def _required_box(values: dict[str, Any], field: str, lang: str, message: str) -> None:
    if not values.get(field):
        raise FormErrors({field: t(lang, message)})


def _no_card_secrets(values: dict[str, Any], lang: str) -> None:
    """A full card number or a security code is refused in any field of any form (a forged
    or future form included), before anything could store or echo it."""
    try:
        refuse_card_secrets(values)
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise FormErrors({field: t(lang, message)}) from None


def _plain_amounts(action: str, values: dict[str, Any], lang: str) -> None:
    """Amounts as people write them; a payment of at least the minimum, said in the reader's
    language (the rule's own message carries the figure, so it cannot be translated)."""
    for field in MONEY_FIELDS:
        text = values.get(field)
        if text is not None and not (isinstance(text, str) and AMOUNT.match(text)):
            raise FormErrors(
                {field: t(lang, "Write an amount such as 25.00 (at most 2 decimals).")}
            )
    if action == "pay" and values.get("amount") and Decimal(values["amount"]) < MINIMUM_PAYMENT:
        raise FormErrors({"amount": t(lang, "At least {minimum} USD.", minimum=MINIMUM_PAYMENT)})


def _present(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty fields: an optional one takes its default, a required one is "missing"."""
    return {
        key: _present(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if value is not None
    }


def order(action: str, view: dict[str, Any], lang: str, workspaces: Workspaces) -> BaseModel:
    """The validated order a form asks for, or FormErrors keyed by the form's own inputs:
    Slack refuses errors for a block the view does not have."""
    found = values(view)
    try:
        return _order(action, found, lang, workspaces)
    except FormErrors as problem:
        inputs = list(found) or ["subscription"]
        errors: dict[str, str] = {}
        for block, message in problem.errors.items():
            errors.setdefault(block if block in found else inputs[0], message)
        raise FormErrors(errors) from None


def _order(action: str, found: dict[str, Any], lang: str, workspaces: Workspaces) -> BaseModel:
    blocks = list(found) or ["subscription"]
    _no_card_secrets(found, lang)
    _plain_amounts(action, found, lang)
    data: dict[str, Any]
    match action:
        case "signup":
            _required_box(found, "terms", lang, N_("Accept the terms to continue."))
            product = workspaces.product(found.get("product") or "")
            if product is None:
                raise FormErrors({"product": t(lang, "Choose a product.")})
            plan = found.get("plan") or "flexible"
            price = product.annual_price if plan == "annual" else product.flexible_price
            data = {
                "subscription": found.get("subscription"),
                "product": product.name,
                "plan": plan,
                "licences": found.get("licences"),
                "price": str(price),
            }
        case "add_licences":
            _required_box(found, "terms", lang, N_("Accept the terms to continue."))
            data = {"subscription": found.get("subscription"), "count": found.get("count")}
        case "set_users":
            data = {
                "subscription": found.get("subscription"),
                "count": found.get("count"),
                "perpetual": found.get("perpetual") or 0,
            }
        case "renewal":
            data = {
                "subscription": found.get("subscription"),
                "mode": found.get("mode"),
                "licences": found.get("licences"),
            }
        case "cancel":
            data = {
                "subscription": found.get("subscription"),
                "when": found.get("when") or "now",
                "reason": found.get("reason") or "other",
            }
        case "transfer":
            _required_box(found, "confirm", lang, N_("Tick the box to confirm."))
            data = {"reseller": found.get("reseller"), "token": found.get("token")}
        case "setup_billing":
            data = {
                "card": {
                    "brand": found.get("brand"),
                    "last4": found.get("last4"),
                    "expires": found.get("expires"),
                }
            }
        case "update_card":
            data = {
                "brand": found.get("brand"),
                "last4": found.get("last4"),
                "expires": found.get("expires"),
            }
        case "pay":
            if found.get("method") != "card":
                raise FormErrors({"method": t(lang, "Choose a payment method.")})
            data = {"amount": found.get("amount")}
        case "refund":
            data = {"amount": found.get("amount")}
        case _:
            raise FormErrors({blocks[0]: t(lang, "This form is not known.")})
    try:
        return ACTIONS[action].model.model_validate(_present(data))
    except ValidationError as error:
        raise FormErrors(translate(error, lang, blocks)) from None
