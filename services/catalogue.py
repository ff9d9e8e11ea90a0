"""The operator's catalogue: `licensebot catalogue` lists it and sets its products and prices.

The catalogue belongs to whoever runs the bot, not to a customer: a change is audited with the
operator as its actor and no customer. Amounts follow the rules of `/license plan price`
(positive, at most 4 decimals, never a float); as there, a new price applies to new
subscriptions only (billing.catalogue.revise)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from billing.actors import OPERATOR, Actor
from billing.catalogue import CatalogueError, ProductEdit
from billing.model import Change, Product
from billing.money import CURRENCY, parse_amount

__all__ = ["Catalogue", "CatalogueError", "ProductEdit", "edit", "edits_of", "table"]

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
"""As a subscription's product code is checked in an order (billing.commands.Key)."""
NAME_LENGTH = 100
CURRENCIES = (CURRENCY,)
"""The currencies customers are billed in: a product in another could not be invoiced."""
FIELDS = ("code", "name", "annual", "flexible", "currency")


class CatalogueStore(Protocol):
    def products(self) -> list[Product]: ...

    def revise_catalogue(
        self, edits: Sequence[ProductEdit], at: datetime, actor: Actor
    ) -> list[Change]: ...


def _price(text: object, option: str) -> Decimal:
    try:
        price = parse_amount(text, places=4)
    except ValueError as error:
        raise CatalogueError(f"{option}: {error}") from None
    if price <= 0:
        raise CatalogueError(f"{option}: {text} is not a price: it must be more than 0")
    return price


def edit(
    code: object,
    *,
    name: object = None,
    annual: object = None,
    flexible: object = None,
    currency: object = None,
    flag: str = "--",
) -> ProductEdit:
    """One product's change, checked: what the command line or a file gives."""
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise CatalogueError(
            f"{code!r} is not a product code (letters, digits, _ . -, at most 40, "
            "starting with a letter or digit)"
        )
    if name is not None:
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_LENGTH:
            raise CatalogueError(f"{flag}name: give a name of 1 to {NAME_LENGTH} characters")
        name = name.strip()
    if currency is not None and currency not in CURRENCIES:
        raise CatalogueError(
            f"{flag}currency: {currency} is not a currency the bot bills in ({', '.join(CURRENCIES)})"
        )
    return ProductEdit(
        code,
        name,
        None if annual is None else _price(annual, f"{flag}annual"),
        None if flexible is None else _price(flexible, f"{flag}flexible"),
        currency,
    )


def edits_of(document: Any) -> list[ProductEdit]:
    """The products of a catalogue file: `products:` then a list of {code, name, annual,
    flexible, currency}, each field but the code optional when the product exists."""
    if not isinstance(document, Mapping) or set(document) != {"products"}:
        raise CatalogueError("the file must hold one key, `products`, with a list of products")
    products = document["products"]
    if not isinstance(products, list) or not products:
        raise CatalogueError("`products` must be a list of at least one product")
    found: list[ProductEdit] = []
    seen: set[str] = set()
    for number, entry in enumerate(products, start=1):
        where = f"product {number}"
        if not isinstance(entry, Mapping):
            raise CatalogueError(f"{where}: give code, name, annual, flexible")
        unknown = sorted(str(key) for key in entry if key not in FIELDS)
        if unknown:
            raise CatalogueError(f"{where}: unknown field {', '.join(unknown)}")
        try:
            one = edit(
                entry.get("code"),
                name=entry.get("name"),
                annual=entry.get("annual"),
                flexible=entry.get("flexible"),
                currency=entry.get("currency"),
                flag="",
            )
        except CatalogueError as error:
            raise CatalogueError(f"{where}: {error}") from None
        if one.code in seen:
            raise CatalogueError(f"{where}: “{one.code}” is given twice")
        seen.add(one.code)
        found.append(one)
    return found


class Catalogue:
    def __init__(self, store: CatalogueStore) -> None:
        self.store = store

    def products(self) -> list[Product]:
        return self.store.products()

    def set(
        self, edits: Sequence[ProductEdit], at: datetime, actor: Actor = OPERATOR
    ) -> list[Change]:
        """Every edit, audited, in one transaction; none if one fails (CatalogueError)."""
        return self.store.revise_catalogue(edits, at, actor)


def _shown(price: Decimal) -> str:
    """At least the cents, and every decimal the price has (55.125 stays 55.125)."""
    exact = price.normalize()
    exponent = exact.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{price:.{places}f}"


def table(products: Sequence[Product]) -> str:
    """The catalogue as a person reads it: one product a line, columns aligned."""
    head = ("code", "name", "annual", "flexible", "currency")
    rows = [
        (p.code, p.name, _shown(p.annual_price), _shown(p.flexible_price), p.currency)
        for p in products
    ]
    if not rows:
        return "The catalogue is empty: add a product with `licensebot catalogue set`.\n"
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    numeric = (2, 3)

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    return "\n".join([line(head), *(line(row) for row in rows)]) + "\n"
