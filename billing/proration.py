"""Line amounts by the normative arithmetic, computed exactly and rounded once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from billing.calendar import ONE_DAY, add_months, days_in_month, month_end
from billing.money import ratio_cents, round_cents, scaled


def flexible_amount(monthly_price: Decimal, licence_days: int, month_days: int) -> Decimal:
    """P × Σq(d) / D(M)."""
    units = scaled(monthly_price)
    if units is None:
        return round_cents(Fraction(monthly_price) * licence_days / month_days)
    return ratio_cents(units * licence_days, 100 * month_days)


def annual_amount(annual_price: Decimal, licence_days: int, month_days: int) -> Decimal:
    """(A / 12) × Σq(d) / D(M)."""
    units = scaled(annual_price)
    if units is None:
        return round_cents(Fraction(annual_price) / 12 * licence_days / month_days)
    return ratio_cents(units * licence_days, 100 * 12 * month_days)


def remainder_amount(
    annual_price: Decimal, licences: int, cancel_day: date, term_end: date
) -> Decimal:
    """(A / 12) × L × Σ 1 / D(month of d), d from the day after the cancel day to the term end."""
    months = Fraction(0)
    day = cancel_day + ONE_DAY
    while day <= term_end:
        last = min(month_end(day), term_end)
        months += Fraction((last - day).days + 1, days_in_month(day.year, day.month))
        day = last + ONE_DAY
    return round_cents(Fraction(annual_price) / 12 * licences * months)


def term_last_day(first_paid_day: date) -> date:
    """Last day of a 12-month term: the day before the same date 12 months later."""
    return add_months(first_paid_day, 12) - ONE_DAY
