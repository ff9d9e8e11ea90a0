"""Approvals: an admin's confirmed request goes to the approvals channel with Approve / Deny;
only a super-admin on a non-consumer account decides; the change is applied exactly once
however many clicks race; the message shows the outcome and who decided; the requester is
told."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from billing import commands as cmd
from billing.actors import Actor
from bot.runtime import finish_interrupted_approvals
from bot.sandbox.signing import plain
from bot.sandbox.signing import select as chosen
from handlers import request_messages
from tests.slack.bot import ADMIN, APPROVALS_CHANNEL, FRENCH, GMAIL, PLAIN, SUPER, Running
from tests.slack.flows import (
    as_json,
    ask,
    audit_actions,
    card_on_file,
    confirm,
    new_view_id,
    result_text,
    rows,
    sign_up,
    signup_values,
    snapshot,
    submit,
    submit_and_confirm,
    view_text,
)

APPROVE, DENY = "approval_approve", "approval_deny"


def request(bot: Running, callback: str, values: dict[str, Any]) -> dict[str, Any]:
    """ADMIN fills a form and confirms it; returns the message posted for approval."""
    shown, done = submit_and_confirm(bot, ADMIN, callback, values)
    assert "A super-admin will be asked to approve this." in view_text(shown.json["view"])  # type: ignore[index]
    assert shown.json["view"]["submit"]["text"] == "Request approval"  # type: ignore[index]
    assert "Sent to the super-admins for approval" in result_text(done)
    return posted_request(bot)


def posted_request(bot: Running) -> dict[str, Any]:
    """The request's message, once the bot has noted where it posted it."""
    [posted] = bot.slack.wait_for_call("chat.postMessage")
    stored = "SELECT message_ts FROM approvals WHERE message_ts IS NOT NULL"
    bot.slack.wait_for(lambda _: rows(bot.store.engine, stored))
    return posted


def buttons(posted: dict[str, Any]) -> dict[str, dict[str, Any]]:
    blocks = as_json(posted["blocks"])
    return {
        element["action_id"]: element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def click(bot: Running, user: str, action_id: str, posted: dict[str, Any], name: str) -> None:
    """Press a button on the posted message; an ephemeral answer goes to response `name`."""
    message = {"ts": posted_ts(bot), "text": posted["text"], "blocks": as_json(posted["blocks"])}
    value = buttons(posted)[action_id]["value"]
    answer = bot.sender.block_action(
        user,
        action_id,
        value=value,
        message=message,
        channel_id=APPROVALS_CHANNEL,
        response_url=bot.slack.response_url(name),
    )
    assert answer.status == 200


def posted_ts(bot: Running) -> str:
    [(ts,)] = rows(bot.store.engine, "SELECT message_ts FROM approvals")
    return str(ts)


def approval(bot: Running) -> Any:
    [row] = rows(
        bot.store.engine,
        "SELECT id, status, requested_by, decided_by, channel, message_ts, action FROM approvals",
    )
    return row


def test_an_admin_request_is_posted_with_approve_and_deny(bot: Running) -> None:
    posted = request(bot, "signup", signup_values(key="chrome", licences="25"))
    assert posted["channel"] == APPROVALS_CHANNEL
    assert "<@UADMIN> asks" in view_text({"blocks": as_json(posted["blocks"])})
    assert "Subscribe to Chrome Enterprise Upgrade (annual plan), 25 licences" in posted["text"]
    found = buttons(posted)
    assert set(found) == {APPROVE, DENY}
    row = approval(bot)
    assert (row.status, row.requested_by, row.action) == ("pending", ADMIN, "signup")
    assert found[APPROVE]["value"] == found[DENY]["value"] == str(row.id)
    assert (row.channel, row.message_ts) == (APPROVALS_CHANNEL, posted_ts(bot))
    assert rows(bot.store.engine, "SELECT id FROM subscriptions") == []
    assert ("slack:UADMIN", "approval_request", f"approval:{row.id}") in audit_actions(
        bot.store.engine
    )


def test_an_admin_asking_for_the_card_page_is_told_a_super_admin_enters_the_card(
    bot: Running,
) -> None:
    """A card is entered on the processor's page, not requested: no link is made for an
    admin, and nothing is filed."""
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    for word in ("billing", "card"):
        reply = ask(bot, ADMIN, word)
        assert "Only a super-admin can enter a card." in view_text(reply)
        assert "http" not in json.dumps(reply)
    assert snapshot(bot.store.engine) == before
    assert bot.slack.calls_to("chat.postMessage") == []


def test_an_approved_card_request_of_an_earlier_release_saves_the_card(bot: Running) -> None:
    """A card request an earlier release filed (from its card form) still applies when a
    super-admin approves it: the request carries the card's expiry, and comes back as the
    order it was."""
    order = cmd.SetupBilling.model_validate(
        {"card": {"brand": "visa", "last4": "4242", "expires": "2030-12"}}
    )
    filed, _ = bot.services.approvals.request(
        bot.customer_id, Actor.slack(ADMIN), order, "en", bot.clock(), "slack-view:VOLD"
    )
    request_messages.post(bot.services, bot.services.directory.client, filed)
    posted = posted_request(bot)
    assert "Set up billing with visa •••• 4242" in posted["text"]
    click(bot, SUPER, APPROVE, posted, "approve")
    bot.slack.wait_for_call("chat.update")
    assert approval(bot).status == "applied"
    card = bot.services.billing.overview(bot.customer_id, bot.clock()).card
    assert card is not None and (card.brand, card.last4, card.expires) == (
        "visa",
        "4242",
        "2030-12",
    )
    assert ("slack:USUPER", "setup_billing", "acme.example") in audit_actions(bot.store.engine)


def test_two_concurrent_approvals_apply_the_change_once(bot: Running) -> None:
    posted = request(bot, "signup", signup_values(key="chrome", licences="25"))
    start = threading.Barrier(2)

    def press(n: int) -> None:
        start.wait()
        click(bot, SUPER, APPROVE, posted, f"both{n}")

    threads = [threading.Thread(target=press, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    bot.slack.wait_for_call("chat.update")
    [loser] = bot.slack.wait_for_response()
    assert "Already decided by <@USUPER>" in loser["text"]
    assert rows(bot.store.engine, "SELECT key FROM subscriptions") == [("chrome",)]
    signups = [a for a in audit_actions(bot.store.engine) if a[1] == "signup"]
    assert signups == [("slack:USUPER", "signup", "chrome")]
    assert len(bot.slack.calls_to("chat.update")) == 1
    assert approval(bot).status == "applied"


@pytest.mark.parametrize("user", [PLAIN, ADMIN, GMAIL])
def test_only_a_super_admin_can_decide(bot: Running, user: str) -> None:
    posted = request(bot, "signup", signup_values())
    before = snapshot(bot.store.engine)
    for action_id in (APPROVE, DENY):
        name = f"{user}-{action_id}"
        click(bot, user, action_id, posted, name)
        [reply] = bot.slack.wait_for_response(name)
        assert reply["response_type"] == "ephemeral"
        assert reply["replace_original"] is False
        assert "Only a super-admin can approve or deny" in reply["text"]
    assert snapshot(bot.store.engine) == before
    assert approval(bot).status == "pending"
    assert bot.slack.calls_to("chat.update") == []


def test_approve_applies_the_change_updates_the_message_and_tells_the_requester(
    bot: Running,
) -> None:
    posted = request(bot, "signup", signup_values(key="chrome", licences="25"))
    click(bot, SUPER, APPROVE, posted, "approve")
    [update] = bot.slack.wait_for_call("chat.update")
    told = bot.slack.wait_for_call("chat.postMessage", count=2)[1]
    assert (update["channel"], update["ts"]) == (APPROVALS_CHANNEL, posted_ts(bot))
    shown = view_text({"blocks": as_json(update["blocks"])})
    assert "Approved by <@USUPER> and done" in shown
    assert "<@UADMIN> asks" in shown
    assert not [b for b in as_json(update["blocks"]) if b["type"] == "actions"], "buttons gone"
    assert told["channel"] == ADMIN
    assert "Approved by <@USUPER> and done" in view_text({"blocks": as_json(told["blocks"])})
    row = approval(bot)
    assert (row.status, row.decided_by) == ("applied", SUPER)
    [(key, status)] = rows(bot.store.engine, "SELECT key, status FROM subscriptions")
    assert (key, status) == ("chrome", "trial")
    actions = audit_actions(bot.store.engine)
    assert ("slack:USUPER", "approval_approved", f"approval:{row.id}") in actions
    assert ("slack:USUPER", "signup", "chrome") in actions


def test_deny_changes_nothing_but_the_request(bot: Running) -> None:
    posted = request(bot, "signup", signup_values())
    click(bot, FRENCH, DENY, posted, "deny")
    [update] = bot.slack.wait_for_call("chat.update")
    told = bot.slack.wait_for_call("chat.postMessage", count=2)[1]
    assert "Denied by <@UFRENCH>" in view_text({"blocks": as_json(update["blocks"])})
    assert told["channel"] == ADMIN
    assert (approval(bot).status, approval(bot).decided_by) == ("denied", FRENCH)
    assert rows(bot.store.engine, "SELECT id FROM subscriptions") == []


def test_an_approved_change_the_rules_refuse_is_reported_as_failed(bot: Running) -> None:
    posted = request(bot, "signup", signup_values(key="chrome"))
    sign_up(bot, "chrome")  # someone made it meanwhile
    before = rows(bot.store.engine, "SELECT count(*) FROM subscriptions")
    click(bot, SUPER, APPROVE, posted, "approve")
    [update] = bot.slack.wait_for_call("chat.update")
    shown = view_text({"blocks": as_json(update["blocks"])})
    assert "Approved by <@USUPER>, but it could not be done" in shown
    assert "already exists" in shown
    bot.slack.wait_for(lambda slack: _dms(slack, ADMIN) != [])
    time.sleep(0.2)  # time enough for a second message, were there one
    told = _dms(bot.slack, ADMIN)
    assert len(told) == 1, "the requester is told once"
    assert "could not be done" in told[0]["text"] and "already exists" in str(told[0]["blocks"])
    assert approval(bot).status == "failed"
    assert rows(bot.store.engine, "SELECT count(*) FROM subscriptions") == before


def _dms(slack: Any, user: str) -> list[dict[str, Any]]:
    return [c for c in slack.calls_to("chat.postMessage") if c["channel"] == user]


def test_a_decision_is_made_once_however_many_clicks_race(bot: Running) -> None:
    card_on_file(bot)
    posted = request(bot, "pay", {"method": chosen("card"), "amount": plain("25.00")})
    clickers = [SUPER, FRENCH, SUPER, FRENCH, SUPER, SUPER]
    start = threading.Barrier(len(clickers))

    def press(n: int, user: str) -> None:
        start.wait()
        click(bot, user, APPROVE if n % 3 else DENY, posted, f"race{n}")

    threads = [threading.Thread(target=press, args=(n, u)) for n, u in enumerate(clickers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    bot.slack.wait_for_call("chat.update")
    losers = bot.slack.wait_for_response(count=len(clickers) - 1)
    assert all(r["response_type"] == "ephemeral" for r in losers)
    assert all("Already decided" in r["text"] or "Déjà tranchée" in r["text"] for r in losers)
    assert len(bot.slack.calls_to("chat.update")) == 1
    row = approval(bot)
    payments = [r for r in bot.store.ledger(bot.customer_id) if r.kind == "payment"]
    if row.status == "applied":
        assert [p.amount for p in payments] == [Decimal("25.00")]
    else:
        assert row.status == "denied" and payments == []
    decisions = [a for a in audit_actions(bot.store.engine) if a[1].startswith("approval_")]
    assert len(decisions) == 2  # the request and one decision


def test_a_double_submitted_request_is_posted_once(bot: Running) -> None:
    form_id, view_id = new_view_id(), new_view_id()
    values = {"method": chosen("card"), "amount": plain("25.00")}
    card_on_file(bot)
    shown = submit(bot, ADMIN, "pay", values, view_id=form_id)
    threads = [
        threading.Thread(
            target=confirm, args=(bot, ADMIN, shown, form_id), kwargs={"view_id": view_id}
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    bot.slack.wait_for_call("chat.postMessage")
    assert len(rows(bot.store.engine, "SELECT id FROM approvals")) == 1
    bot.slack.wait_for(
        lambda fake: rows(bot.store.engine, "SELECT message_ts FROM approvals")[0][0]
    )
    assert len(bot.slack.calls_to("chat.postMessage")) == 1


def test_a_button_for_an_unknown_request_changes_nothing(bot: Running) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    for value in ("999", "abc", "²", "9" * 40, ""):
        name = f"unknown-{len(value)}-{value.isdigit()}"
        bot.sender.block_action(
            SUPER,
            APPROVE,
            value=value,
            message={"text": "x"},
            response_url=bot.slack.response_url(name),
        )
        [reply] = bot.slack.wait_for_response(name)
        assert "This request is not known." in reply["text"]
    assert snapshot(bot.store.engine) == before


def left_approved_by_an_older_release(bot: Running, approval_id: int) -> None:
    """Release 1f2cbf2 recorded a decision, then applied its order in a second step: a
    process that stopped in between left the request approved and its order not applied."""
    with bot.store.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE approvals SET status = 'approved', decided_by = :by, decided_at = :at"
                " WHERE id = :id"
            ),
            {"by": SUPER, "at": bot.clock(), "id": approval_id},
        )


def test_an_approval_an_older_release_left_unapplied_is_applied_by_the_next_click(
    bot: Running,
) -> None:
    """A later Approve applies it, under the same idempotency key, so never twice."""
    posted = request(bot, "signup", signup_values(key="chrome", licences="25"))
    left_approved_by_an_older_release(bot, approval(bot).id)
    assert rows(bot.store.engine, "SELECT key FROM subscriptions") == []
    click(bot, FRENCH, APPROVE, posted, "recover")
    bot.slack.wait_for_call("chat.update")
    assert approval(bot).status == "applied"
    click(bot, SUPER, APPROVE, posted, "again")
    assert "applied" in bot.last_response("again")["text"].lower()
    assert rows(bot.store.engine, "SELECT key FROM subscriptions") == [("chrome",)]
    signups = [a for a in audit_actions(bot.store.engine) if a[1] == "signup"]
    assert signups == [("slack:UFRENCH", "signup", "chrome")]


def test_approvals_an_older_release_left_unapplied_are_applied_once_at_start(
    bot: Running,
) -> None:
    """Nobody clicks again: the new release, starting, applies the request in the name of the
    super-admin who approved it, updates the message and tells the requester, once."""
    request(bot, "signup", signup_values(key="chrome", licences="25"))
    left_approved_by_an_older_release(bot, approval(bot).id)
    finish_interrupted_approvals(bot.services)
    [update] = bot.slack.wait_for_call("chat.update")
    told = bot.slack.wait_for_call("chat.postMessage", count=2)[1]
    assert "Approved by <@USUPER> and done" in view_text({"blocks": as_json(update["blocks"])})
    assert told["channel"] == ADMIN
    assert approval(bot).status == "applied"
    assert rows(bot.store.engine, "SELECT key FROM subscriptions") == [("chrome",)]
    assert ("slack:USUPER", "signup", "chrome") in audit_actions(bot.store.engine)
    finish_interrupted_approvals(bot.services)
    assert len(bot.slack.calls_to("chat.postMessage")) == 2, "the requester is told once"
    assert len(bot.slack.calls_to("chat.update")) == 1
