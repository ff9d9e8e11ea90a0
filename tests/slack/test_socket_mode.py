"""`licensebot run` in Socket Mode, end to end: the real command in a process of its own, its
Web API on the Slack stand-in, whose apps.connections.open hands out a local WebSocket URL
(tests/slack/socket_mode.py plays Slack's side of the socket).

Requests are shaped by the same SlackSender as the HTTP tests, then carried in envelopes
instead of signed posts, so both ways of running answer the same payloads; the acks are
read back off the socket and what the bot did is read from the stand-in's records and the
bot's database.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine

from bot.sandbox.signing import SlackResponse, SlackSender
from bot.sandbox.slack_api import SlackApi
from storage.db import make_engine
from tests.slack.bot import SUPER, USERS
from tests.slack.flows import (
    as_json,
    audit_actions,
    new_view_id,
    result_text,
    rows,
    signup_values,
    state,
    view_text,
)
from tests.slack.socket_mode import SocketModeServer
from tests.test_run import ROOT, base_env

BOT_TOKEN = "xoxb-111-222-socket-mode-bot-token"
APP_TOKEN = "xapp-test-socket-mode-app-token"  # the app-level token form, and no real one
SECRET = "socket-mode-signing-secret-never-used-here"
STARTUP = 30.0
"""Seconds the process may take to start (imports and migrations) and connect."""


class SocketSender(SlackSender):
    """A SlackSender whose requests go to the bot as Socket Mode envelopes: a command's form
    fields as a JSON object, an interaction's payload, an event callback, as Slack sends
    them there. Its answers are the acks' payloads, as an HTTP answer's body would be."""

    def __init__(self, server: SocketModeServer, slack: SlackApi) -> None:
        super().__init__("socket-mode://", SECRET, response_url_factory=slack.response_url)
        self.server = server
        self.acks: list[dict[str, Any]] = []

    def raw(self, body: bytes, headers: dict[str, str]) -> SlackResponse:
        started = time.monotonic()
        retry = headers.get("X-Slack-Retry-Num")
        if headers["Content-Type"] == "application/json":
            kind, payload = "events_api", json.loads(body)
        else:
            fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            if "payload" in fields:
                kind, payload = "interactive", json.loads(fields["payload"])
            else:
                kind, payload = "slash_commands", fields
        ack = self.server.deliver(
            kind,
            payload,
            retry_attempt=int(retry or 0),
            retry_reason=headers.get("X-Slack-Retry-Reason", ""),
        )
        self.acks.append(ack)
        assert set(ack) <= {"envelope_id", "payload"}, ack
        answer = ack.get("payload")
        text = json.dumps(answer) if answer is not None else ""
        return SlackResponse(200, {}, text, answer, time.monotonic() - started)


@dataclass
class SocketBot:
    slack: SlackApi
    server: SocketModeServer
    sender: SocketSender
    process: subprocess.Popen[bytes]
    output: Path
    engine: Engine
    """The bot's own database, read after it answered."""


def bot_env(slack: SlackApi, folder: Path) -> dict[str, str]:
    return base_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=slack.api_url,
        LICENSEBOT_SUPER_ADMINS=SUPER,
        LICENSEBOT_BILLING_CHANNEL="CBILLING",
        LICENSEBOT_APPROVALS_CHANNEL="CAPPROVALS",
        LICENSEBOT_DOMAIN="acme.example",
        DATABASE_URL=f"sqlite:///{folder / 'socket.sqlite3'}",
    )


def start(slack: SlackApi, folder: Path) -> tuple[subprocess.Popen[bytes], Path]:
    output = folder / "licensebot.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--no-scheduler"],
            env=bot_env(slack, folder),
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return process, output


@pytest.fixture(scope="module")
def socket_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SocketBot]:
    """One bot process for the module's tests (it takes a couple of seconds to start), on a
    stand-in of its own; each test counts what it adds to the stand-in's records."""
    folder = tmp_path_factory.mktemp("socket-mode")
    with SlackApi(USERS) as slack, SocketModeServer() as server:
        slack.socket_mode = server.issue_url
        process, output = start(slack, folder)
        engine = make_engine(f"sqlite:///{folder / 'socket.sqlite3'}")
        try:
            deadline = time.monotonic() + STARTUP
            while not server.links and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.links, f"the bot never connected:\n{output.read_text()}"
            yield SocketBot(slack, server, SocketSender(server, slack), process, output, engine)
        finally:
            process.send_signal(signal.SIGTERM)
            # Slack closes a connection its client leaves: the client's reader, blocked on
            # the socket, then lets go at once.
            for link in server.links:
                if not link.closed.is_set():
                    link.connection.close(1000)
            code = process.wait(timeout=20)
            engine.dispose()
        log = output.read_text(errors="replace")
        assert code == 0, log
        assert BOT_TOKEN not in log and APP_TOKEN not in log and SECRET not in log
        assert "Traceback" not in log and " ERROR " not in log, log
        assert all(not link.other for link in server.links), "frames that were not acks"


# ---- one connection ------------------------------------------------------------------------


def test_a_command_a_button_an_event_and_view_submissions_are_answered_over_the_socket(
    socket_bot: SocketBot,
) -> None:
    slack, sender, engine = socket_bot.slack, socket_bot.sender, socket_bot.engine
    opened = [call for call in slack.calls if call.method == "apps.connections.open"]
    assert opened and all(
        call.headers["authorization"] == f"Bearer {APP_TOKEN}" for call in opened
    ), "Socket Mode is opened with the app-level token"
    published_before = len(slack.calls_to("views.publish"))
    opened_before = len(slack.calls_to("views.open"))
    acks_before = len(sender.acks)

    # an event: the Home tab is published
    home_event = {"type": "app_home_opened", "user": SUPER, "channel": "D1", "tab": "home"}
    assert sender.event(home_event).json is None
    published = slack.wait_for_call("views.publish", count=published_before + 1)[-1]
    home = as_json(published["view"])
    assert published["user_id"] == SUPER and home["type"] == "home"

    # a button of that Home tab opens its form
    answer = sender.block_action(
        SUPER,
        "open:signup",
        block_id="home-actions",
        view={**home, "id": "VHOME"},
        trigger_id="7.1.t",
    )
    assert answer.json is None, "a click is acknowledged with nothing more"
    shown = slack.wait_for_call("views.open", count=opened_before + 1)[-1]
    assert shown["trigger_id"] == "7.1.t"
    assert as_json(shown["view"])["callback_id"] == "signup"

    # a command: answered on its response_url
    assert sender.command(SUPER, "status", response_url=slack.response_url("status")).json is None
    (status,) = slack.wait_for_response("status")
    assert status["response_type"] == "ephemeral" and status["blocks"]

    # a view submission with a wrong field: its errors are in the ack
    form_id = new_view_id()
    wrong = sender.view_submission(
        SUPER,
        {
            "id": form_id,
            "callback_id": "signup",
            "state": state({b: {"value": e} for b, e in signup_values(licences="0").items()}),
        },
    )
    assert wrong.json is not None and wrong.json["response_action"] == "errors", wrong.json
    assert list(wrong.json["errors"]) == ["licences"]
    assert rows(engine, "SELECT key FROM subscriptions") == []

    # the same form filled in well: the confirmation is pushed in the ack; confirming it
    # subscribes, and the row is in the bot's database
    filled = sender.view_submission(
        SUPER,
        {
            "id": form_id,
            "callback_id": "signup",
            "state": state({b: {"value": e} for b, e in signup_values(licences="25").items()}),
        },
    )
    assert filled.json is not None and filled.json["response_action"] == "push", filled.json
    confirmation = filled.json["view"]
    assert confirmation["callback_id"] == "confirm"
    assert "Free trial until" in view_text(confirmation)
    done = sender.view_submission(
        SUPER,
        {
            "id": new_view_id(),
            "root_view_id": form_id,
            "previous_view_id": form_id,
            "callback_id": "confirm",
            "private_metadata": confirmation["private_metadata"],
        },
    )
    assert "Done: Subscribe to Chrome Enterprise Upgrade" in result_text(done)
    assert [tuple(r) for r in rows(engine, "SELECT key, status FROM subscriptions")] == [
        ("chrome", "trial")
    ]
    assert ("slack:USUPER", "signup", "chrome") in audit_actions(engine)
    acks = sender.acks[acks_before:]
    assert len(acks) == 6 and len({ack["envelope_id"] for ack in acks}) == 6


# ---- connections replaced ------------------------------------------------------------------


def test_connections_slack_replaces_or_closes_are_followed_by_new_ones_that_serve(
    socket_bot: SocketBot,
) -> None:
    """Slack refreshes connections with a `disconnect` message (then closes the old one once
    the new one is open), or closes one without a word (a deploy on its side). Either way
    the bot opens a new URL (a ticket works once) and must be reachable again well within
    the 3 s Slack waits for an ack."""
    slack, server = socket_bot.slack, socket_bot.server
    opened = len(slack.calls_to("apps.connections.open"))
    links = len(server.links)
    old = server.current
    server.disconnect("refresh_requested", old)
    new = server.wait_for_link(links + 1)
    server.close(old)
    assert new.ticket != old.ticket
    help_answers(socket_bot, "after-refresh")
    for count in (links + 2, links + 3):
        closed_at = time.monotonic()
        server.close()
        server.wait_for_link(count, timeout=3.0)
        assert time.monotonic() - closed_at < 3.0, "not reconnected in time"
        help_answers(socket_bot, f"after-close-{count}")
    assert len(slack.calls_to("apps.connections.open")) == opened + 3, "a new URL each time"
    assert not server.refused
    assert all(link.closed.is_set() for link in server.links[:-1])


def help_answers(bot: SocketBot, name: str) -> None:
    """`/license help` over the current connection: acked, and answered on its response_url."""
    link = bot.server.current
    answer = bot.sender.command(SUPER, "help", response_url=bot.slack.response_url(name))
    assert answer.json is None and link.acks.empty()
    assert "/license buy chrome 25" in str(bot.slack.wait_for_response(name)[-1]["blocks"])


# ---- refused -------------------------------------------------------------------------------


def test_an_app_token_slack_refuses_is_one_line_with_exit_2(tmp_path: Path) -> None:
    slack = SlackApi(USERS).start()
    slack.socket_mode = lambda: "ws://127.0.0.1:9/never"
    slack.fail("apps.connections.open", error="invalid_auth")
    process, output = start(slack, tmp_path)
    try:
        code = process.wait(timeout=STARTUP)
    finally:
        if process.poll() is None:
            process.kill()
        slack.stop()
    log = output.read_text()
    assert code == 2, log
    assert "Traceback" not in log, log
    last = log.strip().splitlines()[-1]
    assert last == (
        "licensebot: Slack refused the app-level token or could not be reached (invalid_auth)"
    )
    assert APP_TOKEN not in log and BOT_TOKEN not in log


def test_the_stand_in_opens_socket_mode_for_app_level_tokens_only(slack: SlackApi) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    with SocketModeServer() as server:
        slack.socket_mode = server.issue_url
        client = WebClient(base_url=slack.api_url)
        url = client.apps_connections_open(app_token=APP_TOKEN)["url"]
        assert url.startswith(f"ws://127.0.0.1:{server.port}/link/?ticket=")
        with pytest.raises(SlackApiError, match="not_allowed_token_type"):
            client.apps_connections_open(app_token=BOT_TOKEN)
