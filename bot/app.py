"""Assembling the Slack app: configuration → database → services → Bolt listeners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine

from billing.service import Billing
from bot.config import Settings
from bot.context import Deps, system_clock
from bot.people import Directory
from handlers import approvals, commands, fallbacks, files, home, modals
from storage.approvals import Approvals
from storage.db import make_engine
from storage.store import SqlStore
from storage.workspace import Workspaces

SLACK_API = "https://slack.com/api/"


def web_client(settings: Settings) -> WebClient:
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url or SLACK_API,
    )
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def services(
    settings: Settings, engine: Engine | None = None, clock: Callable[[], datetime] = system_clock
) -> Deps:
    engine = engine or make_engine(settings.database_url)
    store = SqlStore(engine, workers=settings.batch_workers)
    client = web_client(settings)
    return Deps(
        settings=settings,
        store=store,
        billing=Billing(store, retry_after=timedelta(hours=settings.reactivation_hours)),
        directory=Directory(client, settings.super_admins, settings.admins),
        workspaces=Workspaces(store),
        approvals=Approvals(store),
        clock=clock,
    )


def build_app(deps: Deps) -> App:
    settings = deps.settings
    app = App(  # the token comes with the client
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=deps.directory.client,
        raise_error_for_unhandled_request=False,
    )
    commands.register(app, deps)
    modals.register(app, deps)
    approvals.register(app, deps)
    home.register(app, deps)
    files.register(app, deps)
    fallbacks.register(app, deps)
    return app
