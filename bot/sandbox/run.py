"""Starting the sandbox: the pretend Slack, the real bot beside it, and a shared clock."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

from bot.app import build_app, processor_routes, services, web_client
from bot.config import Settings
from bot.gate import WSGI
from bot.sandbox.cast import APPROVALS, BILLING, CHANNELS, PEOPLE, SUPER_ADMINS, TEAM
from bot.sandbox.local_server import QuietHandler, ThreadingServer
from bot.sandbox.signing import SlackSender
from bot.sandbox.slack_api import SlackApi
from bot.sandbox.web import SandboxWeb
from bot.sandbox.workspace import Workspace
from bot.server import HttpServer, serve
from scheduler.delivery import Deliverer
from scheduler.runner import Runner
from scheduler.service import deliverer_for
from services.context import Services
from storage.db import make_engine
from storage.migrate import upgrade
from storage.store import SqlStore

log = logging.getLogger(__name__)


class SandboxClock:
    """The sandbox's now: it starts at the real time and only moves forward when asked."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = max(self._now, moment)


@dataclass
class Sandbox:
    url: str
    bot_url: str
    services: Services
    store: SqlStore
    slack: SlackApi
    clock: SandboxClock
    runner: Runner
    deliverer: Deliverer
    page: ThreadingServer
    bot_server: HttpServer
    stop_event: threading.Event

    def stop(self) -> None:
        self.stop_event.set()
        self.bot_server.stop()
        self.page.shutdown()
        self.page.server_close()

    def move_clock(self, moment: datetime) -> None:
        """Advance time: every job that falls due runs, and its alerts are delivered."""
        self.clock.set(moment)
        self.runner.run_until(self.clock())
        self.deliverer.sweep()


def _router(
    slack: SlackApi, web: SandboxWeb, pages: dict[str, WSGI]
) -> Callable[..., Iterable[bytes]]:
    """One server for all: the pretend Slack under its paths, the sandbox processor's pages
    (card entry, a payment's confirmation) at theirs, the page everywhere else."""

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if slack.serves(path):
            return slack(environ, start_response)
        if path in pages:
            return pages[path](environ, start_response)
        return web(environ, start_response)

    return route


def start_sandbox(
    port: int = 8080,
    database: Path | None = None,
    host: str = "127.0.0.1",
    now: datetime | None = None,
) -> Sandbox:
    clock = SandboxClock((now or datetime.now(UTC)).replace(second=0, microsecond=0))
    holder: dict[str, Any] = {}
    # strict: the page issues every trigger id and response_url, as Slack does
    slack = SlackApi(PEOPLE, team=TEAM, workspace=Workspace(channels=CHANNELS), strict=True)
    web = SandboxWeb(
        slack,
        clock,
        lambda: holder["after"](),
        lambda m: holder["sandbox"].move_clock(m),
    )
    pages: dict[str, WSGI] = {}  # once the bot's services exist
    server = make_server(
        host,
        port,
        _router(slack, web, pages),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    assert isinstance(server, ThreadingServer)
    url = f"http://{host}:{server.server_port}"
    slack.mount(url)
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()

    path = database or Path("licensebot-sandbox.sqlite3")
    secret = secrets.token_hex(16)
    environment: dict[str, Any] = {  # as `licensebot run` reads them
        "SLACK_BOT_TOKEN": "xoxb-sandbox-" + secrets.token_hex(8),
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{path}",
        "LICENSEBOT_SUPER_ADMINS": ",".join(SUPER_ADMINS),
        "LICENSEBOT_BILLING_CHANNEL": BILLING,
        "LICENSEBOT_APPROVALS_CHANNEL": APPROVALS,
        "LICENSEBOT_DOMAIN": "acme.example",
    }
    settings = Settings(**environment)
    engine = make_engine(settings.database_url)
    upgrade(engine=engine)
    store = SqlStore(engine, workers=0)
    found = services(settings, store, clock, base_url=url)
    pages.update(processor_routes(settings, store, found))
    app = build_app(settings, found)
    bot_server = serve(app, engine, secret, 0, host="127.0.0.1").start()
    bot_url = f"http://127.0.0.1:{bot_server.port}/slack/events"
    web.sender = SlackSender(bot_url, secret, team=TEAM)

    charges = found.billing.charges
    runner = Runner(
        store,
        origin=clock(),
        now=clock,
        settle=None if charges is None else lambda at: charges.run(at),
        retry_days=found.billing.retry_days,
    )
    deliverer = deliverer_for(found, store, web_client(settings, retries=False))
    stop = threading.Event()
    sandbox = Sandbox(
        url,
        bot_url,
        found,
        store,
        slack,
        clock,
        runner,
        deliverer,
        server,
        bot_server,
        stop,
    )
    holder["sandbox"] = sandbox
    holder["after"] = deliverer.sweep

    def deliver_in_background() -> None:
        while not stop.wait(0.5):
            try:
                runner.run_until(clock())
                deliverer.sweep()
            except Exception:
                log.exception("sandbox delivery failed")

    threading.Thread(target=deliver_in_background, daemon=True).start()
    return sandbox


def run_sandbox(port: int, database: Path | None) -> int:
    sandbox = start_sandbox(port, database)
    print(
        f"licensebot sandbox: open {sandbox.url}  (the bot answers on {sandbox.bot_url}; Ctrl-C stops)",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()
    return 0
