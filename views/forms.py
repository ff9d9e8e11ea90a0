"""Modals: any order's form, drawn from its description in the registry; the confirmation of
anything that spends money; the result of a submission."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from billing.money import MINIMUM_PAYMENT
from services.forms import Field, Form, FormContext, Input, Note
from services.orders import Order
from views.i18n import code, currency_symbol, money, t
from views.kit import checkbox, context, modal, radio, section, select, text_input

CONFIRM = "confirm"
"""The callback id of every confirmation: its order travels in the view's private metadata."""
RESULT = "result"


def form(
    lang: str, entry: Order[Any], facts: FormContext, initial: Mapping[str, str] | None = None
) -> View:
    """The order's modal, its fields filled with `initial` where given."""
    described = entry.form
    assert described is not None, f"{entry.name} has no form"
    blocks = [_block(lang, block, facts, initial or {}) for block in described.blocks]
    return modal(
        entry.name,
        t(lang, entry.title),
        blocks,
        submit=t(lang, described.submit),
        close=t(lang, "Cancel"),
    )


def _block(lang: str, block: Field | Note, facts: FormContext, initial: Mapping[str, str]) -> Block:
    if isinstance(block, Note):
        figure = getattr(facts, block.amount) if block.amount else None
        text = (
            t(lang, block.text, amount=money(figure, lang))
            if figure is not None
            else t(lang, block.text)
        )
        text = f"{block.icon} {text}" if block.icon else text
        return context(text) if block.small else section(text)
    return _input(lang, block, facts, initial.get(block.name, block.initial))


def _input(lang: str, field: Field, facts: FormContext, start: str | None) -> Block:
    label = t(lang, field.label, currency=currency_symbol(lang))
    hint = t(lang, field.hint, minimum=money(MINIMUM_PAYMENT, lang)) if field.hint else None
    if field.kind is Input.TEXT:
        return text_input(
            field.name,
            label,
            initial=start,
            placeholder=field.placeholder,
            hint=hint,
            optional=field.optional,
            max_length=field.max_length,
        )
    choices = _choices(lang, field, facts)
    if field.kind is Input.CHOICE:
        return select(field.name, label, choices, initial=start, optional=field.optional, hint=hint)
    if field.kind is Input.OPTIONS:
        return radio(field.name, label, choices, initial=start)
    return checkbox(field.name, label, choices[0][1], optional=field.optional)


def _choices(lang: str, field: Field, facts: FormContext) -> list[tuple[str, str]]:
    if field.source is not None:
        return facts.choices(field.source)
    return [(value, code(lang, text)) for value, text in field.options]


def inputs(described: Form) -> list[str]:
    """The block ids of a form's inputs, in order."""
    return [field.name for field in described.fields]


def confirm(
    lang: str, title: str, summary: str, lines: Sequence[str], metadata: str, approval: bool
) -> View:
    """Pushed over the form: its "Back" (Slack's close of a pushed view) returns to the form
    with what was typed in it."""
    note = (
        t(lang, "A super-admin will be asked to approve this.")
        if approval
        else t(lang, "Check the amounts, then confirm.")
    )
    return modal(
        CONFIRM,
        t(lang, title),
        [
            section(f"*{summary}*"),
            *[section(line) for line in lines],
            context(note),
        ],
        submit=t(lang, "Request approval") if approval else t(lang, "Confirm"),
        close=t(lang, "Back"),
        metadata=metadata,
    )


def result(lang: str, title: str, text: str, *, back: bool = False) -> View:
    """How a submission ends. Its "Done" ends the whole modal (the form under a pushed
    confirmation included); with ``back`` (a refusal shown in place of a pushed
    confirmation) its "Back" returns to the form below, filled in as it was left."""
    if back:
        return modal(RESULT, t(lang, title), [section(text)], submit=None, close=t(lang, "Back"))
    return modal(
        RESULT,
        t(lang, title),
        [section(text)],
        submit=None,
        close=t(lang, "Done"),
        clear_on_close=True,
    )
