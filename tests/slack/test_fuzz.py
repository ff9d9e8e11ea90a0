"""Random input never breaks the bot: random `/license` texts and random form submissions,
sent over HTTP like Slack's, always get a proper answer (never a 500, never an error in the
bot's log) and never change anything when refused; and the form parser, fed thousands of
random submissions directly, returns an order or field errors named by the form's inputs.

Examples are derived deterministically (derandomize) so a run is repeatable."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.commands import Command
from billing.model import Product
from handlers.forms import FormErrors, read
from handlers.payloads import MAX_TEXT
from services.forms import FormContext
from services.orders import ORDERS
from tests.slack.bot import ADMIN, SUPER, Running
from tests.slack.flows import CATALOGUE, card_on_file, sign_up, snapshot

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

WORDS = [
    "help", "status", "subscribe", "buy", "users", "plan", "price", "renewal", "cancel",
    "transfer", "billing", "card", "pay", "balance", "invoices", "transactions", "refund",
    "admins", "audit", "chrome", "ci", "chrome_enterprise", "annual", "flexible", "0", "1",
    "10", "50", "51", "9999999", "25.00", "9.99", "1e3", "-5", "²", "١٢", "NaN", "<!channel>",
    "4242424242424242", "cvc", "*bold*", "`code`", "\u200b", "ÉTAT", "🙂",
]  # fmt: skip
"""Pieces of commands people type, and pieces of the ones they should not."""

words = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=12))
command_texts = st.one_of(
    st.lists(words, max_size=6).map(" ".join),
    st.text(max_size=60),
    st.text(min_size=MAX_TEXT - 5, max_size=MAX_TEXT + 40, alphabet="ab c1"),
)

_names = itertools.count()


@settings(FUZZ, max_examples=250)
@given(text=command_texts, user=st.sampled_from([ADMIN, SUPER]))
def fuzz_commands(bot: Running, text: str, user: str) -> None:
    bot.errors.clear()  # each example answers for its own errors
    engine = bot.store.engine
    before = snapshot(engine)
    name, trigger_id = f"fz{next(_names)}", f"{next(_names)}.1700000000.fuzz"
    answer = bot.command(
        user, text, trigger_id=trigger_id, response_url=bot.slack.response_url(name)
    )
    assert (answer.status, answer.body) == (200, "")
    bot.slack.wait_for(
        lambda fake: (
            fake.responses(name)
            or [c for c in fake.calls_to("views.open") if c["trigger_id"] == trigger_id]
        )
    )
    assert bot.errors == []
    changes_price = user == SUPER and text.strip().lower().split()[:2] == ["plan", "price"]
    # a super-admin's `/license billing` or `card` makes a link to the secure card page
    makes_link = user == SUPER and text.strip().lower().split() in (["billing"], ["card"])
    if makes_link:
        after = snapshot(engine)
        assert len(after.pop("card_entries")) == len(before.pop("card_entries")) + 1
        assert after == before
    elif not changes_price:
        assert snapshot(engine) == before


def test_random_commands_get_an_answer_and_change_nothing(bot: Running) -> None:
    sign_up(bot, "chrome")
    card_on_file(bot)
    fuzz_commands(bot)


# ---- forms -----------------------------------------------------------------------------------

FIELDS = [
    "subscription", "product", "plan", "licences", "terms", "count", "perpetual", "mode",
    "when", "reason", "reseller", "token", "confirm", "brand", "last4", "expires", "method",
    "amount", "cvc", "card_number", "number", "x",
]  # fmt: skip
VALUES = [
    "chrome", "ci", "chrome_enterprise", "annual", "flexible", "auto", "manual",
    "cancel_at_expiry", "now", "at_expiry", "too_expensive", "other", "yes", "visa", "card",
    "4242", "2030-12", "12/29", "2025-01", "1", "25", "0", "-1", "10.00", "9.99", "1e3",
    "4242424242424242", "123", "", " ", "<!here>", "²", "999999999999",
]  # fmt: skip

values = st.one_of(st.sampled_from(VALUES), st.text(max_size=30))


def element(kind: str, value: str) -> dict[str, Any]:
    if kind in ("static_select", "radio_buttons"):
        return {
            "type": kind,
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
        }
    if kind == "checkboxes":
        chosen = [value] if value else []
        return {"type": kind, "selected_options": [{"value": v} for v in chosen]}
    return {"type": kind, "value": value}


elements = st.builds(
    element,
    st.sampled_from(
        ["plain_text_input", "static_select", "radio_buttons", "checkboxes", "number_input"]
    ),
    values,
)
states = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=10)), elements, max_size=7
)
callbacks = st.one_of(
    st.sampled_from([*ORDERS.names, "confirm", "result", "nope"]), st.text(max_size=10)
)


@settings(FUZZ, max_examples=250)
@given(
    callback=callbacks,
    state=states,
    user=st.sampled_from([ADMIN, SUPER]),
    metadata=st.text(max_size=40),
)
def fuzz_forms(
    bot: Running, callback: str, state: dict[str, Any], user: str, metadata: str
) -> None:
    bot.errors.clear()
    engine = bot.store.engine
    before = snapshot(engine)
    view = {
        "id": f"VF{next(_names)}",
        "callback_id": callback,
        "private_metadata": metadata,
        "state": {"values": {block: {"value": el} for block, el in state.items()}},
    }
    answer = bot.sender.view_submission(user, view)
    assert answer.status == 200, answer.body
    assert bot.errors == []
    reply = answer.json
    assert reply is not None and reply["response_action"] in ("errors", "update", "push"), (
        answer.body
    )
    if reply["response_action"] == "errors":
        assert set(reply["errors"]) <= set(state) | {"subscription"}
        assert all(isinstance(m, str) and m for m in reply["errors"].values())
    refused = reply["response_action"] == "errors"
    confirming = reply.get("view", {}).get("callback_id") == "confirm"
    if refused or confirming:
        assert snapshot(engine) == before
    stored = json.dumps(snapshot(engine), default=str)
    assert "4242424242424242" not in stored and "999999999999" not in stored


def test_random_form_submissions_are_answered_and_refusals_change_nothing(bot: Running) -> None:
    sign_up(bot, "chrome")
    card_on_file(bot)
    fuzz_forms(bot)


CATALOGUE_FACTS = FormContext(products=[Product(c, n, a, f, "USD") for c, n, a, f in CATALOGUE])
"""What the form parser needs of the workspace: the products."""
WITH_FORMS = [entry.name for entry in ORDERS if entry.form is not None]


@settings(FUZZ, max_examples=2500)
@given(
    action=st.sampled_from(WITH_FORMS),
    state=states,
    lang=st.sampled_from(["en", "fr"]),
)
def test_the_form_parser_returns_an_order_or_errors_named_by_the_form(
    action: str, state: dict[str, Any], lang: str
) -> None:
    view = {"state": {"values": {block: {"value": el} for block, el in state.items()}}}
    entry = ORDERS.named(action)
    assert entry is not None
    try:
        parsed = read(entry, view, lang, CATALOGUE_FACTS)
    except FormErrors as problem:
        assert problem.errors
        assert set(problem.errors) <= set(state) | {"subscription"}
        assert all(isinstance(m, str) and m.strip() for m in problem.errors.values())
        return
    assert isinstance(parsed, Command) and isinstance(parsed, entry.command)
    dumped = json.dumps(parsed.model_dump(mode="json"))
    assert "4242424242424242" not in dumped
