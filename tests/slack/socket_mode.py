"""Slack's side of Socket Mode, played on a local port, so `licensebot run` (Socket Mode) is
tested end to end without the internet.

Slack's part, as its Socket Mode documentation describes it: ``apps.connections.open``,
called with the app-level token, hands out a WebSocket URL carrying a one-time ticket (the
Web API stand-in asks ``issue_url`` for it); the client connects there and is greeted with
``hello``; each request then arrives as an envelope (``envelope_id``, ``type``, ``payload``,
``accepts_response_payload``, and for events ``retry_attempt``/``retry_reason``) and the app
answers each with an ack, ``{"envelope_id": ...}`` plus an optional ``payload`` (a view
submission's ``response_action``, say). Slack refreshes connections: it sends ``disconnect``
(reason ``warning``, then ``refresh_requested``) or simply closes the socket, and the client
must open a new URL and carry on.

The WebSocket protocol itself is the `websockets` library's (a test extra): a hand-made
server could share a framing mistake with slack-sdk's hand-made client and hide it.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

WAIT = 5.0
"""Seconds a test waits for the bot (to connect, to ack) before it fails."""


class SocketModeError(AssertionError):
    """The bot did not do what Slack waits for in time."""


@dataclass
class Link:
    """One WebSocket connection the bot opened, with what it sent on it."""

    ticket: str
    connection: ServerConnection
    acks: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    other: list[str] = field(default_factory=list)
    """Text frames that were not acks (there should be none)."""
    closed: threading.Event = field(default_factory=threading.Event)


class SocketModeServer:
    """Serves Socket Mode on 127.0.0.1; ``links`` are the connections in the order opened."""

    def __init__(self, app_id: str = "A0LICENSEBOT") -> None:
        self.app_id = app_id
        self._lock = threading.Lock()
        self._tickets: dict[str, bool] = {}  # issued ticket -> used
        self.links: list[Link] = []
        self.refused: list[str] = []
        """Why connection attempts were refused (an unknown or reused ticket)."""
        self._connected = threading.Condition(self._lock)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---- serving -----------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        self._server = serve(
            self._serve,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            close_timeout=1,
        )
        self.port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="socket-mode", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def issue_url(self) -> str:
        """What apps.connections.open answers: a URL whose ticket works once."""
        ticket = secrets.token_hex(8)
        with self._lock:
            self._tickets[ticket] = False
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = (parse_qs(urlparse(request.path).query).get("ticket") or [""])[0]
        with self._lock:
            used = self._tickets.get(ticket)
            if used is None or used:
                self.refused.append(f"{'reused' if used else 'unknown'} ticket {ticket!r}")
                return Response(401, "Unauthorized", Headers(), b"invalid ticket\n")
            self._tickets[ticket] = True
        return None

    def _serve(self, connection: ServerConnection) -> None:
        ticket = (parse_qs(urlparse(connection.request.path).query).get("ticket") or [""])[0]  # type: ignore[union-attr]
        link = Link(ticket, connection)
        with self._connected:
            self.links.append(link)
            number = len(self.links)
            self._connected.notify_all()
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {
                        "host": f"applink-local-{number}",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        try:
            for message in connection:
                text = message if isinstance(message, str) else message.decode()
                try:
                    sent = json.loads(text)
                except ValueError:
                    sent = None
                if isinstance(sent, dict) and "envelope_id" in sent:
                    link.acks.put(sent)
                else:
                    link.other.append(text)
        except ConnectionClosed:
            pass
        finally:
            link.closed.set()

    # ---- what a test does --------------------------------------------------------------

    def wait_for_link(self, count: int = 1, timeout: float = WAIT) -> Link:
        """The ``count``-th connection, once the bot has opened it."""
        with self._connected:
            if not self._connected.wait_for(lambda: len(self.links) >= count, timeout):
                raise SocketModeError(
                    f"the bot opened {len(self.links)} connection(s), not {count}; "
                    f"refused: {self.refused}"
                )
            return self.links[count - 1]

    @property
    def current(self) -> Link:
        with self._lock:
            if not self.links:
                raise SocketModeError("the bot has not connected")
            return self.links[-1]

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        link: Link | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = WAIT,
    ) -> dict[str, Any]:
        """Send one envelope of ``kind`` (slash_commands, interactive, events_api) and return
        the bot's ack to it. Envelopes are answered in any order, so acks to others wait."""
        link = link or self.current
        envelope_id = f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload(kind, payload),
        }
        if kind == "events_api":  # only events are retried by Slack, and say so
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        link.connection.send(json.dumps(envelope))
        return self._ack(link, envelope_id, timeout)

    def _ack(self, link: Link, envelope_id: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        others: list[dict[str, Any]] = []
        try:
            while True:
                left = deadline - time.monotonic()
                try:
                    ack = link.acks.get(timeout=max(left, 0.001))
                except queue.Empty:
                    raise SocketModeError(
                        f"no ack to envelope {envelope_id} within {timeout} s"
                    ) from None
                if ack.get("envelope_id") == envelope_id:
                    return ack
                others.append(ack)
        finally:
            for other in others:
                link.acks.put(other)

    def disconnect(self, reason: str, link: Link | None = None) -> None:
        """Slack's own way to ask for a new connection: ``warning``, ``refresh_requested``."""
        link = link or self.current
        link.connection.send(
            json.dumps(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-local"}}
            )
        )

    def close(self, link: Link | None = None, code: int = 1001) -> None:
        """Slack going away without a word: the socket is closed from its side."""
        link = link or self.current
        link.connection.close(code, "going away")


def accepts_response_payload(kind: str, payload: dict[str, Any]) -> bool:
    """Whether Slack reads a payload in the ack: commands and view submissions, as over HTTP
    (an answer to a command, a view submission's response_action); not clicks or events."""
    if kind == "slash_commands":
        return True
    return kind == "interactive" and payload.get("type") == "view_submission"
