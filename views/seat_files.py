"""What a shared seat file comes to: applied, or a report per row with a button that
applies the valid rows only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from billing.quotes import Line
from services.seat_files import RowProblem
from views.i18n import N_, Nn_, render, t, tn
from views.kit import actions, button, context, section

APPLY_VALID = "seats_import_valid"
SHOWN = 20
GONE = N_("That file can no longer be read: share it again.")
SUPERS_ONLY = N_("Only a super-admin can apply a file of seats.")
NOT_A_SEAT_FILE = N_(
    "Share a CSV file of at most 2 MB with the columns action,subscription,holder,perpetual."
)
EMPTY = N_("The file has no row to apply.")
REFUSED = N_("Nothing was applied: some rows of the file cannot be.")
EXPORTED = N_("Who holds each licence. Edit it and share it back here to apply the changes.")
APPLIED = Nn_("{count} seat change applied.", "{count} seat changes applied.")
SKIPPED = Nn_("{count} row skipped.", "{count} rows skipped.")
VALID = Nn_("Apply the {count} valid row", "Apply the {count} valid rows")


def said(text: str) -> list[Block]:
    return [section(text)]


def report(
    lang: str,
    file_id: str,
    valid: int,
    problems: Sequence[RowProblem],
    refused: Sequence[dict[str, Any]],
) -> list[Block]:
    """Each row that cannot be applied, by line (at most 20 shown), and the way on."""
    lines = [
        (
            problem.line,
            f"{problem.holder} · " if problem.holder else "",
            _why(lang, problem.template, problem.params),
        )
        for problem in problems
    ]
    lines += [
        (int(row["line"]), "", render(lang, Line(row["template"], row["params"])))
        for row in refused
    ]
    lines.sort()
    shown = [
        t(lang, "Line {line}: {problem}", line=line, problem=f"{holder}{why}")
        for line, holder, why in lines[:SHOWN]
    ]
    if len(lines) > SHOWN:
        shown.append(t(lang, "… and {count} more.", count=len(lines) - SHOWN))
    blocks: list[Block] = [section(f":warning: {t(lang, REFUSED)}"), section("\n".join(shown))]
    if valid:
        blocks.append(
            actions(button(tn(lang, VALID, valid), APPLY_VALID, file_id, style="primary"))
        )
        blocks.append(context(t(lang, "Or fix the file and share it again.")))
    return blocks


def _why(lang: str, template: str, params: dict[str, object]) -> str:
    message = str(params.get("message", ""))
    return (
        f"{params.get('field')}: {t(lang, message)}"
        if template == "{field}: {message}"
        else t(lang, template)
    )


def applied(lang: str, count: int, skipped: int, replayed: bool) -> tuple[list[Block], str]:
    text = tn(lang, APPLIED, count) + (f" {tn(lang, SKIPPED, skipped)}" if skipped else "")
    if replayed:
        text += t(lang, " (already done: this request arrived twice)")
    return [section(f":white_check_mark: {text}")], text
