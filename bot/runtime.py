"""`licensebot run` and `licensebot scheduler`: start-up, migrations, serving, shutdown."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.app import build_app, services
from bot.config import Settings
from bot.logs import configure
from storage.db import make_engine
from storage.migrate import upgrade

log = logging.getLogger("licensebot")


def _prepare(settings: Settings) -> Engine:
    secrets = tuple(
        s.get_secret_value()
        for s in (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token)
        if s
    )
    configure(secrets=secrets)
    engine = make_engine(settings.database_url)
    upgrade(engine=engine)  # applied at start; idempotent
    return engine


def run(settings: Settings, *, http: bool, port: int, scheduler: bool) -> int:
    engine = _prepare(settings)
    deps = services(settings, engine)
    try:
        app = build_app(deps)
    except (BoltError, SlackApiError) as error:
        print(
            f"licensebot: Slack refused the bot token or could not be reached ({type(error).__name__})",
            file=sys.stderr,
        )
        return 2
    clock = None
    if scheduler:
        from scheduler.service import start_scheduler

        clock = start_scheduler(deps)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if http:
            from bot.server import serve

            server = serve(app, engine, port)
            log.info("licensebot listening on :%s (POST /slack/events, GET /healthz)", port)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            stop.wait()
            server.shutdown()
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            assert settings.slack_app_token is not None
            handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
            # slack_bolt leaves connect() and close() without annotations.
            handler.connect()  # type: ignore[no-untyped-call]
            log.info("licensebot connected in Socket Mode")
            stop.wait()
            handler.close()  # type: ignore[no-untyped-call]
    except KeyboardInterrupt:
        pass
    finally:
        if clock is not None:
            clock.shutdown(wait=False)
        deps.answers.shutdown(wait=True)  # let answers already under way reach Slack
    return 0


def run_scheduler(settings: Settings) -> int:
    from scheduler.service import start_scheduler

    engine = _prepare(settings)
    deps = services(settings, engine)
    clock = start_scheduler(deps)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    clock.shutdown(wait=False)
    return 0
