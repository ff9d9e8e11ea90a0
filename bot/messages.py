"""Every message licensebot can show, found in the source, and the French catalogue kept
in step with them: `python -m bot.messages` adds new ids to licensebot.po (untranslated)
and drops ids the code no longer uses."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from billing import card_data
from billing.approvals import ApprovalStatus
from billing.model import AlertKind, RenewalMode
from handlers.forms import PYDANTIC
from services.orders import REASONS
from views.i18n import CATALOGUES
from views.replies import KIND_TEXT, STATUS_TEXT

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = ("t",)
MARKED = ("N_", "Line")
REFUSALS = ("BillingError", "NotFound", "NotAllowed", "ResellerManaged", "PaymentDeclined")


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _value_error(node: ast.AST) -> str | None:
    """The message of ValueError("...") or ValueError(f"{field}: ..."), without the field."""
    text = _literal(node)
    if text is not None:
        return (
            text.split(": ", 1)[1]
            if ": " in text and text.split(": ", 1)[0].isidentifier()
            else text
        )
    if isinstance(node, ast.JoinedStr) and len(node.values) >= 2:
        rest = [v for v in node.values[1:] if isinstance(v, ast.Constant)]
        if len(rest) == len(node.values) - 1:
            joined = "".join(str(v.value) for v in rest)
            return joined.removeprefix(": ") if joined.startswith(": ") else None
    return None


def _calls(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.id
            if isinstance(node.func, ast.Name)
            else node.func.attr
            if isinstance(node.func, ast.Attribute)
            else ""
        )
        if (
            (name in TRANSLATED and len(node.args) >= 2 and (text := _literal(node.args[1])))
            or (name in MARKED and node.args and (text := _literal(node.args[0])))
            or (name in REFUSALS and node.args and (text := _literal(node.args[0])))
            or (
                name == "ValueError"
                and node.args
                and path.parent.name == "billing"
                and (text := _value_error(node.args[0]))
            )
        ):
            yield text


def _plural_calls(path: Path) -> Iterator[tuple[str, str]]:
    """Counting messages: Nn_("1 form", "n form") and Line(..., plural="n form")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id == "Nn_" and len(node.args) == 2:
            one, many = _literal(node.args[0]), _literal(node.args[1])
        elif node.func.id == "Line" and node.args:
            one = _literal(node.args[0])
            many = next((_literal(k.value) for k in node.keywords if k.arg == "plural"), None)
        else:
            continue
        if one and many:
            yield one, many


def plurals() -> set[tuple[str, str]]:
    """Every counting message, as (singular, plural) in English."""
    found: set[tuple[str, str]] = set()
    for folder in ("billing", "bot", "handlers", "scheduler", "services", "views"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found.update(_plural_calls(path))
    return found


def messages() -> set[str]:
    found: set[str] = set()
    for folder in ("billing", "bot", "handlers", "scheduler", "services", "views"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found.update(_calls(path))
    found.update(STATUS_TEXT.values())
    found.update(KIND_TEXT.values())
    found.update(kind.value for kind in AlertKind)
    found.update(mode.value for mode in RenewalMode)
    found.update(REASONS)
    found.update(PYDANTIC.values())
    found.update(status.value for status in ApprovalStatus)
    found.update((card_data.CARD_NUMBER, card_data.SECURITY_CODE, card_data.CONTROL))
    found.update(("annual plan", "flexible plan"))
    singulars = {one for one, _ in plurals()}
    return {text for text in found if text.strip() and text not in singulars}


def update(language: str = "fr") -> tuple[int, int]:
    """Bring the catalogue in step with the code; returns (added, untranslated)."""
    path = CATALOGUES / language / "LC_MESSAGES" / "licensebot.po"
    old = Catalog(locale=language)
    if path.exists():
        with path.open("rb") as handle:
            old = read_po(handle, locale=language)
    new = Catalog(locale=language, project="licensebot", charset="utf-8")
    added = 0
    for message in sorted(messages()):
        existing = old.get(message)
        new.add(message, existing.string if existing else "")
        added += existing is None
    for counting in sorted(plurals()):
        existing = old.get(counting)
        new.add(counting, existing.string if existing else ("", ""))
        added += existing is None
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, new, width=0, omit_header=False, sort_output=True)
    untranslated = sum(1 for m in new if m.id and not m.string)
    return added, untranslated


if __name__ == "__main__":
    added, untranslated = update()
    print(f"added {added}, untranslated {untranslated}")
