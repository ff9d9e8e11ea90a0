"""HTTP mode: one URL for commands, interactivity and events, and a health check.

A threaded WSGI server from the standard library: each request gets a thread, Bolt
acknowledges from it at once and runs the answer after the ack as a lazy listener.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text

EVENTS_PATH = "/slack/events"
log = logging.getLogger(__name__)


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def application(app: App, engine: Engine) -> Callable[..., Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                status, body = "200 OK", b"ok\n"
            except Exception:  # the load balancer only needs to know
                status, body = "503 Service Unavailable", b"database unavailable\n"
            start_response(
                status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return slack(environ, start_response)

    return wsgi


def serve(app: App, engine: Engine, port: int, host: str = "0.0.0.0") -> ThreadingServer:
    server = make_server(
        host,
        port,
        application(app, engine),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    assert isinstance(server, ThreadingServer)
    return server
