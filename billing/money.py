"""Money as exact decimals: prices may carry more places than the currency, amounts
are rounded once, half-up, to the cent, where an invoice line is made."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MINIMUM_PAYMENT = Decimal("10.00")
CURRENCY = "USD"
AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def round_cents(value: Fraction | Decimal | int) -> Decimal:
    """Round an exact quantity half-up to the cent (the one rounding of a line)."""
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    exact = Fraction(value)
    cents = (abs(exact) * 100 + Fraction(1, 2)).__floor__()
    signed = cents if exact >= 0 else -cents
    return (Decimal(signed) / 100).quantize(CENT)


def ratio_cents(numerator: int, denominator: int) -> Decimal:
    """numerator / denominator cents, rounded half-up: integer arithmetic for hot paths."""
    if denominator <= 0 or numerator < 0:
        return round_cents(Fraction(numerator, denominator) / 100)
    return Decimal((2 * numerator + denominator) // (2 * denominator)).scaleb(-2)


def scaled(price: Decimal, places: int = 4) -> int | None:
    """The price as an integer count of 10**-places units, if it has no more places."""
    units = price.scaleb(places)
    return int(units) if units == units.to_integral_value() else None


def parse_amount(text: object, *, places: int = 2) -> Decimal:
    """Parse a user-given amount; refuses floats, NaN, infinities and excess places."""
    if isinstance(text, bool | float):
        raise ValueError('write the amount as a string such as "25.00"')
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int | str):
        written = str(text).strip()
        if not AMOUNT.fullmatch(written):  # no exponents, underscores or non-ASCII digits
            raise ValueError(f"{text!r} is not an amount")
        try:
            value = Decimal(written)
        except InvalidOperation:
            raise ValueError(f"{text!r} is not an amount") from None
    else:
        raise ValueError(f"{text!r} is not an amount")
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    if value.adjusted() >= 9:  # a billion or more, checked without arithmetic that could overflow
        raise ValueError(f"{text} is too large")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"{text} has more than {places} decimal places")
    return value


def fmt(amount: Decimal) -> str:
    """Two decimals, no grouping: the form amounts take in JSON and CSV."""
    return str(amount.quantize(CENT))
