"""The Slack test harness, proven without the bot.

(a) a real slack_sdk WebClient against the Slack stand-in (bot.sandbox.slack_api); (b) a
minimal Bolt app behind wsgiref, driven by SlackSender's signed requests, with its Web API
client and response_urls on the stand-in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.identities import Person
from bot.sandbox.signing import SlackResponse, SlackSender, number, plain, select, state
from bot.sandbox.slack_api import SlackApi

SECRET = "secret"
TOKEN = "xoxb-test"


@pytest.fixture
def slack() -> Iterator[SlackApi]:
    with SlackApi([Person("U1", "ann@acme.test", locale="fr-FR")]) as stand_in:
        yield stand_in


@pytest.fixture
def client(slack: SlackApi) -> WebClient:
    return WebClient(base_url=slack.api_url, token=TOKEN)


# -- (a) slack_sdk's WebClient against the stand-in -----------------------------------------


def test_auth_test_is_form_encoded_with_bearer_token(slack: SlackApi, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["user_id"] == "UBOT"
    assert answer["bot_id"] == "BBOT"
    assert answer["is_enterprise_install"] is False
    [call] = slack.calls
    assert call.method == "auth.test"
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"


def test_users_info_shows_locale_only_when_asked(slack: SlackApi, client: WebClient) -> None:
    slack.add_user(Person("U2", "bob@acme.test", "bob", is_admin=True, tz="Europe/Paris"))
    user = client.users_info(user="U1", include_locale=True)["user"]
    assert user["locale"] == "fr-FR"
    assert user["profile"]["email"] == "ann@acme.test"
    assert user["name"] == "ann"
    assert user["is_bot"] is False
    bob = client.users_info(user="U2")["user"]
    assert "locale" not in bob
    assert bob["is_admin"] is True
    assert bob["tz_offset"] in (3600, 7200)
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U404")
    assert raised.value.response["error"] == "user_not_found"
    assert slack.calls_to("users.info")[0] == {"user": "U1", "include_locale": "1"}


def test_post_message_sends_json_and_gets_increasing_ts(slack: SlackApi, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="C1", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="U1", text="psst")
    assert first["channel"] == "C1"
    assert first["message"]["blocks"] == blocks
    assert second["channel"] == "DU1"
    assert float(second["ts"]) > float(first["ts"])
    assert slack.calls_to("chat.postMessage")[0]["blocks"] == blocks
    assert slack.calls[0].headers["content-type"].startswith("application/json")


def test_views_open_echoes_the_view_with_an_id(slack: SlackApi, client: WebClient) -> None:
    view = {"type": "modal", "callback_id": "order", "title": {"type": "plain_text", "text": "x"}}
    answer = client.views_open(trigger_id="1.2.3", view=view)
    assert answer["view"]["callback_id"] == "order"
    assert answer["view"]["id"].startswith("V")
    assert answer["view"]["team_id"] == "T1"
    assert slack.calls_to("views.open") == [{"trigger_id": "1.2.3", "view": view}]


def test_other_methods_answer_like_slack(slack: SlackApi, client: WebClient) -> None:
    assert client.conversations_open(users="U1")["channel"]["id"] == "DU1"
    assert client.chat_postEphemeral(channel="C1", user="U1", text="x")["message_ts"]
    updated = client.chat_update(channel="C1", ts="1.000100", text="new")
    assert (updated["channel"], updated["ts"], updated["text"]) == ("C1", "1.000100", "new")
    assert client.api_call("reactions.add", params={"name": "x"})["ok"] is True
    assert [c.method for c in slack.calls][-1] == "reactions.add"


def test_calls_without_a_token_are_not_authed(slack: SlackApi) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=slack.api_url).auth_test()
    assert raised.value.response["error"] == "not_authed"


def test_files_upload_v2_goes_through_the_upload_url(slack: SlackApi, client: WebClient) -> None:
    content = b"seat,user\n1,ann\n"
    answer = client.files_upload_v2(
        content=content, filename="seats.csv", title="Seats", channel="C1"
    )
    file_id = answer["file"]["id"]
    assert answer["file"]["title"] == "Seats"
    assert slack.uploads == {file_id: content}
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert slack.calls_to("files.getUploadURLExternal")[0]["length"] == str(len(content))
    assert slack.calls_to("files.completeUploadExternal")[0]["channel_id"] == "C1"


def test_rate_limit_is_retried_by_the_sdk_handler(slack: SlackApi, client: WebClient) -> None:
    slack.fail("chat.postMessage", retry_after=0)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "0"
    assert raised.value.response["error"] == "ratelimited"

    slack.clear()
    slack.fail("chat.postMessage", retry_after=0)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [c.status for c in slack.calls] == [429, 200]


def test_injected_errors_and_failing_until_the_end(slack: SlackApi, client: WebClient) -> None:
    slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C9", text="x")
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True

    slack.fail("chat.update", status=500, times=10**9)
    for _ in range(3):
        with pytest.raises(SlackApiError):
            client.chat_update(channel="C1", ts="1.0", text="x")
    assert [c.status for c in slack.calls if c.method == "chat.update"] == [500, 500, 500]


def test_wait_for_reports_what_was_recorded(slack: SlackApi, client: WebClient) -> None:
    threading.Timer(0.05, lambda: client.chat_postMessage(channel="C1", text="later")).start()
    assert slack.wait_for_call("chat.postMessage")[0]["text"] == "later"
    with pytest.raises(AssertionError, match=r"chat\.postMessage -> 200"):
        slack.wait_for(lambda stand_in: stand_in.calls_to("views.open"), timeout=0.05)


class _Captured(SlackSender):
    """Sends nothing: keeps each body and its headers."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9/slack/events", SECRET)
        self.sent: list[tuple[bytes, dict[str, str]]] = []

    def raw(self, body: bytes, headers: dict[str, str]) -> SlackResponse:
        self.sent.append((body, headers))
        return SlackResponse(200, {}, "", None, 0.0)


def test_what_the_sender_signs_passes_slack_sdk_verifier() -> None:
    sender = _Captured()
    sender.command("U1", "a b")
    sender.block_action("U1", "approve", value="1", message={"text": "x"})
    sender.event({"type": "app_mention", "user": "U1", "channel": "C1"})
    sender.command("U1", "x", secret="wrong")
    sender.command("U1", "x", timestamp=int(time.time()) - 6 * 60)
    *signed, forged, stale = sender.sent
    for body, headers in signed:
        assert SignatureVerifier(SECRET).is_valid_request(body, headers)
        assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    assert not SignatureVerifier(SECRET).is_valid_request(*forged)
    assert not SignatureVerifier(SECRET).is_valid_request(*stale)


# -- (b) a Bolt app behind wsgiref, driven by SlackSender --------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@contextmanager
def serve(app: App) -> Iterator[str]:
    """Serve ``app`` over real HTTP on a random port; yields its /slack/events URL."""
    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Bot:
    sender: SlackSender
    seen: list[tuple[str, Any]] = field(default_factory=list)


@pytest.fixture
def bot(slack: SlackApi) -> Iterator[Bot]:
    client = WebClient(base_url=slack.api_url, token=TOKEN)
    app = App(token=TOKEN, signing_secret=SECRET, client=client)
    seen: list[tuple[str, Any]] = []

    @app.command("/license")
    def license_command(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        ack()
        respond(f"You asked for {command['text']}")

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        seen.append(("action", action))
        ack()
        client.views_open(trigger_id=body["trigger_id"], view={"type": "modal", "blocks": []})

    @app.view("order")
    def order(ack: Ack, view: dict[str, Any]) -> None:
        seats = view["state"]["values"]["seats"]["n"]["value"]
        if int(seats) < 1:
            ack(response_action="errors", errors={"seats": "At least one seat"})
            return
        seen.append(("view", view))
        ack()

    @app.event("app_mention")
    def mention(event: dict[str, Any], request: BoltRequest, client: WebClient) -> None:
        seen.append(("retry", request.headers.get("x-slack-retry-num")))
        client.chat_postMessage(channel=event["channel"], text="hello")

    with serve(app) as url:
        responses = lambda: slack.response_url("r1")  # noqa: E731
        yield Bot(SlackSender(url, SECRET, response_url_factory=responses), seen)


def test_app_checks_its_token_at_start(slack: SlackApi, bot: Bot) -> None:
    assert len(slack.calls_to("auth.test")) == 1


def test_signed_command_is_acked_then_responded(slack: SlackApi, bot: Bot) -> None:
    answer = bot.sender.command("U1", "3 seats")
    assert (answer.status, answer.body) == (200, "")
    [reply] = slack.wait_for_response("r1")
    assert reply["text"] == "You asked for 3 seats"


def test_bad_signatures_and_stale_requests_are_refused(slack: SlackApi, bot: Bot) -> None:
    assert bot.sender.command("U1", "x", secret="wrong").status == 401
    stale = int(time.time()) - 6 * 60
    assert bot.sender.command("U1", "x", timestamp=stale).status == 401
    unsigned = bot.sender.raw(
        b"command=%2Flicense", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert unsigned.status == 401
    assert unsigned.json == {"error": "invalid request"}
    time.sleep(0.2)
    assert slack.responses() == []


def test_unhandled_command_is_404(bot: Bot) -> None:
    assert bot.sender.command("U1", "x", command="/other").status == 404


def test_url_verification_returns_the_challenge(bot: Bot) -> None:
    answer = bot.sender.url_verification("abc123")
    assert (answer.status, answer.json) == (200, {"challenge": "abc123"})


def test_block_action_reaches_its_handler(slack: SlackApi, bot: Bot) -> None:
    message = {"ts": "1700000000.000100", "text": "Approve?"}
    answer = bot.sender.block_action(
        "U1", "approve", value="order-7", message=message, trigger_id="t-1"
    )
    assert answer.status == 200
    [(kind, action)] = bot.seen
    assert (kind, action["value"], action["type"]) == ("action", "order-7", "button")
    assert slack.wait_for_call("views.open")[0]["trigger_id"] == "t-1"


def test_view_submission_reaches_its_handler(bot: Bot) -> None:
    view = {"callback_id": "order", "state": state({"seats": {"n": number("0")}})}
    refused = bot.sender.view_submission("U1", view)
    assert refused.json == {"response_action": "errors", "errors": {"seats": "At least one seat"}}
    values = {"seats": {"n": number("3")}, "plan": {"p": select("pro")}, "note": {"t": plain("hi")}}
    answer = bot.sender.view_submission("U1", {"callback_id": "order", "state": state(values)})
    assert (answer.status, answer.body) == (200, "")
    [(kind, seen_view)] = bot.seen
    assert kind == "view"
    assert seen_view["state"]["values"]["plan"]["p"]["selected_option"]["value"] == "pro"
    assert seen_view["id"] == "V1"


def test_event_reaches_its_handler_with_retry_headers(slack: SlackApi, bot: Bot) -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> hi",
        "channel": "C1",
        "ts": "1.2",
    }
    answer = bot.sender.event(event, retry_num=1, retry_reason="http_timeout")
    assert answer.status == 200
    assert slack.wait_for_call("chat.postMessage")[0]["channel"] == "C1"
    assert bot.seen == [("retry", ["1"])]
