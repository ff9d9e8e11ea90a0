"""The server of the sandbox's page and of the Slack stand-in: the standard library's threaded
WSGI server, quiet, which is enough for one person on a laptop and for tests. The bot itself
is served by bot.server, in the sandbox as in production."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger(__name__)


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class Served:
    """A WSGI app (the subclass, callable as one) served on a port of its own, from
    threads, until ``stop``; or as a context manager."""

    thread_name = "local-server"
    _base_url: str | None = None
    _server: ThreadingServer | None = None
    _thread: threading.Thread | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        raise NotImplementedError

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        if self._server is None:
            server = make_server(
                host, port, self, server_class=ThreadingServer, handler_class=QuietHandler
            )
            assert isinstance(server, ThreadingServer)
            self._server = server
            self._base_url = f"http://{host}:{server.server_port}"
            self.started(self._base_url)
            # polls for shutdown every 50 ms, so stop() is quick
            self._thread = threading.Thread(
                target=server.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
            )
            self._thread.start()
        return self

    def started(self, base_url: str) -> None:
        """Called once served at ``base_url``, before the first request."""

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
