"""What an invoice line bills, as facts a screen can say in any language.

Each line is stored with an English description ("Chrome Enterprise Upgrade, annual plan,
2026-01"), and that text stays as the first releases wrote it: invoices already issued
carry it, and the simulate report shows it. Screens must not show it as-is to a French
reader, and the line keeps no product or domain of its own, so the description is written
here from the facts and read back here into them: one module holds both directions, and a
text that does not read back (written some other way) is shown as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from billing.calendar import month_end
from billing.model import Plan


class LineKind(StrEnum):
    USAGE = "usage"
    """A subscription's usage over days of one month (monthly and final invoices)."""
    REMAINDER = "remainder"
    """The rest of an annual commitment, invoiced when it is cancelled."""
    DOMAIN = "domain"
    """A year of a domain's registration."""


@dataclass(frozen=True)
class LineFacts:
    kind: LineKind
    subject: str
    """The product's name, or the registered domain."""
    start: date
    end: date
    plan: Plan | None = None

    @property
    def description(self) -> str:
        """The English text stored with the line."""
        if self.kind is LineKind.USAGE:
            plan = (self.plan or Plan.ANNUAL).value
            return f"{self.subject}, {plan} plan, {self.start.year:04d}-{self.start.month:02d}"
        if self.kind is LineKind.REMAINDER:
            return f"{self.subject}, rest of the annual commitment {self.start}–{self.end}"
        return f"Domain registration {self.subject}, {self.start}–{self.end}"


_DAY = r"\d{4}-\d{2}-\d{2}"
_USAGE = re.compile(r"(?P<subject>.+), (?P<plan>annual|flexible) plan, (?P<month>\d{4}-\d{2})")
_REMAINDER = re.compile(
    rf"(?P<subject>.+), rest of the annual commitment (?P<start>{_DAY})–(?P<end>{_DAY})"
)
_DOMAIN = re.compile(rf"Domain registration (?P<subject>\S+), (?P<start>{_DAY})–(?P<end>{_DAY})")


def read_line(description: str) -> LineFacts | None:
    """The facts `description` was written from; None for a text this module did not write.

    A usage line's text names its month only: its days are the whole month (the line's own
    period, when known, says which days)."""
    try:
        facts = _read(description)
    except ValueError:  # a date that is no date
        return None
    return facts if facts is not None and facts.description == description else None


def _read(description: str) -> LineFacts | None:
    if found := _USAGE.fullmatch(description):
        start = date.fromisoformat(f"{found['month']}-01")
        plan = Plan(found["plan"])
        return LineFacts(LineKind.USAGE, found["subject"], start, month_end(start), plan)
    if found := _REMAINDER.fullmatch(description):
        start, end = date.fromisoformat(found["start"]), date.fromisoformat(found["end"])
        return LineFacts(LineKind.REMAINDER, found["subject"], start, end, Plan.ANNUAL)
    if found := _DOMAIN.fullmatch(description):
        start, end = date.fromisoformat(found["start"]), date.fromisoformat(found["end"])
        return LineFacts(LineKind.DOMAIN, found["subject"], start, end)
    return None
