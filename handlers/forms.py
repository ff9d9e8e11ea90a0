"""Reading any submitted form back into its order, with errors named by field, in the user's
language. Which fields a form has, and which command fields they fill, comes from the form's
description in the order registry."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from billing import commands as cmd
from billing.commands import field_errors, refuse_card_secrets
from billing.money import MINIMUM_PAYMENT
from services.forms import Field, FormContext, Input, Source
from services.orders import Order
from views.i18n import t
from views.kit import VALUE


class FormErrors(Exception):
    """Field errors for `response_action: errors`, keyed by block id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def values(view: dict[str, Any]) -> dict[str, Any]:
    """{block id: value} from a view's state, whatever the input element; a block that is
    not shaped like Slack's reads as empty."""
    found: dict[str, Any] = {}
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, dict) else None
    for block_id, elements in (blocks if isinstance(blocks, dict) else {}).items():
        element: Any = None
        if isinstance(elements, dict):
            element = elements.get(VALUE) or next(iter(elements.values()), None)
        found[str(block_id)] = _value(element) if isinstance(element, dict) else None
    return found


def _value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons"):
        chosen = element.get("selected_option")
        return chosen.get("value") if isinstance(chosen, dict) else None
    if kind == "checkboxes":
        options = element.get("selected_options") or []
        return [o.get("value") for o in options if isinstance(o, dict)]
    text = element.get("value")
    return text.strip() if isinstance(text, str) and text.strip() else None


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


def read(entry: Order[Any], view: dict[str, Any], lang: str, facts: FormContext) -> cmd.Command:
    """The validated order a form asks for, or FormErrors keyed by the form's own inputs:
    Slack refuses errors for a block the view does not have."""
    found = values(view)
    try:
        return _read(entry, found, lang, facts)
    except FormErrors as problem:
        inputs = list(found) or ["subscription"]
        errors: dict[str, str] = {}
        for block, message in problem.errors.items():
            errors.setdefault(block if block in found else inputs[0], message)
        raise FormErrors(errors) from None


def _read(entry: Order[Any], found: dict[str, Any], lang: str, facts: FormContext) -> cmd.Command:
    assert entry.form is not None
    _no_card_secrets(found, lang)
    _plain_amounts(entry, found, lang)
    errors = {
        field.name: t(lang, field.missing)
        for field in entry.form.fields
        if field.missing and not _given(field, found.get(field.name), facts)
    }
    data: dict[str, Any] = {}
    for field in entry.form.fields:
        if field.path is not None and found.get(field.name) is not None:
            _put(data, field.path, found[field.name])
    if entry.form.prepare is not None:
        data = entry.form.prepare(data, facts)
    try:
        order: cmd.Command = entry.read(_present(data))
    except ValidationError as error:
        errors = {**translate(error, lang, list(found) or ["subscription"]), **errors}
        raise FormErrors(errors) from None
    if errors:
        raise FormErrors(errors)
    return order


def _given(field: Field, value: Any, facts: FormContext) -> bool:
    """A required tick is ticked; a required choice is made, and is one of those offered when
    the order takes something from it (a product's name and price). A submission's context
    holds the catalogue, not the account: the rules check what belongs to the account."""
    if field.kind is Input.TICK:
        return bool(value)
    if not isinstance(value, str):
        return False
    if field.options:
        return value in {choice for choice, _ in field.options}
    if field.source is Source.PRODUCTS:
        return value in {choice for choice, _ in facts.choices(field.source)}
    return True


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for name in parents:
        data = data.setdefault(name, {})
    data[last] = value


def _present(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty fields: an optional one takes its default, a required one is "missing"."""
    return {
        key: _present(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if value is not None
    }


def _no_card_secrets(found: dict[str, Any], lang: str) -> None:
    """A full card number or a security code is refused in any field of any form (a forged
    or future form included), before anything could store or echo it."""
    try:
        refuse_card_secrets(found)
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise FormErrors({field: t(lang, message)}) from None


def _plain_amounts(entry: Order[Any], found: dict[str, Any], lang: str) -> None:
    """Amounts as people write them; a payment of at least the minimum, said in the reader's
    language (the rule's own message carries the figure, so it cannot be translated)."""
    for field in MONEY_FIELDS:
        text = found.get(field)
        if text is not None and not (isinstance(text, str) and AMOUNT.match(text)):
            raise FormErrors(
                {field: t(lang, "Write an amount such as 25.00 (at most 2 decimals).")}
            )
    amount = found.get("amount")
    if entry.command is cmd.Pay and amount and Decimal(amount) < MINIMUM_PAYMENT:
        raise FormErrors({"amount": t(lang, "At least {minimum} USD.", minimum=MINIMUM_PAYMENT)})
