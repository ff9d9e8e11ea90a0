"""Seat assignments as CSV: a file an admin edits and shares with the bot (applied all or
nothing, releases first), and the export of who holds what, in the same columns, so an
exported file can be edited and shared back.

Columns: `action,subscription,holder,perpetual` (a header row first; `perpetual` optional,
yes/no). A holder is a Slack user id or mention, an e-mail address or `device:SERIAL`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from billing import commands as cmd
from billing.model import Subscription
from services.forms import N_

COLUMNS = ("action", "subscription", "holder", "perpetual")
MAX_BYTES = 2_000_000
YES = frozenset({"yes", "true", "1", "oui"})
NOT_TEXT = N_("The file is not UTF-8 text.")
NO_HEADER = N_("The first row must be the columns: action,subscription,holder,perpetual")


@dataclass(frozen=True)
class RowProblem:
    """A row of the file that cannot be applied: its line and why (an English message id
    and its values, shown in the reader's language)."""

    line: int
    holder: str
    template: str
    params: dict[str, object]


@dataclass(frozen=True)
class Parsed:
    rows: list[cmd.SeatRow]
    problems: list[RowProblem]


class NotCsv(ValueError):
    """The file is not a CSV of seats (wrong header, not text)."""


def parse(data: bytes) -> Parsed:
    """Every row of the file, read; a row that does not read is a problem, not an error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotCsv(NOT_TEXT) from None
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    if header[:3] != list(COLUMNS[:3]):
        raise NotCsv(NO_HEADER)
    rows, problems = [], []
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        fields = dict(zip(header, (value.strip() for value in values), strict=False))
        raw = {
            "line": number,
            "action": fields.get("action", "").lower(),
            "subscription": fields.get("subscription", ""),
            "holder": fields.get("holder", ""),
            "perpetual": fields.get("perpetual", "").lower() in YES,
        }
        try:
            rows.append(cmd.SeatRow.model_validate(raw))
        except ValidationError as error:
            field, message = cmd.field_errors(error)[0]
            shown = "" if field in ("holder", "input") else raw["holder"]  # never echo card data
            problems.append(
                RowProblem(
                    number,
                    str(shown)[:80],
                    "{field}: {message}",
                    {"field": field, "message": message},
                )
            )
    return Parsed(rows, problems)


def export(subscriptions: Sequence[Subscription], key: str | None = None) -> bytes:
    """Who holds what now, in the columns the import takes (every row an `assign`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, "assigned_at", "left_workspace"])
    for sub in subscriptions:
        if key is not None and sub.key != key:
            continue
        for seat in sorted(sub.seats, key=lambda s: (s.assigned_at, s.holder)):
            writer.writerow(
                [
                    "assign",
                    sub.key,
                    seat.holder,
                    "yes" if seat.perpetual else "no",
                    seat.assigned_at.isoformat(),
                    "yes" if seat.reclaim_since is not None else "no",
                ]
            )
    return out.getvalue().encode("utf-8")
