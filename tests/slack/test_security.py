"""What the bot refuses: forged, stale and unsigned requests, Slack's redeliveries, people who
are not admins, oversize input, buttons and forms it does not know, and text that would
otherwise ping a channel. Each refusal leaves the database as it was."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from bot.sandbox.signing import checkboxes, plain, sign
from bot.sandbox.signing import select as chosen
from tests.slack.bot import ADMIN, PLAIN, SECRET, SUPER, Running
from tests.slack.flows import (
    as_json,
    ask,
    audit_actions,
    card_on_file,
    confirm,
    new_view_id,
    result_text,
    signup_values,
    snapshot,
    submit,
    submit_and_confirm,
    view_text,
)

ACCEPTED_AT_START = {"auth.test"}


def quiet_slack(bot: Running) -> None:
    """Nothing reached Slack but the token check at start, and no response_url was used."""
    time.sleep(0.1)  # a forged request is refused before any listener: give one a chance to show
    assert {call.method for call in bot.slack.calls} <= ACCEPTED_AT_START
    assert bot.slack.responses() == []


SENDS = {
    "command": lambda bot, **send: bot.sender.command(
        SUPER, "plan price chrome_enterprise annual 1.00", **send
    ),
    "block_action": lambda bot, **send: bot.sender.block_action(
        SUPER, "approval_approve", value="1", message={"text": "x"}, **send
    ),
    "view_submission": lambda bot, **send: bot.sender.view_submission(
        SUPER,
        {
            "id": "VFORGED",
            "callback_id": "signup",
            "state": {"values": {k: {"value": v} for k, v in signup_values().items()}},
        },
        **send,
    ),
    "event": lambda bot, **send: bot.sender.event(
        {"type": "app_home_opened", "user": SUPER, "tab": "home", "channel": "D1"}, **send
    ),
}


@pytest.mark.parametrize("kind", list(SENDS))
@pytest.mark.parametrize(
    ("secret", "age"),
    [("not-the-signing-secret", 0), (SECRET, 6 * 60), (SECRET, -6 * 60), (SECRET, 301)],
    ids=["wrong-secret", "stale", "future", "just-over-five-minutes"],
)
def test_forged_and_stale_requests_get_401_and_change_nothing(
    bot: Running, kind: str, secret: str, age: int
) -> None:
    forgery = {"secret": secret, "timestamp": int(time.time()) - age}
    before = snapshot(bot.store.engine)
    answer = SENDS[kind](bot, **forgery)
    assert answer.status == 401
    assert snapshot(bot.store.engine) == before
    quiet_slack(bot)


def test_unsigned_and_tampered_requests_get_401(bot: Running) -> None:
    before = snapshot(bot.store.engine)
    body = b"command=%2Flicense&text=plan+price+chrome_enterprise+annual+1&user_id=USUPER"
    assert bot.sender.raw(body, {"Content-Type": "application/x-www-form-urlencoded"}).status == 401
    stamp = str(int(time.time()))

    signature = sign(body, int(stamp), SECRET)
    tampered = body.replace(b"1&", b"2&")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }
    assert bot.sender.raw(tampered, headers).status == 401
    assert snapshot(bot.store.engine) == before
    quiet_slack(bot)


def test_a_request_four_minutes_old_is_still_served(bot: Running) -> None:
    answer = bot.command(SUPER, "help", timestamp=int(time.time()) - 4 * 60)
    assert answer.status == 200
    bot.slack.wait_for_response()


# ---- one effect per action, however often Slack delivers it --------------------------------


def test_a_redelivered_command_acts_once(bot: Running) -> None:
    engine = bot.store.engine
    response_url = bot.slack.response_url("price")
    trigger_id = "42.1700000000.same"
    text = "plan price chrome_enterprise annual 55.00"
    first = bot.command(SUPER, text, trigger_id=trigger_id, response_url=response_url)
    again = bot.command(
        SUPER,
        text,
        trigger_id=trigger_id,
        response_url=response_url,
        retry_num=1,
        retry_reason="http_timeout",
    )
    assert first.status == again.status == 200
    bot.slack.wait_for_response("price")
    time.sleep(0.2)  # give a second answer the time to show, if there were one
    assert len(bot.slack.responses("price")) == 1
    assert [a for a in audit_actions(engine) if a[1] == "set_price"] == [
        ("slack:USUPER", "set_price", "chrome_enterprise")
    ]


def test_a_redelivered_command_opens_one_modal(bot: Running) -> None:
    for retry in (None, 1, 2):
        bot.command(SUPER, "subscribe", trigger_id="7.1700000000.same", retry_num=retry)
    bot.slack.wait_for_call("views.open")
    time.sleep(0.2)
    assert len(bot.slack.calls_to("views.open")) == 1


def test_a_double_submitted_confirmation_acts_once(bot: Running) -> None:
    card_on_file(bot)
    form_id, view_id = new_view_id(), new_view_id()
    values = {"method": chosen("card"), "amount": plain("25.00")}
    shown = submit(bot, SUPER, "pay", values, view_id=form_id)
    first = confirm(bot, SUPER, shown, form_id, view_id=view_id)
    second = confirm(bot, SUPER, shown, form_id, view_id=view_id)
    assert "Done" in result_text(first)
    assert "already done" in result_text(second)
    payments = [a for a in audit_actions(bot.store.engine) if a[1] == "pay"]
    assert len(payments) == 1


# ---- who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["help", "status", "balance", "plan price chrome_enterprise annual 1", "subscribe"]
)
def test_someone_who_is_not_an_admin_is_refused_everything(bot: Running, text: str) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    reply = ask(bot, PLAIN, text)
    assert reply["response_type"] == "ephemeral"
    assert "Only the organisation's admins can use licensebot" in view_text(reply)
    assert snapshot(bot.store.engine) == before
    assert bot.slack.calls_to("views.open") == []


def test_someone_who_is_not_an_admin_cannot_submit_a_form(bot: Running) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    answer = submit(bot, PLAIN, "signup", signup_values())
    assert answer.json is not None and answer.json["response_action"] == "errors"
    assert "Only the organisation's admins" in json.dumps(answer.json)
    metadata = json.dumps({"a": "signup", "o": {"subscription": "x"}})
    forged = bot.sender.view_submission(
        PLAIN, {"id": "VX", "callback_id": "confirm", "private_metadata": metadata}
    )
    assert forged.json is not None and forged.json["response_action"] == "update"
    assert snapshot(bot.store.engine) == before


def test_a_confirmation_is_checked_again_when_submitted(bot: Running) -> None:
    """The confirmation carries the order; whoever submits it is checked again."""
    shown = submit(bot, SUPER, "signup", signup_values())
    assert shown.json is not None
    metadata = shown.json["view"]["private_metadata"]
    answer = bot.sender.view_submission(
        PLAIN, {"id": new_view_id(), "callback_id": "confirm", "private_metadata": metadata}
    )
    assert "Only the organisation's admins" in result_text(answer)
    assert bot.services.billing.overview(bot.customer_id, bot.clock()).subscriptions == []


# ---- oversize and unknown input ------------------------------------------------------------


def test_an_oversize_command_is_refused(bot: Running) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    reply = ask(bot, SUPER, "plan price chrome_enterprise annual 1 " + "x" * 500)
    assert reply["response_type"] == "ephemeral"
    assert "That command is too long or malformed." in view_text(reply)
    assert snapshot(bot.store.engine) == before
    long_but_read = view_text(ask(bot, SUPER, "help " + "x" * 490))  # within the limit: read
    assert "too long" not in long_but_read and "`/license help` does not take" in long_but_read


def test_oversize_form_fields_are_refused(bot: Running) -> None:
    values = {"reseller": plain("A" * 5000), "confirm": checkboxes("yes")}
    answer = submit(bot, SUPER, "transfer", values)
    assert answer.json is not None and answer.json["response_action"] == "errors"
    assert list(answer.json["errors"]) == ["reseller"]


def test_an_unknown_button_says_so_and_changes_nothing(bot: Running) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    answer = bot.sender.block_action(
        SUPER,
        "no_such_button",
        value="1",
        message={"text": "old"},
        response_url=bot.slack.response_url("old"),
    )
    assert answer.status == 200
    [reply] = bot.slack.wait_for_response("old")
    assert reply["response_type"] == "ephemeral"
    assert "This button is not known (any more). Nothing was changed." in reply["text"]
    assert snapshot(bot.store.engine) == before


def test_an_unknown_form_says_so_and_changes_nothing(bot: Running) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    answer = submit(bot, SUPER, "no_such_form", {"x": plain("1")})
    assert "This form is not known. Nothing was changed." in result_text(answer)
    for metadata in ("", "not json", json.dumps({"a": "nope", "o": {}}), json.dumps([1])):
        forged = bot.sender.view_submission(
            SUPER, {"id": "VM", "callback_id": "confirm", "private_metadata": metadata}
        )
        assert "This form is not known." in result_text(forged)
    assert snapshot(bot.store.engine) == before


def test_text_from_a_form_cannot_ping_the_approvals_channel(bot: Running) -> None:
    values = {
        "reseller": plain("<!channel> Acme <https://evil.example|click>"),
        "confirm": checkboxes("yes"),
    }
    _, done = submit_and_confirm(bot, ADMIN, "transfer", values)
    assert "Sent to the super-admins" in result_text(done)
    [posted] = bot.slack.wait_for_call("chat.postMessage")
    everything = posted["text"] + json.dumps(as_json(posted["blocks"]))
    assert "<!channel>" not in everything and "<https://evil" not in everything
    assert "&lt;!channel&gt; Acme" in posted["text"]


def test_a_command_from_another_workspace_is_refused(bot: Running) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    bot.sender.team = replace(bot.sender.team, id="T2")
    answer = bot.command(SUPER, "status", response_url=bot.slack.response_url("t2"))
    assert answer.status in (200, 401)
    if answer.status == 200:
        [reply] = bot.slack.wait_for_response("t2")
        assert reply["response_type"] == "ephemeral"
    assert snapshot(bot.store.engine) == before
