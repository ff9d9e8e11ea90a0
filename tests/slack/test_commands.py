"""`/license` subcommands, end to end: reads answer ephemerally on the response_url with
Block Kit; changes open their modal with the command's trigger_id; anything unknown or
malformed gets the usage, ephemerally, and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.model import Plan
from bot.sandbox.signing import SlackResponse
from tests.slack.bot import ADMIN, SUPER, Running
from tests.slack.flows import (
    as_json,
    ask,
    audit_actions,
    card_on_file,
    invoiced_account,
    open_modal,
    rows,
    sign_up,
    snapshot,
    view_text,
)

JAN_10 = datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC)


def text_of(reply: dict[str, object]) -> str:
    return view_text({"blocks": reply.get("blocks")})


# ---- reads ---------------------------------------------------------------------------------


READS = ["help", "status", "plan", "balance", "invoices", "transactions", "admins", "audit"]


@pytest.mark.parametrize("word", READS)
def test_every_read_answers_ephemerally_with_blocks_and_changes_nothing(
    bot: Running, word: str
) -> None:
    invoiced_account(bot)
    before = snapshot(bot.store.engine)
    reply = ask(bot, SUPER, word)
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"] and reply["text"]
    assert snapshot(bot.store.engine) == before
    assert bot.slack.calls_to("views.open") == []


def test_an_empty_command_is_help(bot: Running) -> None:
    reply = ask(bot, ADMIN, "")
    for word in ("help", "status", "subscribe", "buy", "users", "plan", "renewal", "cancel"):
        assert f"/license {word}" in text_of(reply)
    for word in ("transfer", "billing", "card", "pay", "balance", "invoices", "transactions"):
        assert f"/license {word}" in text_of(reply)
    for word in ("refund", "admins", "audit"):
        assert f"/license {word}" in text_of(reply)


def test_status_lists_subscriptions_with_licences_trial_and_pending_requests(bot: Running) -> None:
    assert "No subscription yet" in text_of(ask(bot, SUPER, "status"))
    sign_up(bot, "chrome", Plan.ANNUAL, 25)
    sign_up(bot, "ci", Plan.FLEXIBLE, 10)
    shown = text_of(ask(bot, ADMIN, "status"))
    assert "*chrome*" in shown and "*ci*" in shown
    assert "25 licences held" in shown and "10 users ·" in shown  # a flexible plan counts users
    assert "free trial until Jan 23, 2026" in shown
    assert "annual plan" in shown and "flexible plan" in shown


def test_balance_shows_the_ledger_figures_and_the_descriptor(bot: Running) -> None:
    invoiced_account(bot)
    balance = bot.services.billing.balance(bot.customer_id, bot.clock())
    shown = text_of(ask(bot, SUPER, "balance"))
    assert f"${balance.current_cycle:,.2f}" in shown
    assert f"${balance.total:,.2f}" in shown
    assert "GSUITE_" in shown


def test_invoices_lists_the_stored_invoices_newest_first(bot: Running) -> None:
    invoiced_account(bot)
    stored = bot.store.invoices(bot.customer_id)
    assert len(stored) == 2
    shown = text_of(ask(bot, SUPER, "invoices"))
    for invoice in stored:
        assert invoice.number in shown
        assert f"${invoice.total:,.2f}" in shown
    assert shown.index(stored[1].number) < shown.index(stored[0].number)
    only_one = text_of(ask(bot, SUPER, "invoices 1"))
    assert stored[1].number in only_one and stored[0].number not in only_one


def test_transactions_lists_the_ledger(bot: Running) -> None:
    invoiced_account(bot)
    ledger = bot.store.ledger(bot.customer_id)
    kinds = {row.kind for row in ledger}
    assert {"charge", "payment"} <= kinds
    shown = text_of(ask(bot, SUPER, "transactions"))
    assert shown.count(" · charge · ") == sum(1 for r in ledger if r.kind == "charge")
    assert shown.count(" · payment · ") == sum(1 for r in ledger if r.kind == "payment")


def test_audit_names_who_did_what(bot: Running) -> None:
    assert "Nothing recorded yet." in text_of(ask(bot, ADMIN, "audit"))
    order = cmd.Signup(
        subscription="chrome",
        product="Chrome Enterprise Upgrade",
        plan=Plan.ANNUAL,
        licences=25,
        price=Decimal("50.00"),
    )
    bot.services.billing.order(
        bot.customer_id, order, at=bot.clock(), actor=Actor.parse("slack:USUPER")
    )
    bot.services.billing.order(
        bot.customer_id,
        cmd.AddLicences(subscription="chrome", count=5),
        at=bot.clock(),
        actor=Actor.parse("slack:USUPER"),
    )
    bot.services.billing.order(
        bot.customer_id,
        cmd.Renewal(subscription="chrome", mode="cancel_at_expiry"),
        at=bot.clock(),
        actor=Actor.parse("slack:USUPER"),
    )
    shown = text_of(ask(bot, ADMIN, "audit"))
    assert "<@USUPER> started a subscription · chrome" in shown
    assert "status trial, licences 25, renewal automatic, price $50.00" in shown
    assert "<@USUPER> bought licences · chrome" in shown and "licences 25 → 30" in shown
    assert "renewal automatic → cancel at expiry" in shown
    for internal in ("signup", "add_licences", "renewal_mode", "auto ", "cancel_at_expiry"):
        assert internal not in shown, internal


def _buy(bot: Running, key: str, count: int, by: str) -> None:
    order = cmd.AddLicences(subscription=key, count=count)
    bot.services.billing.order(bot.customer_id, order, at=bot.clock(), actor=Actor.slack(by))


def _older(reply: dict[str, Any]) -> str:
    [value] = [
        element["value"]
        for block in reply["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "audit_older"
    ]
    return str(value)


def test_audit_pages_back_and_filters_by_subscription_and_person(bot: Running) -> None:
    sign_up(bot, "chrome")
    sign_up(bot, "ci2", Plan.ANNUAL, 5)
    for _ in range(3):  # chrome to 26, 27, 28 by the super-admin, then ci2 to 6 by an admin
        _buy(bot, "chrome", 1, SUPER)
    _buy(bot, "ci2", 1, ADMIN)
    first = ask(bot, ADMIN, "audit 2")
    assert "licences 5 → 6" in text_of(first) and "licences 27 → 28" in text_of(first)
    assert "26 → 27" not in text_of(first)
    bot.sender.block_action(
        ADMIN, "audit_older", value=_older(first), response_url=bot.slack.response_url("older")
    )
    [second] = bot.slack.wait_for_response("older")
    assert second["replace_original"] is True
    assert "licences 26 → 27" in text_of(second) and "licences 25 → 26" in text_of(second)
    assert "27 → 28" not in text_of(second)
    about = text_of(ask(bot, ADMIN, "audit ci2"))
    assert "about ci2" in about and "5 → 6" in about and "chrome" not in about
    by = text_of(ask(bot, ADMIN, f"audit <@{ADMIN}|admin> 50"))
    assert f"by <@{ADMIN}>" in by and "5 → 6" in by and "→ 28" not in by
    assert "Filter the audit trail" in text_of(ask(bot, ADMIN, "audit 10 20"))


def test_a_forged_older_button_changes_nothing_and_says_so(bot: Running) -> None:
    sign_up(bot, "chrome")
    before = snapshot(bot.store.engine)
    for forged in ("", "{}", '{"b": 1, "n": 500}', '{"b": 1, "n": 5, "s": "<x>"}', "not json"):
        name = f"forged{len(forged)}"
        bot.sender.block_action(
            ADMIN, "audit_older", value=forged or None, response_url=bot.slack.response_url(name)
        )
        [said] = bot.slack.wait_for_response(name)
        assert said["text"] == "This page of the audit trail is not known.", forged
    assert snapshot(bot.store.engine) == before


def test_admins_says_who_may_act(bot: Running) -> None:
    shown = text_of(ask(bot, ADMIN, "admins"))
    assert "<@USUPER>" in shown and "<@UFRENCH>" in shown
    assert "<@UGMAIL> · cannot act: a consumer (@gmail.com) account" in shown


def test_plan_shows_the_catalogue(bot: Running) -> None:
    shown = text_of(ask(bot, ADMIN, "plan"))
    assert "Chrome Enterprise Upgrade" in shown and "`chrome_enterprise`" in shown
    assert "$50.00 per licence per year" in shown and "$6.00 per user per month" in shown


def test_plan_price_changes_the_catalogue_and_is_audited(bot: Running) -> None:
    reply = ask(bot, SUPER, "plan price chrome_enterprise annual 55.125")
    assert "$55.125 per licence per year" in text_of(reply)  # a price keeps its decimals
    [(annual,)] = rows(
        bot.store.engine, "SELECT annual_price FROM products WHERE code = 'chrome_enterprise'"
    )
    assert annual == 551250  # ten-thousandths of a dollar
    assert ("slack:USUPER", "set_price", "chrome_enterprise") in audit_actions(bot.store.engine)
    flexible = ask(bot, SUPER, "plan price cloud_identity_premium flexible 7")
    assert "$7.00 per user per month" in text_of(flexible)


def test_plan_price_is_for_super_admins_only(bot: Running) -> None:
    assert bot.customer_id  # the workspace's customer exists before the snapshot
    before = snapshot(bot.store.engine)
    reply = ask(bot, ADMIN, "plan price chrome_enterprise annual 1.00")
    assert "Only a super-admin can change prices." in text_of(reply)
    assert reply["response_type"] == "ephemeral"
    assert snapshot(bot.store.engine) == before


# ---- changes open their modal ------------------------------------------------------------


def test_subscribe_opens_the_catalogue_form(bot: Running) -> None:
    view = open_modal(bot, SUPER, "subscribe")
    assert view["callback_id"] == "signup"
    shown = view_text(view)
    assert "Chrome Enterprise Upgrade" in shown and "Cloud Identity Premium" in shown


def test_buy_opens_the_form_prefilled_from_the_command(bot: Running) -> None:
    sign_up(bot, "chrome")
    sign_up(bot, "ci", Plan.FLEXIBLE)
    view = open_modal(bot, SUPER, "buy chrome 10")
    assert view["callback_id"] == "add_licences"
    blocks = {b["block_id"]: b for b in view["blocks"] if "block_id" in b}
    assert blocks["subscription"]["element"]["initial_option"]["value"] == "chrome"
    assert blocks["count"]["element"]["initial_value"] == "10"


@pytest.mark.parametrize(
    ("text", "callback"),
    [
        ("users ci 12", "set_users"),
        ("renewal chrome", "renewal"),
        ("cancel chrome", "cancel"),
        ("transfer", "transfer"),
        ("pay 25.00", "pay"),
        ("refund", "refund_credit"),
    ],
)
def test_each_change_opens_its_modal(bot: Running, text: str, callback: str) -> None:
    sign_up(bot, "chrome")
    sign_up(bot, "ci", Plan.FLEXIBLE)
    card_on_file(bot)
    if callback == "refund_credit":
        pay = cmd.Pay(amount=Decimal("30.00"))  # nothing is due: all of it becomes credit
        bot.services.billing.order(
            bot.customer_id, pay, at=bot.clock(), actor=Actor.parse("test"), key="k"
        )
    before = snapshot(bot.store.engine)
    view = open_modal(bot, ADMIN, text)
    assert view["callback_id"] == callback
    assert view["type"] == "modal" and view["submit"]
    assert snapshot(bot.store.engine) == before
    assert bot.slack.responses() == []


# ---- refusals and usage ----------------------------------------------------------------


def refused_without_change(bot: Running, user: str, text: str) -> str:
    engine = bot.store.engine
    assert bot.customer_id  # the workspace's customer exists before the snapshot
    before = snapshot(engine)
    opened = len(bot.slack.calls_to("views.open"))
    reply = ask(bot, user, text)
    assert reply["response_type"] == "ephemeral"
    assert "Nothing was changed" in text_of(reply)
    assert snapshot(engine) == before
    assert len(bot.slack.calls_to("views.open")) == opened
    return text_of(reply)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("frobnicate", "Unknown subcommand “frobnicate”."),
        (
            "stauts",
            "Unknown subcommand “stauts”. Did you mean `/license status` / `/license seats`?",
        ),
        ("invoice", "Did you mean `/license invoices`?"),
        ("tranfser", "Did you mean `/license transfer`?"),
        ("STATUSX now", "Unknown subcommand “statusx”."),
        ("invoices abc", "Give a number from 1 to 50"),
        ("invoices 0", "Give a number from 1 to 50"),
        ("transactions 51", "Give a number from 1 to 50"),
        ("audit 1 2", "Filter the audit trail with"),
        ("audit 51", "Filter the audit trail with"),
        ("buy nosuch", "No subscription called “nosuch” here. Yours: chrome, ci."),
        ("buy chrome ten", "“ten” is not a number."),
        ("users ci -3", "“-3” is not a number."),
        ("cancel nosuch", "No subscription called “nosuch” here."),
        ("renewal ci", "No subscription called “ci” here. Yours: chrome."),
        ("plan price", "To change a price"),
        ("plan price chrome_enterprise monthly 5", "To change a price"),
        ("plan prices chrome_enterprise annual 5", "To change a price"),
        ("plan price chrome_enterprise annual -5", "“-5” is not a price."),
        ("plan price chrome_enterprise annual 0", "“0” is not a price."),
        ("plan price chrome_enterprise annual 1e3", "“1e3” is not a price."),
        ("plan price nosuch annual 5", "No product with the code “nosuch”."),
        ("status now", "`/license status` does not take “now”."),
        ("help me please", "`/license help` does not take “me please”."),
        (
            "buy chrome 25 more",
            "`/license buy` does not take “more”. For example: `/license buy chrome 25`.",
        ),
        ("cancel chrome today", "`/license cancel` does not take “today”."),
    ],
)
def test_malformed_commands_get_the_usage_and_change_nothing(
    bot: Running, text: str, says: str
) -> None:
    sign_up(bot, "chrome")
    sign_up(bot, "ci", Plan.FLEXIBLE)
    assert says in refused_without_change(bot, SUPER, text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("pay -3", "The amount must be more than zero, e.g. 25.00."),
        ("pay 0.00", "The amount must be more than zero"),
        ("pay 10.555", "at most 2 decimals"),
        ("pay ten", "“ten” is not an amount: write one such as 25.00."),
        ("pay 25.00 now", "`/license pay` does not take “now”."),
        ("pay 4242424242424242", "That looks like a card number"),
    ],
)
def test_a_payment_typed_wrong_is_told_what_is_wrong(bot: Running, text: str, says: str) -> None:
    sign_up(bot, "chrome")
    card_on_file(bot)
    assert says in refused_without_change(bot, SUPER, text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("buy", "There is no subscription to buy licences for."),
        ("users", "There is no subscription yet."),
        ("renewal", "Only annual plans renew, and there is none."),
        ("cancel", "There is no subscription to cancel."),
        ("pay", "There is no payment method yet"),
        ("refund", "There is no credit to refund."),
    ],
)
def test_changes_with_nothing_to_change_say_why(bot: Running, text: str, says: str) -> None:
    assert says in refused_without_change(bot, SUPER, text)


def test_a_command_is_acknowledged_empty_and_at_once(bot: Running) -> None:
    answer: SlackResponse = bot.command(SUPER, "status")
    assert (answer.status, answer.body) == (200, "")
    assert answer.elapsed < 1.0
    assert as_json(bot.slack.wait_for_response()[0])["response_type"] == "ephemeral"


def test_the_workspace_is_one_customer(bot: Running) -> None:
    ask(bot, SUPER, "status")
    ask(bot, ADMIN, "status")
    [(count,)] = rows(bot.store.engine, "SELECT count(*) FROM customers")
    assert count == 1
    assert UTC  # imported for the reader: instants are UTC in storage
