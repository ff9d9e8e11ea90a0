"""`licensebot run` and `licensebot scheduler`: start-up, migrations, serving, shutdown."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING

from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import build_app, processor_routes, services, store_for, web_client
from bot.config import Settings
from bot.logs import configure
from handlers.request_messages import announce
from services.context import Services
from services.workspaces import InstalledWorkspaces
from storage.db import make_engine
from storage.migrate import upgrade
from storage.store import SqlStore

log = logging.getLogger("licensebot")


def _prepare(settings: Settings) -> Engine:
    secrets = tuple(
        s.get_secret_value()
        for s in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.slack_client_secret,
        )
        if s
    )
    configure(secrets=secrets)
    engine = make_engine(settings.database_url)
    upgrade(engine=engine)  # applied at start; idempotent
    return engine


def finish_interrupted_approvals(found: Services) -> None:
    """Requests an older release approved but stopped before applying are applied now, and
    announced like any decision."""
    for approval in found.approvals.finish_interrupted(found.clock()):
        client = _client_of(found, approval.customer_id)
        if client is None:
            log.info("request %s applied; its workspace is uninstalled", approval.id)
            continue
        try:
            announce(found, client, approval)
        except (SlackApiError, OSError) as error:
            log.warning("request %s applied; could not announce it: %s", approval.id, error)


def _client_of(found: Services, customer_id: int) -> WebClient | None:
    """The bot's client, or in OAuth mode the customer's own installation's (the bot has
    no token of its own there); None while that workspace is uninstalled."""
    workspaces = found.workspaces
    if isinstance(workspaces, InstalledWorkspaces):
        return workspaces.client_for(customer_id)
    return found.directory.client


def _start_scheduler(settings: Settings, found: Services, store: SqlStore) -> BackgroundScheduler:
    from scheduler.service import start_scheduler

    return start_scheduler(found, store, web_client(settings, retries=False))


PING_SECONDS = 2.0
"""How often the Socket Mode client pings Slack and checks its connection. A connection
Slack closes without a `disconnect` message first is only replaced at the next check (the
client's own reconnect on a close frame finds the old socket still open and does nothing):
at Bolt's default of 10 s the bot would be unreachable for up to that long."""


def _connect(app: App, settings: Settings) -> SocketModeHandler | None:
    """Socket Mode: the client asks apps.connections.open, on the bot's Web API base URL,
    where to connect, with the app-level token. A token Slack refuses is said in one line
    (None); a WebSocket that cannot be opened yet is retried by the client, and said so."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert settings.slack_app_token is not None
    handler = SocketModeHandler(
        app, settings.slack_app_token.get_secret_value(), ping_interval=PING_SECONDS
    )
    try:
        handler.connect()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
    except (SlackApiError, OSError) as error:  # OSError: Slack unreachable
        handler.close()  # type: ignore[no-untyped-call]
        print(
            "licensebot: Slack refused the app-level token or could not be reached"
            f" ({_reason(error)})",
            file=sys.stderr,
        )
        return None
    if handler.client.is_connected():
        log.info("licensebot connected in Socket Mode")
    else:
        log.warning("licensebot could not open its Socket Mode connection yet; retrying")
    return handler


def _reason(error: Exception) -> str:
    """Slack's error code (invalid_auth, say), or the kind of network failure."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or type(error).__name__)
    return type(error).__name__


def ask_for_reentry(settings: Settings, found: Services) -> None:
    """With a processor that cannot take over the cards saved before it (Stripe), each is
    asked for once, by an alert, on the hosted page (SPEC "Payments through a processor" 2);
    in the sandbox they keep working and nothing is asked."""
    if settings.payments != "sandbox" and found.card_entry is not None:
        asked = found.card_entry.ask_for_reentry(found.clock())
        if asked:
            log.info("asked for %s card(s) to be entered again on the hosted page", asked)


def run(settings: Settings, *, http: bool, port: int, scheduler: bool) -> int:
    store = store_for(settings, _prepare(settings))
    found = services(settings, store, base_url=settings.public_url or f"http://localhost:{port}")
    try:
        app = build_app(settings, found)
    except (BoltError, SlackApiError, OSError) as error:  # OSError: Slack unreachable
        print(
            f"licensebot: Slack refused the bot token or could not be reached ({type(error).__name__})",
            file=sys.stderr,
        )
        return 2
    finish_interrupted_approvals(found)
    ask_for_reentry(settings, found)
    clock = _start_scheduler(settings, found, store) if scheduler else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if http:
            from bot.server import serve

            secret = settings.slack_signing_secret.get_secret_value()
            routes = processor_routes(settings, store, found)
            server = serve(app, store.engine, secret, port, routes=routes).start()
            paths = ", ".join(["POST /slack/events", *(f"{p}" for p in routes), "GET /healthz"])
            log.info("licensebot listening on :%s (%s)", port, paths)
            stop.wait()
            server.stop()  # requests under way finish; the answers after them below
        else:
            handler = _connect(app, settings)
            if handler is None:
                return 2
            stop.wait()
            handler.close()  # type: ignore[no-untyped-call]
    except KeyboardInterrupt:
        pass
    finally:
        if clock is not None:
            clock.shutdown(wait=False)
        app.listener_runner.listener_executor.shutdown(wait=True)  # answers under way finish
    return 0


def run_scheduler(settings: Settings) -> int:
    store = store_for(settings, _prepare(settings))
    found = services(settings, store)
    finish_interrupted_approvals(found)
    clock = _start_scheduler(settings, found, store)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    clock.shutdown(wait=False)
    return 0
