"""The product catalogue a new subscription starts from; a price change applies to new
subscriptions only, since each subscription keeps the price it started at."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from billing import commands as cmd
from billing.account import Account
from billing.errors import NotFound
from billing.model import Change, Occasion, Plan


def set_price(account: Account, order: cmd.SetPrice, at: datetime, occasion: Occasion) -> Change:
    product = account.catalogue.get(order.product)
    if product is None:
        raise NotFound("no product with the code “{code}”", field="product", code=order.product)
    annual = order.plan is Plan.ANNUAL
    column = "annual_price" if annual else "flexible_price"
    before = {"product": product.code, column: product.price(order.plan)}
    changed = (
        replace(product, annual_price=order.price)
        if annual
        else replace(product, flexible_price=order.price)
    )
    account.reprice(changed, at)
    return Change(order.name, product.code, before, {"product": product.code, column: order.price})
