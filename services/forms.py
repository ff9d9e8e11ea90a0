"""Forms, described rather than drawn: the fields an order's modal asks for, their labels
(English message ids), where their choices come from, and what must exist before the form is
worth opening. `views.forms` draws any of them as a Block Kit modal and `handlers.forms`
reads any submission back into the order's command."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from billing.model import Card, Plan, Product, Subscription


def N_(message: str) -> str:
    """Mark an English message id for the catalogue; the views translate it where shown."""
    return message


class Input(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    """One of a list (a drop-down)."""
    OPTIONS = "options"
    """One of a few, all shown (radio buttons)."""
    TICK = "tick"
    """A box to tick (a checkbox)."""


class Source(StrEnum):
    """Where a field's choices come from when they are not fixed."""

    SUBSCRIPTIONS = "subscriptions"
    """Subscriptions that can still be changed here."""
    ANNUAL = "annual"
    """Annual subscriptions billed here, which have terms to renew."""
    PRODUCTS = "products"
    CARD = "card"
    """The card on file."""


class Need(StrEnum):
    """What must exist before a form is worth opening."""

    SUBSCRIPTION = "subscription"
    ANNUAL = "annual"
    CARD = "card"
    CREDIT = "credit"


@dataclass(frozen=True)
class Field:
    name: str
    """The block id, and the command field it fills unless `into` says otherwise."""
    label: str
    kind: Input = Input.TEXT
    options: tuple[tuple[str, str], ...] = ()
    """Fixed choices: (value, English label)."""
    source: Source | None = None
    initial: str | None = None
    optional: bool = False
    placeholder: str | None = None
    hint: str | None = None
    max_length: int = 100
    missing: str | None = None
    """What to say when this required tick or choice is left empty."""
    into: str | None = ""
    """The command field it fills ("card.brand" for a nested one); "" for its own name;
    None for a field that is only checked (a tick that accepts the terms)."""

    @property
    def path(self) -> str | None:
        return self.name if self.into == "" else self.into


@dataclass(frozen=True)
class Note:
    """Text shown between the fields."""

    text: str
    small: bool = False
    """A context line rather than a section."""
    icon: str = ""
    amount: str | None = None
    """The figure the text shows as {amount}: "balance_due" or "credit"."""


@dataclass(frozen=True)
class FormContext:
    """What a form shows besides its own fields: the account as the asker sees it."""

    subscriptions: Sequence[Subscription] = ()
    products: Sequence[Product] = ()
    card: Card | None = None
    balance_due: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")

    def choices(self, source: Source) -> list[tuple[str, str]]:
        if source is Source.SUBSCRIPTIONS:
            return [(s.key, f"{s.key} · {s.product}") for s in changeable(self.subscriptions)]
        if source is Source.ANNUAL:
            return [(s.key, f"{s.key} · {s.product}") for s in annual(self.subscriptions)]
        if source is Source.PRODUCTS:
            return [(p.code, p.name) for p in self.products]
        return [("card", self.card.describe())] if self.card else []

    def has(self, need: Need) -> bool:
        if need is Need.SUBSCRIPTION:
            return bool(changeable(self.subscriptions))
        if need is Need.ANNUAL:
            return bool(annual(self.subscriptions))
        if need is Need.CARD:
            return self.card is not None
        return self.credit > 0

    def product(self, code: str) -> Product | None:
        return next((p for p in self.products if p.code == code), None)


Prefill = Callable[[FormContext, Subscription | None], dict[str, str]]
Prepare = Callable[[dict[str, Any], FormContext], dict[str, Any]]


@dataclass(frozen=True)
class Form:
    blocks: tuple[Field | Note, ...]
    submit: str = N_("Next")
    words: tuple[str, ...] = ()
    """Fields that the words after the subcommand fill in order (`/license buy chrome 25`)."""
    needs: tuple[Need, str] | None = None
    """What must exist first, and the refusal (English message id) when it does not."""
    prefill: Prefill | None = None
    """Initial values from the account (the renewal mode in force, the card's expiry)."""
    prepare: Prepare | None = None
    """The command's fields from the form's, when they are not the same (a product code
    gives a product name and its price)."""

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(block for block in self.blocks if isinstance(block, Field))

    def lists(self, source: Source) -> bool:
        """Whether a field offers choices from `source` (so the form needs them)."""
        return any(field.source is source for field in self.fields)


def changeable(subs: Sequence[Subscription]) -> list[Subscription]:
    return [s for s in subs if not s.ended and s.billed_directly]


def annual(subs: Sequence[Subscription]) -> list[Subscription]:
    return [s for s in changeable(subs) if s.plan is Plan.ANNUAL]
