"""Pacific calendar days.

Billing periods are computed in America/Los_Angeles for every customer. A day is the
half-open interval between two Pacific midnights, 23 or 25 hours long on DST days;
an instant belongs to the day that contains it.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
ONE_DAY = timedelta(days=1)


def require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("an instant needs an explicit UTC offset")
    return instant


def pacific_day(instant: datetime) -> date:
    """The Pacific calendar day that contains an instant."""
    if instant.tzinfo is None:  # astimezone would take it for local time
        raise ValueError("an instant needs an explicit UTC offset")
    return instant.astimezone(PACIFIC).date()


@lru_cache(maxsize=4096)
def day_start(day: date) -> datetime:
    """00:00 Pacific of a day, as a UTC instant (the offset in force at that moment)."""
    return datetime(day.year, day.month, day.day, tzinfo=PACIFIC).astimezone(UTC)


def next_midnight(instant: datetime) -> datetime:
    """The first Pacific midnight strictly after an instant."""
    return day_start(pacific_day(instant) + ONE_DAY)


@lru_cache(maxsize=1024)
def days_in_month(year: int, month: int) -> int:
    return _calendar.monthrange(year, month)[1]


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=days_in_month(day.year, day.month))


def previous_month(day: date) -> date:
    """The first day of the month before the one containing `day`."""
    return month_start(month_start(day) - ONE_DAY)


def add_months(day: date, months: int) -> date:
    """Same date `months` later; a missing date falls back to that month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, days_in_month(year, month)))


def to_pacific(instant: datetime) -> datetime:
    return require_aware(instant).astimezone(PACIFIC)
