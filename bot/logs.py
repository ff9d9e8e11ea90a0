"""Logging that never carries a secret and cannot be forged: tokens, signing secrets and
anything that looks like a card number are masked in every record, whatever library wrote
it, and every record is one line of at most 1 KB, its control characters escaped."""

from __future__ import annotations

import logging
import re

from billing import card_data

SECRET = re.compile(r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")
DIGIT_RUN = re.compile(r"\d[\d\s._/\-]{11,}\d")
"""A run of digits of any script, separated or not, long enough to hide a card number."""
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LINE_LIMIT = 1024


def _masked(text: str) -> str:
    text = SECRET.sub("[redacted]", text)
    return DIGIT_RUN.sub(
        lambda run: "[digits withheld]" if card_data.has_card_number(run.group()) else run.group(),
        text,
    )


class Redact(logging.Filter):
    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = _masked(message)
        for secret in self.secrets:
            clean = clean.replace(secret, "[redacted]")
        if clean != message:
            record.msg, record.args = clean, None
        return True


class OneLine(logging.Formatter):
    """A record on one line: newlines and other control characters escaped (a logged value
    cannot forge a line), a traceback folded onto its line, at most LINE_LIMIT characters."""

    def format(self, record: logging.LogRecord) -> str:
        text = _masked(super().format(record))
        text = CONTROL.sub(lambda char: f"\\x{ord(char.group()):02x}", text.replace("\n", "\\n"))
        return text if len(text) <= LINE_LIMIT else text[: LINE_LIMIT - 1] + "…"


def configure(level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
