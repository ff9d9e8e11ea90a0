"""Block Kit at the limits: an account large enough to overflow every list the bot shows
(more subscriptions than a message or a view holds, more options than a select takes, long
names, years of invoices, a long ledger and audit trail), in English and in French. Every
payload sent is validated after each test (see conftest); this test makes sure the big ones
are among them, and that the checker itself catches what Slack would refuse."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from slack_sdk.errors import SlackObjectFormationError

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.model import Plan
from bot.sandbox.signing import checkboxes, plain, radio
from bot.sandbox.signing import select as chosen
from tests.slack.blockkit import check_everything, check_message, check_view, payloads
from tests.slack.bot import ADMIN, FRENCH, SUPER, Running
from tests.slack.flows import (
    advance,
    ask,
    card_on_file,
    open_modal,
    signup_values,
    submit,
    submit_and_confirm,
    view_text,
)

MANY = 120
"""More subscriptions than a view has blocks (100) and a select has options (100)."""


def big_account(bot: Running) -> None:
    billing, customer = bot.services.billing, bot.customer_id
    card_on_file(bot)
    for n in range(MANY):
        key = f"s{n:03d}-" + "x" * 35  # 40 characters, the longest key
        order = cmd.Signup(
            subscription=key,
            product="Chrome Enterprise Upgrade — " + "Very Long Edition " * 4,
            plan=Plan.FLEXIBLE if n % 2 else Plan.ANNUAL,
            licences=1 + n,
            price=Decimal("6.1234") if n % 2 else Decimal("50.00"),
        )
        billing.order(
            customer, order, at=bot.clock(), actor=Actor.parse("slack:USUPER"), key=f"k{n}"
        )
    # 27 monthly invoices: more than a message can list with two blocks each
    advance(bot, datetime(2028, 4, 1, 0, 0, tzinfo=PACIFIC))
    bot.clock.advance(hours=9)
    for n in range(40):
        pay = cmd.Pay(amount=Decimal("10.00") + n)
        billing.order(customer, pay, at=bot.clock(), actor=Actor.parse("slack:UADMIN"), key=f"p{n}")


@pytest.mark.parametrize("user", [SUPER, FRENCH])
def test_every_surface_of_a_big_account_is_valid_block_kit(bot: Running, user: str) -> None:
    big_account(bot)
    first = f"s000-{'x' * 35}"
    for text in ("help", "status", "plan", "balance", "invoices 50", "transactions 50"):
        ask(bot, user, text)
    ask(bot, user, "audit 50")
    ask(bot, ADMIN, "admins")
    for text in ("billing", "card"):  # the secure page's link, in a message
        ask(bot, user, text)
    for text in ("subscribe", f"buy {first} 1234567", f"users {first}", f"renewal {first}"):
        open_modal(bot, user, text)
    for text in (f"cancel {first}", "transfer", "pay 1000000.00", "refund"):
        open_modal(bot, user, text)
    event = {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}
    bot.sender.event(event)
    bot.slack.wait_for_call("views.publish")
    submit_and_confirm(bot, user, "signup", signup_values(key="new-" + "y" * 36))
    submit_and_confirm(
        bot,
        user,
        "cancel",
        {"subscription": chosen(first), "when": radio("now"), "reason": chosen("other")},
    )
    submit_and_confirm(
        bot,
        ADMIN,
        "transfer",
        {"reseller": plain("R" * 100), "token": plain("T" * 100), "confirm": checkboxes("yes")},
    )
    submit(bot, user, "pay", {"method": chosen("card"), "amount": plain("1")})  # errors
    bot.slack.wait_for_call("chat.postMessage")

    kinds = {(kind, where) for kind, where, _ in payloads(bot.slack, bot.sender.answers)}
    assert {
        ("message", "response_url"),
        ("view", "views.open"),
        ("view", "views.publish"),
        ("view", "ack:update"),
        ("message", "chat.postMessage"),
    } <= kinds
    assert check_everything(bot.slack, bot.sender.answers) >= 25
    [home] = [p for k, where, p in payloads(bot.slack) if where == "views.publish"]
    assert len(home["blocks"]) <= 100
    assert f"s{MANY - 1:03d}-" in view_text(home), "every subscription is on the home tab"
    messages = [len(p) for k, _, p in payloads(bot.slack) if k == "message"]
    assert max(messages) == 50, "27 invoices, two blocks each, are cut at 50 blocks"


# ---- the checker catches what Slack refuses ---------------------------------------------


def section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    "blocks",
    [
        [section("x")] * 51,
        [section("x" * 3001)],
        [section("")],
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "b" * 76},
                        "action_id": "a",
                    }
                ],
            }
        ],
        [{"type": "context", "elements": []}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}],
        [section("a") | {"block_id": "same"}, section("b") | {"block_id": "same"}],
    ],
    ids=[
        "51-blocks",
        "long-section",
        "empty-text",
        "long-header",
        "long-button",
        "empty-context",
        "unknown-field",
        "duplicate-block-id",
    ],
)
def test_the_checker_refuses_invalid_messages(blocks: list[dict[str, object]]) -> None:
    with pytest.raises((AssertionError, SlackObjectFormationError)):
        check_message(blocks)  # type: ignore[arg-type]


def modal(**changes: object) -> dict[str, object]:
    return {
        "type": "modal",
        "callback_id": "c",
        "title": {"type": "plain_text", "text": "Title"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section("x")],
    } | changes


@pytest.mark.parametrize(
    "view",
    [
        modal(title={"type": "plain_text", "text": "t" * 25}),
        modal(blocks=[section("x")] * 101),
        modal(private_metadata="m" * 3001),
        modal(
            blocks=[
                {
                    "type": "input",
                    "block_id": "i",
                    "label": {"type": "plain_text", "text": "l"},
                    "element": {"type": "static_select", "action_id": "v", "options": []},
                }
            ],
            submit={"type": "plain_text", "text": "Go"},
        ),
        modal(
            blocks=[
                {
                    "type": "input",
                    "block_id": "i",
                    "label": {"type": "plain_text", "text": "l"},
                    "element": {"type": "plain_text_input", "action_id": "v"},
                }
            ]
        ),
    ],
    ids=["long-title", "101-blocks", "long-metadata", "select-without-options", "no-submit"],
)
def test_the_checker_refuses_invalid_views(view: dict[str, object]) -> None:
    with pytest.raises((AssertionError, SlackObjectFormationError)):
        check_view(view)
