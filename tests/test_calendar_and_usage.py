"""Pure rules: Pacific days, months, terms, licence-days, rounding."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from billing.calendar import PACIFIC, add_months, day_start, next_midnight, pacific_day
from billing.money import parse_amount, round_cents
from billing.proration import annual_amount, flexible_amount, remainder_amount, term_last_day
from billing.usage import QuantityChange, licence_days, quantity_on, subtract, whole_days


def pt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_an_instant_belongs_to_its_pacific_day_not_its_utc_day() -> None:
    assert pacific_day(pt("2026-04-01T06:30:00+00:00")) == date(2026, 3, 31)
    assert pacific_day(pt("2026-04-01T07:00:00+00:00")) == date(2026, 4, 1)  # 00:00 PDT


def test_midnight_uses_the_offset_in_force_and_dst_days_are_23_and_25_hours() -> None:
    assert day_start(date(2026, 11, 1)) == pt("2026-11-01T00:00:00-07:00")
    assert day_start(date(2026, 12, 1)) == pt("2026-12-01T00:00:00-08:00")
    assert day_start(date(2026, 3, 9)) - day_start(date(2026, 3, 8)) == timedelta(hours=23)
    assert day_start(date(2026, 11, 2)) - day_start(date(2026, 11, 1)) == timedelta(hours=25)
    assert next_midnight(pt("2026-03-08T00:00:00-08:00")) == pt("2026-03-09T00:00:00-07:00")


def test_terms_last_twelve_months_and_a_missing_date_falls_back_to_the_month_end() -> None:
    assert term_last_day(date(2026, 1, 24)) == date(2027, 1, 23)
    assert term_last_day(date(2026, 3, 31)) == date(2027, 3, 30)
    # Feb 29, 2028 + 12 months has no Feb 29: it falls back to Feb 28, 2029; the term's
    # last day is the day before.
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert term_last_day(date(2028, 2, 29)) == date(2029, 2, 27)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def _changes(*pairs: tuple[str, int]) -> list[QuantityChange]:
    return [QuantityChange(pt(at), quantity) for at, quantity in pairs]


def test_additions_count_the_same_day_removals_the_next_day() -> None:
    changes = _changes(
        ("2026-03-01T09:00:00-08:00", 10),
        ("2026-03-05T15:00:00-08:00", 12),
        ("2026-03-10T15:00:00-07:00", 7),
    )
    assert quantity_on(changes, date(2026, 3, 4)) == 10
    assert quantity_on(changes, date(2026, 3, 5)) == 12  # added on the 5th: counts on the 5th
    assert quantity_on(changes, date(2026, 3, 10)) == 12  # removed on the 10th: still 12 that day
    assert quantity_on(changes, date(2026, 3, 11)) == 7
    # Mar 1-4: 4 x 10, Mar 5-10: 6 x 12, Mar 11-31: 21 x 7
    assert licence_days(changes, [(date(2026, 3, 1), date(2026, 3, 31))]) == 40 + 72 + 147


def test_a_change_at_midnight_replaces_the_count_for_that_whole_day() -> None:
    changes = _changes(("2026-01-01T09:00:00-08:00", 30), ("2027-01-15T00:00:00-08:00", 20))
    assert quantity_on(changes, date(2027, 1, 14)) == 30
    assert quantity_on(changes, date(2027, 1, 15)) == 20


def test_up_then_down_within_a_day_counts_the_peak() -> None:
    changes = _changes(
        ("2026-05-01T08:00:00-07:00", 5),
        ("2026-05-02T08:00:00-07:00", 9),
        ("2026-05-02T17:00:00-07:00", 4),
    )
    assert quantity_on(changes, date(2026, 5, 2)) == 9
    assert quantity_on(changes, date(2026, 5, 3)) == 4


def _brute_force(changes: list[QuantityChange], first: date, last: date) -> int:
    """q(d) straight from the definition: the largest count held at any moment of d."""
    total = 0
    day = first
    while day <= last:
        start, end = day_start(day), day_start(day + timedelta(days=1))
        held = [c.quantity for c in changes if c.at <= start][-1:] or [0]
        during = [c.quantity for c in changes if start < c.at < end]
        total += max(held + during)
        day += timedelta(days=1)
    return total


@given(
    st.lists(
        st.tuples(
            st.integers(0, 60 * 24 * 4), st.integers(0, 50)
        ),  # (minutes offset x 15, quantity)
        min_size=1,
        max_size=12,
    )
)
def test_licence_days_equal_the_day_by_day_definition(raw: list[tuple[int, int]]) -> None:
    origin = datetime(2026, 2, 27, 0, 0, tzinfo=PACIFIC)
    changes = sorted(
        (
            QuantityChange((origin + timedelta(minutes=15 * offset)).astimezone(UTC), quantity)
            for offset, quantity in raw
        ),
        key=lambda c: c.at,
    )
    first, last = date(2026, 2, 27), date(2026, 4, 10)  # spans the March DST change
    assert licence_days(changes, [(first, last)]) == _brute_force(changes, first, last)


def test_days_wholly_inside_a_suspension() -> None:
    # Suspended at 00:00 on the 8th, reactivated during the 10th: the 8th and 9th are whole.
    assert whole_days(
        pt("2026-02-08T00:00:00-08:00"), pt("2026-02-10T11:00:00-08:00"), date(2026, 2, 28)
    ) == (
        date(2026, 2, 8),
        date(2026, 2, 9),
    )
    # Still suspended: every day up to the horizon.
    assert whole_days(pt("2026-02-08T00:00:00-08:00"), None, date(2026, 2, 28)) == (
        date(2026, 2, 8),
        date(2026, 2, 28),
    )
    # Suspended mid-day and lifted the same day: no whole day.
    assert (
        whole_days(
            pt("2026-02-08T10:00:00-08:00"), pt("2026-02-08T20:00:00-08:00"), date(2026, 2, 28)
        )
        is None
    )
    assert subtract(
        [(date(2026, 2, 1), date(2026, 2, 28))], [(date(2026, 2, 8), date(2026, 2, 9))]
    ) == [
        (date(2026, 2, 1), date(2026, 2, 7)),
        (date(2026, 2, 10), date(2026, 2, 28)),
    ]


def test_each_line_is_rounded_once_half_up() -> None:
    assert round_cents(Fraction(5, 1000)) == Decimal("0.01")
    assert round_cents(Fraction(4999, 1000000)) == Decimal("0.00")
    assert round_cents(Fraction(-5, 1000)) == Decimal("-0.01")
    # 6.00 x 130 / 31 = 25.1612... -> 25.16
    assert flexible_amount(Decimal("6.00"), 130, 31) == Decimal("25.16")
    # (50 / 12) x 25 / 30 = 3.47222... -> 3.47; the exact fraction is never pre-rounded
    assert annual_amount(Decimal("50.00"), 25, 30) == Decimal("3.47")
    # (10.005 / 12) x 12 x 1 / 1 = 10.005 -> 10.01 (half-up, not banker's)
    assert annual_amount(Decimal("10.005"), 12, 1) == Decimal("10.01")


def test_cancel_remainder_weights_each_day_by_its_month() -> None:
    # Cancel May 20, term ends Mar 15, 2027: May 21-31 is 11/31 of a month, June-February
    # are 9 whole months, Mar 1-15 is 15/31: 9 + 26/31 months.
    # (50 / 12) x 20 x (9 + 26/31) = 819.892... -> 819.89
    assert remainder_amount(Decimal("50.00"), 20, date(2026, 5, 20), date(2027, 3, 15)) == Decimal(
        "819.89"
    )
    assert remainder_amount(Decimal("50.00"), 20, date(2027, 3, 15), date(2027, 3, 15)) == Decimal(
        "0.00"
    )


def test_amounts_are_parsed_exactly_and_floats_refused() -> None:
    assert parse_amount("25.00") == Decimal("25.00")
    assert parse_amount("6.1234", places=4) == Decimal("6.1234")
    for bad in (25.0, "1e999999999", "NaN", "abc", "1.001", True):
        try:
            parse_amount(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
