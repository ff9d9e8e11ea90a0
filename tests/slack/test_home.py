"""The App Home tab: opened, it is published with the subscriptions, licences, balance, next
invoice estimate and recent alerts; its buttons open the same modals as the commands."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from billing.calendar import PACIFIC
from billing.model import Plan
from tests.slack.bot import ADMIN, PLAIN, SUPER, Running
from tests.slack.flows import (
    as_json,
    ask,
    card_on_file,
    invoiced_account,
    sign_up,
    snapshot,
    trigger,
    view_text,
)


def open_home(bot: Running, user: str, **send: Any) -> dict[str, Any]:
    before = len(bot.slack.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}
    answer = bot.sender.event(event, **send)
    assert answer.status == 200
    call = bot.slack.wait_for_call("views.publish", count=before + 1)[before]
    assert call["user_id"] == user
    view = as_json(call["view"])
    assert view["type"] == "home"
    return dict(view)


def money(amount: Any) -> str:
    return f"${amount:,.2f}"


def test_home_shows_subscriptions_licences_balance_estimate_and_alerts(bot: Running) -> None:
    invoiced_account(bot)
    sign_up(bot, "ci", Plan.FLEXIBLE, 12)
    overview = bot.services.billing.overview(bot.customer_id, bot.clock())
    alerts = bot.store.alerts(bot.customer_id)
    assert alerts, "the set-up produced alerts (trial converted, invoices, payments)"
    shown = view_text(open_home(bot, SUPER))
    assert "Licences and billing" in shown
    assert "*chrome* · Chrome Enterprise Upgrade · annual plan · active" in shown
    assert "*ci* · Cloud Identity Premium · flexible plan · trial" in shown
    assert "25 licences held" in shown and "12 users ·" in shown  # a flexible plan counts users
    for label, amount in (
        ("Current cycle", overview.balance.current_cycle),
        ("Balance due", overview.balance.balance_due),
        ("Credit", overview.balance.credit),
        ("Balance", overview.balance.total),
    ):
        assert f"*{label}*\n{money(amount)}" in shown
    assert f"Next invoice, if nothing changes: {money(overview.next_invoice)}." in shown
    assert overview.next_invoice > 0
    assert "Card on file: visa •••• 4242 (12/2030)" in shown
    assert "Recent alerts" in shown
    for alert in alerts[-8:]:
        assert alert.kind.replace("_", " ") in shown
    assert "invoice_issued" not in shown, "codes are shown as words"


def test_home_has_the_buttons_for_an_admin(bot: Running) -> None:
    view = open_home(bot, ADMIN)
    ids = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["open:signup", "open:add_licences", "open:pay", "open:card"]
    assert "No subscription yet." in view_text(view)
    assert "No alert yet." in view_text(view)


def test_home_shows_no_billing_to_someone_who_is_not_an_admin(bot: Running) -> None:
    invoiced_account(bot)
    view = open_home(bot, PLAIN)
    shown = view_text(view)
    assert "Only the organisation's admins can see its billing." in shown
    assert "chrome" not in shown and "$" not in shown
    assert not [b for b in view["blocks"] if b["type"] == "actions"]


def test_opening_home_changes_nothing_and_a_redelivery_publishes_once(bot: Running) -> None:
    invoiced_account(bot)
    before = snapshot(bot.store.engine)
    event = {"type": "app_home_opened", "user": SUPER, "channel": "D1", "tab": "home"}
    bot.sender.event(event, event_id="EvSAME")
    bot.sender.event(event, event_id="EvSAME", retry_num=1, retry_reason="http_timeout")
    bot.slack.wait_for_call("views.publish")
    bot.sender.event({**event, "tab": "messages"})  # the Messages tab is not ours
    open_home(bot, SUPER)  # a new opening is published again
    assert len(bot.slack.calls_to("views.publish")) == 2
    assert snapshot(bot.store.engine) == before


def press(bot: Running, user: str, action_id: str, home: dict[str, Any]) -> dict[str, Any]:
    before = len(bot.slack.calls_to("views.open"))
    tid = trigger()
    answer = bot.sender.block_action(
        user,
        action_id,
        block_id="home-actions",
        view={**home, "id": "VHOME"},
        trigger_id=tid,
    )
    assert answer.status == 200
    call = bot.slack.wait_for_call("views.open", count=before + 1)[before]
    assert call["trigger_id"] == tid
    return dict(as_json(call["view"]))


@pytest.mark.parametrize(
    ("action_id", "callback"),
    [
        ("open:signup", "signup"),
        ("open:add_licences", "add_licences"),
        ("open:pay", "pay"),
        # the ids of release 1f2cbf2, on buttons of messages it posted
        ("open_subscribe", "signup"),
        ("open_buy", "add_licences"),
        ("open_pay", "pay"),
    ],
)
def test_home_buttons_open_their_modals(bot: Running, action_id: str, callback: str) -> None:
    invoiced_account(bot)
    home = open_home(bot, SUPER)
    before = snapshot(bot.store.engine)
    assert press(bot, SUPER, action_id, home)["callback_id"] == callback
    assert snapshot(bot.store.engine) == before


def test_home_buttons_with_nothing_to_act_on_say_so(bot: Running) -> None:
    home = open_home(bot, ADMIN)
    for action_id in ("open:add_licences", "open:pay"):
        view = press(bot, ADMIN, action_id, home)
        assert view["callback_id"] == "result"
        assert "Nothing to do here yet" in view_text(view)
    card = press(bot, ADMIN, "open:card", home)  # a card is a super-admin's to enter
    assert card["callback_id"] == "result"
    assert "Only a super-admin can enter a card." in view_text(card)


def _accessories(view: dict[str, Any]) -> list[str]:
    return [b["accessory"]["action_id"] for b in view["blocks"] if b.get("accessory")]


def test_home_and_status_warn_while_billing_is_not_set_up(bot: Running) -> None:
    sign_up(bot, "chrome")
    home = open_home(bot, SUPER)
    said = "Billing is not set up: each subscription is suspended when its free trial ends."
    assert said in view_text(home) and _accessories(home) == ["open:card", "menu:chrome"]
    status = ask(bot, ADMIN, "status")
    assert said in view_text(status) and _accessories(status) == ["open:card"]


def test_home_and_status_warn_of_a_card_about_to_expire_then_expired(bot: Running) -> None:
    sign_up(bot, "chrome")
    card_on_file(bot, expires="2026-01")  # saved Jan 10, within 30 days of Feb 1
    soon = "The card visa •••• 4242 (01/2026) works until Jan 31, 2026: update it before then."
    assert soon in view_text(open_home(bot, SUPER))
    assert soon in view_text(ask(bot, ADMIN, "status"))
    bot.clock.set(datetime(2026, 2, 2, 9, 0, tzinfo=PACIFIC))
    assert "has expired: automatic payments fail" in view_text(ask(bot, ADMIN, "status"))


def test_a_good_card_raises_no_warning_and_status_gives_the_next_invoice(bot: Running) -> None:
    sign_up(bot, "chrome")
    card_on_file(bot)
    status = ask(bot, ADMIN, "status")
    assert ":warning:" not in json.dumps(status) and _accessories(status) == []
    assert "Next invoice, if nothing changes:" in view_text(status)


def choose(bot: Running, key: str, order: str, home: dict[str, Any]) -> dict[str, Any]:
    """Pick `order` in the menu of subscription `key`; the view it opened."""
    before = len(bot.slack.calls_to("views.open"))
    answer = bot.sender.block_action(
        SUPER,
        f"menu:{key}",
        action_type="overflow",
        selected_option={"text": {"type": "plain_text", "text": order}, "value": order},
        view={**home, "id": "VHOME"},
        trigger_id=trigger(),
    )
    assert answer.status == 200
    return dict(as_json(bot.slack.wait_for_call("views.open", count=before + 1)[before]["view"]))


def _initial(view: dict[str, Any], block_id: str) -> Any:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return block["element"].get("initial_option", {}).get("value")


def test_each_subscription_has_a_menu_of_what_can_be_done_to_it(bot: Running) -> None:
    sign_up(bot, "chrome")
    sign_up(bot, "ci", Plan.FLEXIBLE, 12)
    card_on_file(bot)
    home = open_home(bot, SUPER)
    menus = {
        b["accessory"]["action_id"]: [o["value"] for o in b["accessory"]["options"]]
        for b in home["blocks"]
        if b.get("accessory", {}).get("type") == "overflow"
    }
    assert menus == {
        "menu:chrome": ["add_licences", "renewal", "cancel"],
        "menu:ci": ["set_users", "cancel"],
    }
    before = snapshot(bot.store.engine)
    buy = choose(bot, "chrome", "add_licences", home)
    assert buy["callback_id"] == "add_licences" and _initial(buy, "subscription") == "chrome"
    users = choose(bot, "ci", "set_users", home)
    assert users["callback_id"] == "set_users" and _initial(users, "subscription") == "ci"
    assert snapshot(bot.store.engine) == before


@pytest.mark.parametrize(
    ("key", "order"),
    [("ci", "renewal"), ("nosuch", "cancel"), ("chrome", "transfer"), ("chrome", "nosuch")],
)
def test_a_menu_choice_that_does_not_fit_opens_nothing_but_says_so(
    bot: Running, key: str, order: str
) -> None:
    sign_up(bot, "chrome")
    sign_up(bot, "ci", Plan.FLEXIBLE, 12)
    home = open_home(bot, SUPER)
    shown = choose(bot, key, order, home)
    assert shown["callback_id"] == "result", shown
