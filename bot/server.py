"""HTTP mode: one URL for commands, interactivity and events, and a health check, served by
waitress.

waitress is a production WSGI server with no dependencies: connections are handled by one
event loop and only complete requests reach its worker threads, so a client that sends
headers and never a body holds a socket, not a thread, until the channel times out; a body
over the limit is refused with 413 before it is read. Gunicorn's model (forked workers)
would split the scheduler and the answer threads across processes, which this bot keeps in
one. Every Slack request passes the gate (bot.gate) before Bolt sees it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from bot.gate import BODY_LIMIT, WSGI, gate

EVENTS_PATH = "/slack/events"
HTTP_THREADS = 16
"""Threads that run requests: an ack is short, so few are needed however many connect."""
IDLE_SECONDS = 15
"""A connection silent this long (a request started and never finished) is closed."""
DRAIN_SECONDS = 10
"""On shutdown, how long requests under way may take to finish."""
log = logging.getLogger(__name__)
# waitress warns at every request queued while its threads are busy: under load, a line per
# request saying what the gate's "shed" lines and the benchmarks measure.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def application(
    app: App, engine: Engine, signing_secret: str, routes: Mapping[str, WSGI] | None = None
) -> Callable[..., Iterable[bytes]]:
    """Slack's one URL, the health check, the install pages in OAuth mode, and `routes`: the processor's webhook (which
    verifies its own caller's signature), the sandbox gateway's card page."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    slack = gate(bolt, signing_secret)
    others = dict(routes or {})
    flow = app.oauth_flow
    installs = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method == "GET":
            return _health(engine, start_response)
        if path == EVENTS_PATH:
            return slack(environ, start_response)
        if path in installs and method == "GET":  # OAuth mode: Bolt's install pages
            return bolt(environ, start_response)
        if path in others:
            return others[path](environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")])
        return [b""]

    return wsgi


def _health(engine: Engine, start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status, body = "200 OK", b"ok\n"
    except Exception:  # the load balancer only needs to know
        status, body = "503 Service Unavailable", b"database unavailable\n"
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class HttpServer:
    """A waitress server run on a thread of its own, stopped gracefully."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]], host: str, port: int) -> None:
        server = create_server(
            wsgi,
            host=host,
            port=port,
            threads=HTTP_THREADS,
            channel_timeout=IDLE_SECONDS,
            max_request_body_size=BODY_LIMIT,
            max_request_header_size=64 * 1024,
            connection_limit=2000,
            expose_tracebacks=False,
            ident="licensebot",
        )
        assert isinstance(server, BaseWSGIServer) and not isinstance(server, MultiSocketServer)
        self._server = server
        self.port = int(server.getsockname()[1])
        self._thread = threading.Thread(target=server.run, name="http", daemon=True)

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Take no new connection, let the requests under way finish, then close. Sockets
        are closed on the loop's own thread (through its trigger): closed from another one,
        the loop's select() would find a descriptor gone under it; and the listening socket
        stays open, unwatched, until then (closed with a connection still to accept in the
        same poll, waitress would close its trigger as if it had failed)."""
        server = self._server
        server.accepting = False  # no longer watched for connections: new ones wait, then go
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=DRAIN_SECONDS)
        channels: Any = vars(server).get("_map") or {}  # connections, the trigger, the server

        def close_everything() -> None:
            for channel in list(channels.values()):
                channel.close()  # with nothing left to watch, the loop ends

        trigger: Any = server.trigger  # waitress's own way into its loop's thread
        with contextlib.suppress(OSError):  # the loop has ended, its trigger closed with it
            trigger.pull_trigger(close_everything)
        self._thread.join(timeout=DRAIN_SECONDS)


def serve(
    app: App,
    engine: Engine,
    signing_secret: str,
    port: int,
    host: str = "0.0.0.0",
    routes: Mapping[str, WSGI] | None = None,
) -> HttpServer:
    return HttpServer(application(app, engine, signing_secret, routes), host, port)
