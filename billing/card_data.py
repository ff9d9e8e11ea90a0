"""Card data that is never accepted, stored, logged or posted: a full card number or a card's
security code, in any disguise.

A card number is a run of 13 to 19 digits, in any script (Arabic-Indic, full-width,
mathematical bold...), whatever separators lie between them (spaces of any kind, dots,
dashes, underscores, slashes), that passes the Luhn check. A security code is three or
four digits next to a word that names one. Both are found the same way in every free-text
input: the command models check all their text with `refused`, and so does every form
field and every slash command before anything else reads it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

SEPARATORS = frozenset("._-/\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff0e\uff0f")
"""Besides every kind of space: what people (or an evasion) put between groups of digits."""
SHORTEST, LONGEST = 13, 19
SECURITY_WORDS = re.compile(
    r"(?:cvc2?|cvv2?|cav2|cid|csc|security\s*code|card\s*code|cryptogramme(?:\s*visuel)?"
    r"|code\s*(?:de\s*)?s[ée]curit[ée]|code\s*cvv)\W{0,3}(\d{3,4})(?!\d)",
    re.IGNORECASE,
)


def ascii_digits(text: str) -> str:
    """Every decimal digit of any script as its ASCII digit; the rest unchanged."""
    return "".join(
        str(unicodedata.decimal(ch))
        if not ch.isascii() and unicodedata.decimal(ch, None) is not None
        else ch
        for ch in text
    )


def digit_runs(text: str) -> Iterator[str]:
    """The runs of digits in `text`, separators between digits dropped."""
    run: list[str] = []
    for ch in ascii_digits(text):
        if "0" <= ch <= "9":
            run.append(ch)
        elif run and (ch.isspace() or ch in SEPARATORS or unicodedata.category(ch) == "Zs"):
            continue
        elif run:
            yield "".join(run)
            run = []
    if run:
        yield "".join(run)


def luhn(digits: str) -> bool:
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def has_card_number(text: str) -> bool:
    """Whether a card number hides in `text`, alone or inside a longer run of digits."""
    for run in digit_runs(text):
        for length in range(SHORTEST, min(LONGEST, len(run)) + 1):
            if any(luhn(run[i : i + length]) for i in range(len(run) - length + 1)):
                return True
    return False


def has_security_code(text: str) -> bool:
    """Three or four digits next to a word for a card's security code ("CVV: 123")."""
    return SECURITY_WORDS.search(ascii_digits(unicodedata.normalize("NFKC", text))) is not None


def control_character(text: str) -> bool:
    """Control characters (NUL included) and line or paragraph separators: no text field
    of the bot takes them, and they would break storage (PostgreSQL refuses NUL) or a log."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text)


CARD_NUMBER = "looks like a card number: never type one in Slack"
SECURITY_CODE = "looks like a card security code, which is never accepted or stored"
CONTROL = "contains a control character"


IMEI = re.compile(r"device:[0-9]{15}(?![0-9])", re.IGNORECASE)
"""A device named by its 15-digit IMEI (Luhn-checked like a card number, but not one:
SPEC "Licence seats" 1); 16 to 19 digits after `device:` are still refused."""


def refused(text: str) -> str | None:
    """Why `text` is refused (one of the messages above), or None when it may be kept."""
    if has_card_number(IMEI.sub("device:", text)):
        return CARD_NUMBER
    if has_security_code(text):
        return SECURITY_CODE
    if control_character(text):
        return CONTROL
    return None
