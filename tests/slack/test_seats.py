"""Seats from Slack, end to end over signed HTTP: `/license seats`, `assign` with mentions and
e-mails as Slack escapes them, `release` and its button, a member's `request` through the
approvals channel, a shortfall's Buy button, and a member deactivated in the workspace."""

from __future__ import annotations

from typing import Any

from billing.model import Plan
from tests.slack.bot import ADMIN, PLAIN, SUPER, Running
from tests.slack.flows import as_json, ask, rows, sign_up, snapshot, view_text
from tests.slack.test_approvals import APPROVE, click, posted_request


def text_of(reply: dict[str, Any]) -> str:
    return view_text({"blocks": reply.get("blocks")})


def held(bot: Running, key: str = "chrome") -> list[str]:
    found = rows(
        bot.store.engine,
        "SELECT holder FROM seats JOIN subscriptions s ON s.id = seats.subscription_id"
        " WHERE s.key = :key AND released_at IS NULL ORDER BY seats.id",
        key=key,
    )
    return [holder for (holder,) in found]


def elements(reply: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in as_json(reply["blocks"]):
        if block.get("accessory"):
            found.append(block["accessory"])
        found += block.get("elements", []) if block["type"] == "actions" else []
    return found


def test_assign_takes_mentions_and_member_e_mails_and_lists_the_holders(bot: Running) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 3)
    # escaping on: a mention arrives as <@U…|name>, an e-mail as <mailto:…|…>, & as &amp;
    typed = "assign chrome <@UADMIN|grace> <mailto:joe@acme.example|joe@acme.example> dev&amp;ops@acme.example"
    reply = ask(bot, SUPER, typed)
    assert (
        "Done: Give a licence of chrome to <@UADMIN>, <@UPLAIN>, dev&amp;ops@acme.example"
        in text_of(reply)
    )
    assert held(bot) == ["UADMIN", "UPLAIN", "dev&ops@acme.example"]  # joe's e-mail is joe
    shown = ask(bot, ADMIN, "seats chrome")
    assert "3 of 3 licences assigned" in text_of(shown)
    releases = [e for e in elements(shown) if e["action_id"] == "seat_release"]
    assert [e["value"] for e in releases] == [
        "chrome|UADMIN",
        "chrome|UPLAIN",
        "chrome|dev&ops@acme.example",
    ]
    assert releases[0]["confirm"]["title"]["text"] == "Release this licence?"
    status = text_of(ask(bot, ADMIN, "status"))
    assert "3 licences held · 3 assigned" in status


def test_past_the_commitment_the_shortfall_is_said_with_a_prefilled_buy_button(
    bot: Running,
) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 2)
    before = snapshot(bot.store.engine)
    reply = ask(bot, SUPER, "assign chrome <@UADMIN> <@UPLAIN> <@UFRENCH>")
    assert "chrome has no licence left for these: 0 of 2 are assigned. Buy 1 more." in text_of(
        reply
    )
    (buy,) = [e for e in elements(reply) if e["action_id"] == "open:add_licences"]
    assert buy["value"] == "subscription=chrome&count=1" and buy["text"]["text"] == "Buy 1 more"
    assert snapshot(bot.store.engine) == before
    opened = bot.sender.block_action(SUPER, "open:add_licences", value=buy["value"])
    assert opened.status == 200
    (call,) = bot.slack.wait_for_call("views.open")
    values = {
        block["block_id"]: block["element"].get("initial_value")
        or (block["element"].get("initial_option") or {}).get("value")
        for block in as_json(call["view"])["blocks"]
        if block["type"] == "input"
    }
    assert values["subscription"] == "chrome" and values["count"] == "1", values


def test_release_by_command_and_by_button(bot: Running) -> None:
    sign_up(bot, "ci", Plan.FLEXIBLE, 2)
    ask(bot, SUPER, "assign ci <@UADMIN> <@UPLAIN>")
    reply = ask(bot, SUPER, "release ci <@UADMIN|grace>")
    assert "Done: Take back the licence of ci from <@UADMIN>" in text_of(reply)
    assert held(bot, "ci") == ["UPLAIN"]
    again = ask(bot, SUPER, "release ci <@UADMIN>")
    assert "<@UADMIN> holds no licence of ci" in text_of(again)
    name = "rel1"
    answer = bot.sender.block_action(
        SUPER, "seat_release", value="ci|UPLAIN", response_url=bot.slack.response_url(name)
    )
    assert answer.status == 200
    (redrawn,) = bot.slack.wait_for_response(name)
    assert redrawn["replace_original"] is True
    assert "No one holds a licence of ci yet" in text_of(redrawn)
    assert held(bot, "ci") == []
    users = rows(bot.store.engine, "SELECT quantity FROM quantity_changes ORDER BY id")
    assert [q for (q,) in users] == [2, 1, 0]  # each release removes a user (from the next day)


def test_a_forged_release_value_finds_nothing_of_another_subscription(bot: Running) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 2)
    ask(bot, SUPER, "assign chrome <@UADMIN>")
    before = snapshot(bot.store.engine)
    for value in ("other|UADMIN", "chrome", "chrome|<script>", "x" * 500):
        name = f"forged{len(value)}"
        bot.sender.block_action(
            SUPER, "seat_release", value=value, response_url=bot.slack.response_url(name)
        )
        (said,) = bot.slack.wait_for_response(name)
        assert said["text"]
    assert snapshot(bot.store.engine) == before


def test_a_member_requests_a_licence_and_is_told_once_approved(bot: Running) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 5)
    assert "not allowed" in ask(bot, PLAIN, "seats").get("text", "").lower() or ask(
        bot, PLAIN, "seats"
    )
    reply = ask(bot, PLAIN, "request chrome")
    assert "Asked for a licence of chrome" in text_of(reply)
    posted = posted_request(bot)
    assert "Give a licence of chrome to <@UPLAIN>" in posted["text"]
    click(bot, SUPER, APPROVE, posted, "approve1")
    bot.slack.wait_for(lambda _: held(bot) == ["UPLAIN"])
    told = bot.slack.wait_for_call("chat.postMessage", count=2)
    assert (
        told[1]["channel"] == PLAIN and "Give a licence of chrome to <@UPLAIN>" in told[1]["text"]
    )


def test_a_member_who_leaves_loses_flexible_seats_and_is_flagged_on_annual_ones(
    bot: Running,
) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 5)
    sign_up(bot, "ci", Plan.FLEXIBLE, 2)
    ask(bot, SUPER, "assign chrome <@UPLAIN>")
    ask(bot, SUPER, "assign ci <@UPLAIN>")
    event = {"type": "user_change", "user": {"id": PLAIN, "deleted": True, "team_id": "T1"}}
    for _ in range(2):  # a redelivery, under the same event id, changes nothing more
        assert bot.sender.event(event, event_id="EvLEFT1").status == 200
    bot.slack.wait_for(lambda _: held(bot, "ci") == [])
    assert held(bot) == ["UPLAIN"]
    flagged = rows(bot.store.engine, "SELECT holder FROM seats WHERE reclaim_since IS NOT NULL")
    assert [h for (h,) in flagged] == ["UPLAIN"]
    shown = text_of(ask(bot, SUPER, "seats chrome"))
    assert "left the workspace" in shown
    actions = rows(bot.store.engine, "SELECT action FROM audit_log WHERE action = 'holder_left'")
    assert len(actions) == 1


def test_holders_come_20_at_a_time_with_more(bot: Running) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 25)
    people = " ".join(f"p{n:02d}@example.com" for n in range(25))
    ask(bot, SUPER, f"assign chrome {people}")
    first = ask(bot, SUPER, "seats chrome")
    releases = [e["value"] for e in elements(first) if e["action_id"] == "seat_release"]
    assert releases == [f"chrome|p{n:02d}@example.com" for n in range(20)]
    (more,) = [e for e in elements(first) if e["action_id"] == "seats_more"]
    assert more["value"] == "chrome|20" and "20 of 25 shown." in text_of(first)
    bot.sender.block_action(
        SUPER, "seats_more", value=more["value"], response_url=bot.slack.response_url("more1")
    )
    (second,) = bot.slack.wait_for_response("more1")
    rest = [e["value"] for e in elements(second) if e["action_id"] == "seat_release"]
    assert rest == [f"chrome|p{n:02d}@example.com" for n in range(20, 25)]
    assert not [e for e in elements(second) if e["action_id"] == "seats_more"]
