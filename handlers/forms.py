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
from views.i18n import money, t
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


def inputs(view: dict[str, Any]) -> list[str]:
    """The block ids of a view's inputs, in the form's order, then any other its state
    names: where field errors may go (Slack refuses errors for a block the view does not
    have, and a state may lack an input)."""
    blocks = view.get("blocks")
    found = [
        str(block["block_id"])
        for block in (blocks if isinstance(blocks, list) else [])
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id")
    ]
    return [*found, *(block for block in values(view) if block not in found)]


def read(entry: Order[Any], view: dict[str, Any], lang: str, facts: FormContext) -> cmd.Command:
    """The validated order a form asks for, or FormErrors naming every field that is wrong,
    all at once, keyed by the form's own inputs; an error about a field the form lacks goes
    on its first input."""
    own = inputs(view) or ["subscription"]
    try:
        return _read(entry, values(view), lang, facts, own)
    except FormErrors as problem:
        errors: dict[str, str] = {}
        for block, message in problem.errors.items():
            errors.setdefault(block if block in own else own[0], message)
        raise FormErrors(errors) from None


def _read(
    entry: Order[Any], found: dict[str, Any], lang: str, facts: FormContext, own: list[str]
) -> cmd.Command:
    """Every check, each field's first error kept: card data, then how an amount is written,
    then a required tick or choice, then the command model. A field already refused is left
    out of the model's input, which then has nothing more to say about it."""
    assert entry.form is not None
    errors = _card_secrets(found, lang)
    for block, message in _amount_errors(entry, found, lang).items():
        errors.setdefault(block, message)
    for field in entry.form.fields:
        if field.missing and not _given(field, found.get(field.name), facts):
            errors.setdefault(field.name, t(lang, field.missing))
    data: dict[str, Any] = {}
    for field in entry.form.fields:
        value = found.get(field.name)
        if field.path is not None and value is not None and field.name not in errors:
            _put(data, field.path, value)
    if entry.form.prepare is not None:
        data = entry.form.prepare(data, facts)
    try:
        order: cmd.Command = entry.read(_present(data))
    except ValidationError as error:
        for block, message in translate(error, lang, own).items():
            errors.setdefault(block, message)
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


def _card_secrets(found: dict[str, Any], lang: str) -> dict[str, str]:
    """Every field holding a full card number or a security code (or named for one), in any
    form (a forged or future form included), before anything could store or echo it."""
    errors: dict[str, str] = {}
    for block, value in found.items():
        try:
            refuse_card_secrets({block: value})
        except ValueError as error:
            errors[block] = t(lang, str(error).partition(": ")[2])
    return errors


def _amount_errors(entry: Order[Any], found: dict[str, Any], lang: str) -> dict[str, str]:
    """Amounts as people write them; a payment of at least the minimum, said in the reader's
    language (the rule's own message carries the figure, so it cannot be translated)."""
    errors: dict[str, str] = {}
    for field in MONEY_FIELDS:
        text = found.get(field)
        if text is not None and not (isinstance(text, str) and AMOUNT.match(text)):
            errors[field] = t(lang, "Write an amount such as 25.00 (at most 2 decimals).")
    amount = found.get("amount")
    if entry.command is not cmd.Pay or not isinstance(amount, str) or "amount" in errors:
        return errors
    if Decimal(amount) < MINIMUM_PAYMENT:
        errors["amount"] = t(lang, "At least {minimum}.", minimum=money(MINIMUM_PAYMENT, lang))
    return errors
