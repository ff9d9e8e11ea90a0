"""No card number or security code gets in, in any disguise: every free-text field of every
form, a confirmation's forged metadata, a slash command and a timeline refuse it, and it is
found nowhere afterwards, neither in the database nor in the log nor in what was posted to
Slack. The search is this file's own: every Unicode digit mapped to ASCII and every
separator removed, so a disguise cannot hide from it either."""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest

from bot.sandbox.signing import checkboxes, plain, radio
from bot.sandbox.signing import select as chosen
from bot.timeline import TimelineError, read_timeline
from services.forms import Input
from services.orders import ORDERS
from tests.slack.bot import SUPER, Running
from tests.slack.flows import (
    card_on_file,
    card_values,
    new_view_id,
    sign_up,
    signup_values,
    snapshot,
    submit,
)

NUMBER = "4000056655665556"  # a Visa test number: passes the Luhn check
DIGITS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "full width": "０１２３４５６７８９",
    "mathematical bold": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
    "devanagari": "०१२३४५६७८९",
}
SEPARATORS = {
    "spaces": " ",
    "double spaces": "  ",
    "dots": ".",
    "dashes": "-",
    "underscores": "_",
    "slashes": "/",
    "tabs": "\t",
    "no-break spaces": "\u00a0",
    "narrow no-break spaces": "\u202f",
    "ideographic spaces": "\u3000",
}


def grouped(number: str, separator: str) -> str:
    return separator.join(number[i : i + 4] for i in range(0, len(number), 4))


def in_script(number: str, digits: str) -> str:
    return "".join(digits[int(d)] for d in number)


DISGUISES = {
    "plain": NUMBER,
    **{name: grouped(NUMBER, sep) for name, sep in SEPARATORS.items()},
    **{name: in_script(NUMBER, digits) for name, digits in DIGITS.items()},
    "in a sentence": f"my card is {grouped(NUMBER, ' ')} thanks",
    "mixed": grouped(in_script(NUMBER, DIGITS["full width"]), "\u00a0"),
}
SECURITY_CODES = ["CVV: 9876", "cvc 123", "cryptogramme 456", "code de sécurité : 789"]


def hidden_in(text: str) -> bool:
    """Whether the number is in `text` once digits are ASCII and separators are gone."""
    ascii_only = "".join(
        str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch
        for ch in text
    )
    squeezed = "".join(
        ch
        for ch in ascii_only
        if not (ch.isspace() or ch in "._-/\\" or unicodedata.category(ch) == "Zs")
    )
    return NUMBER in squeezed


def texts(value: Any) -> Iterator[str]:
    """Every piece of text in a value, however nested (JSON kept in a string included)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts(item)
    elif isinstance(value, str):
        yield value
        if value[:1] in "[{":
            yield from texts(_loaded(value))
    elif value is not None:
        yield str(value)


def _loaded(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def test_the_search_finds_every_disguise() -> None:
    """The check below can fail: each disguise, stored as such, would be found."""
    assert all(hidden_in(text) for text in DISGUISES.values())
    assert all(
        any(hidden_in(t) for t in texts({"v": [json.dumps({"w": text})]}))
        for text in DISGUISES.values()
    )


@pytest.fixture
def log() -> Iterator[list[str]]:
    """Every line anything logs while the bot runs, at every level."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def nowhere(bot: Running, log: list[str]) -> None:
    assert not any(hidden_in(t) for t in texts(snapshot(bot.store.engine))), "stored"
    assert not any(hidden_in(line) for line in log), "logged"
    posted = [call.args for call in bot.slack.calls], bot.slack.responses()
    assert not any(hidden_in(t) for t in texts(posted)), "posted to Slack"


VALID: dict[str, dict[str, dict[str, Any]]] = {
    "signup": signup_values(),
    "add_licences": {
        "subscription": chosen("chrome"),
        "count": plain("5"),
        "terms": checkboxes("yes"),
    },
    "set_users": {"subscription": chosen("chrome"), "count": plain("30")},
    "renewal": {"subscription": chosen("chrome"), "mode": radio("manual"), "licences": plain("30")},
    "cancel": {"subscription": chosen("chrome"), "when": radio("now"), "reason": chosen("other")},
    "transfer": {"reseller": plain("Acme"), "token": plain("T1"), "confirm": checkboxes("yes")},
    "setup_billing": card_values(),
    "update_card": {"expires": plain("2031-05")},
    "pay": {"method": chosen("card"), "amount": plain("25.00")},
    "refund_credit": {"amount": plain("5.00")},
}
TEXT_FIELDS = [
    (entry.name, field.name)
    for entry in ORDERS
    if entry.form is not None
    for field in entry.form.fields
    if field.kind is Input.TEXT
]


def test_every_form_with_text_has_valid_values_here() -> None:
    assert {name for name, _ in TEXT_FIELDS} <= set(VALID)


@pytest.mark.parametrize(("callback", "field"), TEXT_FIELDS)
def test_a_card_number_in_any_disguise_is_refused_in_every_text_field(
    bot: Running, log: list[str], callback: str, field: str
) -> None:
    sign_up(bot, "chrome")
    card_on_file(bot)
    before = snapshot(bot.store.engine)
    for name, disguise in [*DISGUISES.items(), *((c, c) for c in SECURITY_CODES)]:
        values = {**VALID[callback], field: plain(disguise)}
        answer = submit(bot, SUPER, callback, values)
        assert answer.json is not None, (name, answer.body)
        assert answer.json["response_action"] == "errors", (name, answer.json)
        assert list(answer.json["errors"]) == [field], (name, answer.json)
    assert snapshot(bot.store.engine) == before
    nowhere(bot, log)


@pytest.mark.parametrize(
    ("action", "order"),
    [
        (
            "signup",
            {"subscription": NUMBER, "product": "P", "plan": "annual", "licences": 1, "price": "1"},
        ),
        ("transfer", {"reseller": grouped(NUMBER, "  "), "token": None}),
        ("transfer", {"reseller": "Acme", "token": in_script(NUMBER, DIGITS["full width"])}),
        ("cancel", {"subscription": "chrome", "when": "now", "reason": "cvv 123"}),
        ("transfer", {"reseller": "Acme\x00"}),
    ],
)
def test_a_confirmations_forged_metadata_is_checked_too(
    bot: Running, log: list[str], action: str, order: dict[str, Any]
) -> None:
    sign_up(bot, "chrome")
    before = snapshot(bot.store.engine)
    metadata = json.dumps({"a": action, "o": order})
    answer = bot.sender.view_submission(
        SUPER, {"id": new_view_id(), "callback_id": "confirm", "private_metadata": metadata}
    )
    assert answer.json is not None and "This form is not known." in json.dumps(answer.json)
    assert snapshot(bot.store.engine) == before
    nowhere(bot, log)


@pytest.mark.parametrize("word", ["billing", "pay", "buy chrome", "transfer", "nosuch"])
def test_a_card_number_typed_in_a_command_is_refused_and_never_echoed(
    bot: Running, log: list[str], word: str
) -> None:
    sign_up(bot, "chrome")
    card_on_file(bot)
    before = snapshot(bot.store.engine)
    for name, disguise in DISGUISES.items():
        reply_to = f"cc-{word.replace(' ', '-')}-{name.replace(' ', '-')}"
        bot.command(SUPER, f"{word} {disguise}", response_url=bot.slack.response_url(reply_to))
        [reply] = bot.slack.wait_for_response(reply_to)
        assert "looks like a card number" in reply["text"], (name, reply)
    assert bot.slack.calls_to("views.open") == []
    assert snapshot(bot.store.engine) == before
    nowhere(bot, log)


@pytest.mark.parametrize("disguise", [*DISGUISES.values(), *SECURITY_CODES])
def test_a_timeline_with_card_data_is_refused_naming_the_field(disguise: str) -> None:
    document = {
        "customer": {"domain": "example.com"},
        "steps": [{"at": "2026-01-10T09:00:00-08:00", "transfer": {"reseller": disguise}}],
        "until": "2026-02-01T00:00:00-08:00",
    }
    with pytest.raises(TimelineError, match=r"step 0 \(transfer\): reseller: looks like a card"):
        read_timeline(document)
