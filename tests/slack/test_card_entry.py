"""Card entry without Slack (issue 12, item 2), against the real Bolt app with signed
requests: every way in (`/license billing`, `/license card`, the App Home's Card button, an
alert's "Set up billing") answers with a link button to the processor's secure page, made for
that request; no view anywhere asks for a brand, last 4 digits or an expiry; the sandbox
page's POST saves the card, which the billing channel and the asker are told of."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.card_page import CardPage
from scheduler.service import deliverer_for
from tests.slack.bot import ADMIN, BILLING_CHANNEL, PUBLIC_URL, SUPER, Running
from tests.slack.flows import as_json, ask, card_on_file, rows, sign_up, snapshot, view_text
from tests.slack.test_home import open_home, press

CARD_FIELDS = {"brand", "last4", "expires", "card", "number", "cvc"}


def link_button(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    [button] = [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("url")
    ]
    return button


def state_in(url: str) -> str:
    prefix = f"{PUBLIC_URL}/sandbox/card?state="
    assert url.startswith(prefix), url
    return url.removeprefix(prefix)


def entries(bot: Running) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in rows(
            bot.store.engine,
            "SELECT state, customer_id, requested_by, purpose, used_at FROM card_entries",
        )
    ]


def no_card_field_anywhere(bot: Running) -> None:
    """No view the bot opened, published or answered with has a card input."""
    views = [
        as_json(c.args["view"])
        for c in bot.slack.calls
        if c.method in ("views.open", "views.publish")
    ]
    views += [a["view"] for a in bot.sender.answers if isinstance(a, dict) and "view" in a]
    inputs = [
        block.get("block_id")
        for view in views
        for block in view.get("blocks", [])
        if block.get("type") == "input"
    ]
    assert not CARD_FIELDS & set(inputs), inputs


def test_license_billing_answers_with_a_link_to_the_secure_page(bot: Running) -> None:
    sign_up(bot)
    reply = ask(bot, SUPER, "billing")
    assert reply["response_type"] == "ephemeral"
    button = link_button(reply["blocks"])
    assert button["text"]["text"] == "Enter the card on a secure page"
    assert button["action_id"] == "link"
    state = state_in(button["url"])
    assert "Set up billing: enter the card on the payment processor's secure page" in view_text(
        reply
    )
    [(stored, customer, user, purpose, used)] = entries(bot)
    assert (stored, customer, user, purpose, used) == (
        state,
        bot.customer_id,
        SUPER,
        "setup_billing",
        None,
    )
    assert bot.slack.calls_to("views.open") == []
    no_card_field_anywhere(bot)


def test_each_request_gets_its_own_link(bot: Running) -> None:
    card_on_file(bot)
    first = state_in(link_button(ask(bot, SUPER, "card")["blocks"])["url"])
    second = state_in(link_button(ask(bot, SUPER, "card")["blocks"])["url"])
    assert first != second
    assert sorted(e[3] for e in entries(bot)) == ["update_card", "update_card"]


def test_the_link_button_click_is_only_acknowledged(bot: Running) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    answer = bot.sender.block_action(SUPER, "link", response_url=bot.slack.response_url("x"))
    assert answer.status == 200
    assert snapshot(bot.store.engine) == before
    assert bot.slack.responses() == []  # not "this button is not known"


def test_the_app_home_card_button_opens_the_link_not_a_form(bot: Running) -> None:
    sign_up(bot)
    home = open_home(bot, SUPER)
    view = press(bot, SUPER, "open:card", home)
    assert view["type"] == "modal" and not view.get("submit")
    assert state_in(link_button(view["blocks"])["url"])
    for legacy in ("open_card", "open:setup_billing", "open:update_card"):
        assert state_in(link_button(press(bot, SUPER, legacy, home)["blocks"])["url"])
    no_card_field_anywhere(bot)


def test_an_alert_set_up_billing_button_opens_the_link(bot: Running) -> None:
    sign_up(bot)
    before = len(bot.slack.calls_to("views.open"))
    answer = bot.sender.block_action(
        SUPER,
        "open:card",
        message={"ts": "1.1", "text": "trial ending"},
        channel_id=BILLING_CHANNEL,
        trigger_id="77.1700000000.alert",
        response_url=bot.slack.response_url("alert"),
    )
    assert answer.status == 200
    call = bot.slack.wait_for_call("views.open", count=before + 1)[before]
    assert state_in(link_button(as_json(call["view"])["blocks"])["url"])
    no_card_field_anywhere(bot)


def test_an_admin_gets_no_link(bot: Running) -> None:
    home = open_home(bot, ADMIN)
    view = press(bot, ADMIN, "open:card", home)
    assert "Only a super-admin can enter a card." in view_text(view)
    assert entries(bot) == []


def post_page(page: CardPage, **form: str) -> tuple[str, str]:
    body = urlencode(form).encode()
    said: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/sandbox/card",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    out = b"".join(page(environ, lambda status, headers: said.append(status)))
    return said[0], out.decode()


def test_the_page_saves_the_card_and_the_asker_and_the_channel_are_told(bot: Running) -> None:
    sign_up(bot)
    state = state_in(link_button(ask(bot, SUPER, "billing")["blocks"])["url"])
    assert bot.services.card_entry is not None
    page = CardPage(bot.services.card_entry, bot.clock)
    status, shown = post_page(
        page, state=state, card="0002", brand="", last4="", exp_month="12", exp_year="2030"
    )
    assert status == "200 OK" and "Card saved, you can close this page." in shown
    card = bot.services.billing.overview(bot.customer_id, bot.clock()).card
    assert card is not None
    assert (card.brand, card.last4, card.expires, card.payment_method) == (
        "visa",
        "0002",
        "2030-12",
        "pm_sandbox_visa_0002_203012",
    )
    assert entries(bot)[0][4] is not None  # used
    deliverer_for(bot.services, bot.store, bot.services.directory.client).sweep()
    told = {c["channel"]: c["text"] for c in bot.slack.calls_to("chat.postMessage")}
    saved = "The card visa •••• 0002 (12/2030) is saved: automatic payments use it"
    assert saved in told[BILLING_CHANNEL] and saved in told[SUPER]
    # the same page again: the link was used
    status, shown = post_page(
        page, state=state, card="4242", brand="", last4="", exp_month="12", exp_year="2030"
    )
    assert status == "400 Bad Request" and "already used" in shown
    assert bot.services.billing.overview(bot.customer_id, bot.clock()).card.last4 == "0002"  # type: ignore[union-attr]
    alerts = rows(
        bot.store.engine, "SELECT kind, notify_user FROM alerts WHERE kind = 'card_saved'"
    )
    assert [tuple(a) for a in alerts] == [("card_saved", SUPER)]


def test_the_page_never_takes_a_card_number_or_a_security_code(bot: Running) -> None:
    state = state_in(link_button(ask(bot, SUPER, "billing")["blocks"])["url"])
    assert bot.services.card_entry is not None
    page = CardPage(bot.services.card_entry, bot.clock)
    before = snapshot(bot.store.engine)
    for form in (
        {"card": "other", "brand": "visa", "last4": "4242424242424242"},
        {"card": "other", "brand": "visa", "last4": "4242", "number": "4242424242424242"},
        {"card": "4242", "cvc": "123"},
        {"card": "other", "brand": "visa", "last4": "4242 4242 4242 4242"},
        {"card": "other", "brand": "visa", "last4": "12"},
        {"card": "other", "brand": "bitcoin", "last4": "1234"},
    ):
        status, shown = post_page(page, state=state, exp_month="12", exp_year="2030", **form)
        assert status == "400 Bad Request", form
        assert "Card saved" not in shown
    assert snapshot(bot.store.engine) == before
    stored = json.dumps(snapshot(bot.store.engine), default=str)
    assert "4242424242424242" not in stored and '"123"' not in stored


class StripeLike:
    """A processor that cannot take over cards saved before it (Stripe's `adopt`)."""

    name = "stripe"

    def adopt(self, *_: object) -> None:
        return None


REENTER = "was saved before payments went through the processor: enter it again"


def test_a_card_from_before_the_processor_is_to_be_entered_again_only_in_stripe_mode(
    bot: Running,
) -> None:
    sign_up(bot)
    card_on_file(bot)  # a reference alone, as saved before there was a processor
    home = open_home(bot, SUPER)
    assert REENTER not in view_text(home)  # the sandbox keeps it working
    entry = bot.services.card_entry
    assert entry is not None
    sandbox = entry.processor.gateway
    entry.processor.gateway = StripeLike()  # type: ignore[misc,assignment]
    try:
        home = open_home(bot, SUPER)
        status = ask(bot, SUPER, "status")
    finally:
        entry.processor.gateway = sandbox  # type: ignore[misc]
    said = "The card visa •••• 4242 (12/2030) " + REENTER
    for view in (home, status):
        assert said in view_text(view)
        accessories = [b["accessory"] for b in view["blocks"] if b.get("accessory")]
        assert accessories[0]["action_id"] == "open:card"
        assert accessories[0]["text"]["text"] == "Enter the card again"
