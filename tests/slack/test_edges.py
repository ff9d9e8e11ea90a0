"""The HTTP edge, as an attacker or a broken client would use it: every malformed request is
refused with a 4xx and one short log line (never its body), never a 500; a signed request of
an unknown shape is acknowledged and dropped; a client that sends headers and no body holds
no thread; a body over the limit is refused before it is read."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.slack.bot import SECRET, SUPER, Running
from tests.slack.flows import snapshot

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
CARD = "4000056655665556"


@pytest.fixture
def log() -> Iterator[list[str]]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def signed(bot: Running, body: bytes, content_type: str) -> int:
    """Signed as Slack signs, over the bytes themselves (whatever they are)."""
    stamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }
    return bot.sender.raw(body, headers).status


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


MALFORMED = {
    "timestamp not a number": (
        b"command=%2Flicense",
        {"Content-Type": FORM, "X-Slack-Request-Timestamp": "12e4", "X-Slack-Signature": "v0=1"},
        401,
    ),
    "timestamp in other digits": (
        b"command=%2Flicense",
        # sent as UTF-8 bytes, as a client could: http.client writes header values as latin-1
        {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": "١٢٣".encode().decode("latin-1"),
            "X-Slack-Signature": "v0=1",
        },
        401,
    ),
    "no signature at all": (b"command=%2Flicense", {"Content-Type": FORM}, 401),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_unsigned_or_malformed_headers_are_refused_before_parsing(
    bot: Running, log: list[str], case: str
) -> None:
    body, headers, status = MALFORMED[case]
    assert bot.sender.raw(body, headers).status == status
    refused = [line for line in log if line.startswith("refused POST /slack/events")]
    assert len(refused) == 1 and len(refused[0]) < 200, log
    assert "command" not in refused[0], "the body is never logged"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"[1, 2]", JSON, 400),
        (b'"a string"', JSON, 400),
        (b"command=%2Flicense", JSON, 400),  # a form sent as JSON
        (b"\xff\xfe not utf-8", FORM, 400),
        (form(payload="{not json"), FORM, 400),
        (form(payload="[1]"), FORM, 400),
        (b"a=1&&&=&b", FORM, 400),
        (b"{}", "text/plain", 415),
    ],
)
def test_a_signed_body_that_is_not_what_it_says_is_a_4xx(
    bot: Running, log: list[str], body: bytes, content_type: str, status: int
) -> None:
    before = snapshot(bot.store.engine)
    assert signed(bot, body, content_type) == status
    assert snapshot(bot.store.engine) == before
    assert any(line.startswith("refused POST /slack/events") for line in log)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps({"type": "mystery"}).encode(), JSON),
        (json.dumps({"type": "event_callback"}).encode(), JSON),
        (
            json.dumps({"type": "event_callback", "event": {"type": "reaction_added"}}).encode(),
            JSON,
        ),
        (form(payload=json.dumps({"type": "workflow_step_edit", "user": {"id": SUPER}})), FORM),
        (form(payload=json.dumps({"type": "block_actions", "user": {"id": SUPER}})), FORM),
        (form(payload=json.dumps({"type": "view_submission", "user": {"id": SUPER}})), FORM),
        (
            form(
                payload=json.dumps({"type": "shortcut", "user": {"id": SUPER}, "callback_id": "x"})
            ),
            FORM,
        ),
        (form(command="/other", team_id="T1", user_id=SUPER, text="", trigger_id="t"), FORM),
        (form(hello="world"), FORM),
    ],
)
def test_a_signed_request_of_an_unknown_shape_is_acknowledged_and_changes_nothing(
    bot: Running, body: bytes, content_type: str
) -> None:
    before = snapshot(bot.store.engine)
    assert signed(bot, body, content_type) == 200
    assert snapshot(bot.store.engine) == before
    assert bot.errors == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(bot: Running) -> None:
    """Its length announced, the body is refused before a byte of it is read."""
    parts = urlsplit(bot.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
            + FORM.encode()
            + b"\r\nContent-Length: 2000000\r\n\r\n"
            + (CARD + " ").encode() * 10
        )
        status = conn.recv(200).split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 413"), status


def test_clients_that_never_send_their_body_hold_no_thread(bot: Running) -> None:
    """300 connections send their headers and stop: the bot still answers at once, and
    holds no thread for them (an event loop keeps them, and closes them when idle)."""
    parts = urlsplit(bot.url)
    threads = threading.active_count()
    stalled = []
    for _ in range(300):
        conn = socket.create_connection((parts.hostname, parts.port), timeout=5)
        conn.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
            + FORM.encode()
            + b"\r\nContent-Length: 5000\r\n\r\npart"
        )
        stalled.append(conn)
    try:
        started = time.monotonic()
        answer = bot.command(SUPER, "help")
        assert answer.status == 200 and time.monotonic() - started < 2
        assert threading.active_count() - threads < 20
    finally:
        for conn in stalled:
            conn.close()


def test_a_log_line_is_one_line_whatever_a_request_carries(bot: Running) -> None:
    """The lines the bot writes, through its own formatter: a forged newline stays escaped."""
    from bot.logs import OneLine

    record = logging.LogRecord("x", logging.INFO, "", 0, "refused %s", ("a\nb\x00c",), None)
    line = OneLine("%(message)s").format(record)
    assert "\n" not in line and "\x00" not in line and line == "refused a\\nb\\x00c"


def test_a_server_stops_cleanly_with_connections_open() -> None:
    """Stopping closes every socket on the loop's own thread: no 'Bad file descriptor' in
    it, however many connections are open, and the port is free again."""
    from bot.server import HttpServer

    def hello(environ: dict[str, object], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    def knock(port: int, into: list[socket.socket]) -> None:
        for _ in range(5):
            try:
                into.append(socket.create_connection(("127.0.0.1", port), timeout=1))
            except OSError:
                return

    failures: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)
    try:
        for _ in range(20):
            server = HttpServer(hello, "127.0.0.1", 0).start()
            idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
            idle[0].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert idle[0].recv(100).startswith(b"HTTP/1.1 200")
            late = threading.Thread(target=knock, args=(server.port, idle))  # during the stop
            late.start()
            server.stop()
            late.join()
            assert not server._thread.is_alive()
            for connection in idle:
                connection.close()
    finally:
        threading.excepthook = previous
    assert failures == []
