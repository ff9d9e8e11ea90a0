"""Licence-days: the daily quantity q(d) summed over billable days.

q(d) is the largest quantity held at any moment of Pacific day d: an addition counts
from the day it happens, a removal from the next day (the old count was still held
for part of the day). Sums are computed per run of unchanged days, not day by day,
so a month of a large customer costs a handful of operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

from billing.calendar import ONE_DAY, day_start, pacific_day

DayRange = tuple[date, date]
"""Inclusive range of Pacific days."""


class QuantityChange(NamedTuple):
    """From `at` on, `quantity` licences (annual) or users (flexible) are held."""

    at: datetime
    quantity: int


_at = attrgetter("at")


class DayStep(NamedTuple):
    """A day on which the quantity changed: its q(d), and the count held at its end."""

    day: date
    peak: int
    closing: int


def day_steps(changes: Iterable[QuantityChange], held: int = 0) -> list[DayStep]:
    """One step per day with changes, `held` licences being held before the first.
    A change at 00:00 sets the count held at the day's first moment; the count held
    before it was never held during that day."""
    steps: list[DayStep] = []
    day: date | None = None
    midnight = None
    opening = later = 0
    for change in sorted(changes, key=_at):
        changed_on = pacific_day(change.at)
        if changed_on != day:
            if day is not None:
                steps.append(DayStep(day, max(opening, later), held))
            day, opening, later = changed_on, held, -1
            midnight = day_start(changed_on)
        if change.at == midnight:
            opening = change.quantity
        else:
            later = max(later, change.quantity)
        held = change.quantity
    if day is not None:
        steps.append(DayStep(day, max(opening, later), held))
    return steps


def quantity_on(changes: Iterable[QuantityChange], day: date) -> int:
    """q(day)."""
    return licence_days(changes, [(day, day)])


def licence_days(changes: Iterable[QuantityChange], ranges: Sequence[DayRange]) -> int:
    """Σ q(d) over the days of `ranges` (disjoint inclusive ranges, in order).

    Changes before the first day only set the count held at its start, so they are
    folded into it rather than turned into steps (a long history costs no more)."""
    if not ranges:
        return 0
    start = day_start(ranges[0][0])
    held = 0
    recent = []
    for change in sorted(changes, key=_at):
        if change.at < start:
            held = change.quantity
        else:
            recent.append(change)
    steps = day_steps(recent, held)
    return sum(_range_sum(steps, first, last, held) for first, last in ranges)


def _range_sum(steps: Sequence[DayStep], first: date, last: date, held: int) -> int:
    total = 0
    cursor = first
    for step in steps:
        if step.day < first:
            held = step.closing
            continue
        if step.day > last:
            break
        total += held * (step.day - cursor).days + step.peak
        held = step.closing
        cursor = step.day + ONE_DAY
    if cursor <= last:
        total += held * ((last - cursor).days + 1)
    return total


def subtract(ranges: Iterable[DayRange], holes: Iterable[DayRange]) -> list[DayRange]:
    """Days of `ranges` outside every hole."""
    remaining = list(ranges)
    for hole_start, hole_end in holes:
        next_remaining = []
        for start, end in remaining:
            if hole_end < start or hole_start > end:
                next_remaining.append((start, end))
                continue
            if start < hole_start:
                next_remaining.append((start, hole_start - ONE_DAY))
            if hole_end < end:
                next_remaining.append((hole_end + ONE_DAY, end))
        remaining = next_remaining
    return remaining


def whole_days(start: datetime, end: datetime | None, horizon: date) -> DayRange | None:
    """The days lying entirely inside [start, end), capped at `horizon` when open."""
    first = pacific_day(start)
    if day_start(first) < start:
        first += ONE_DAY
    last = horizon if end is None else pacific_day(end) - timedelta(days=1)
    return (first, last) if first <= last else None
