"""The product catalogue a new subscription starts from; a price change applies to new
subscriptions only, since each subscription keeps the price it started at.

Two ways change it, through the one rule below (`revise`): a super-admin's
`/license plan price` in single-workspace mode (an order, audited for that customer), and the
operator's `licensebot catalogue set` (audited for no customer: the catalogue is the
operator's)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing import commands as cmd
from billing.account import Account
from billing.errors import NotFound
from billing.model import Change, Occasion, Plan, Product
from billing.money import CURRENCY

ADD_PRODUCT = "add_product"
SET_PRODUCT = "set_product"
"""The audit actions of the operator's changes."""


class CatalogueError(Exception):
    """An operator's change that cannot be made (a new product without its prices)."""


@dataclass(frozen=True)
class ProductEdit:
    """What to set on one product; None leaves a field as it is."""

    code: str
    name: str | None = None
    annual_price: Decimal | None = None
    flexible_price: Decimal | None = None
    currency: str | None = None

    def given(self) -> dict[str, Any]:
        """The fields this edit sets, by column name."""
        fields = {
            "name": self.name,
            "annual_price": self.annual_price,
            "flexible_price": self.flexible_price,
            "currency": self.currency,
        }
        return {name: value for name, value in fields.items() if value is not None}


def revise(current: Product | None, edit: ProductEdit, action: str = "") -> tuple[Product, Change]:
    """The product after the edit, and its audit change (the fields given, before and after).
    Existing subscriptions are untouched: each keeps the price it started at."""
    given = edit.given()
    if current is None:
        missing = [
            what
            for what, value in (
                ("name", edit.name),
                ("annual price", edit.annual_price),
                ("flexible price", edit.flexible_price),
            )
            if value is None
        ]
        if missing:
            raise CatalogueError(f"“{edit.code}” is a new product: give its {', '.join(missing)}")
        assert edit.name and edit.annual_price and edit.flexible_price  # checked just above
        product = Product(
            edit.code,
            edit.name,
            edit.annual_price,
            edit.flexible_price,
            edit.currency or CURRENCY,
        )
        after = {"product": edit.code, **given, "currency": product.currency}
        return product, Change(action or ADD_PRODUCT, edit.code, None, after)
    if not given:
        raise CatalogueError(f"nothing to change on “{edit.code}”")
    changed = replace(current, **given)
    before = {"product": current.code, **{name: getattr(current, name) for name in given}}
    return changed, Change(
        action or SET_PRODUCT, current.code, before, {"product": edit.code, **given}
    )


def set_price(account: Account, order: cmd.SetPrice, at: datetime, occasion: Occasion) -> Change:
    product = account.catalogue.get(order.product)
    if product is None:
        raise NotFound("no product with the code “{code}”", field="product", code=order.product)
    edit = (
        ProductEdit(product.code, annual_price=order.price)
        if order.plan is Plan.ANNUAL
        else ProductEdit(product.code, flexible_price=order.price)
    )
    changed, change = revise(product, edit, order.name)
    account.reprice(changed, at)
    return change
