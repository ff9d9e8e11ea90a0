"""Assembling the bot: configuration → database → services → Bolt listeners."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine

import handlers
from bot.config import Settings
from bot.gate import WSGI
from bot.installs import authorization, installation_store, oauth_settings
from bot.sandbox.card_page import AUTHENTICATE_PATH, AuthenticationPage, CardPage
from bot.sandbox.card_page import PATH as CARD_PATH
from bot.webhooks import PATH as WEBHOOK_PATH
from bot.webhooks import stripe_webhook
from handlers.answers import AnswerPool
from payments.sandbox import SandboxGateway
from payments.stripe_gateway import StripeGateway
from services.approvals import Approvals
from services.billing import Billing
from services.card_entry import CardEntry
from services.charging import Charger, sandbox_charger
from services.context import Services, system_clock
from services.people import Directory
from services.processor_events import ProcessorEvents
from services.workspaces import InstalledWorkspaces, Workspaces, WorkspaceSettings
from storage.card_entries import SqlCardEntries
from storage.charges import SqlChargeQueue
from storage.db import make_engine
from storage.store import SqlStore
from storage.workspaces import SqlWorkspaces

SLACK_API = "https://slack.com/api/"


def web_client(settings: Settings, retries: bool = True) -> WebClient:
    """The bot's Web API client; `retries` honours Slack's 429s in the SDK (the outbox
    schedules its own instead)."""
    token = settings.slack_bot_token
    client = WebClient(  # in OAuth mode, no token: each request brings its installation's
        token=token.get_secret_value() if token is not None else None,
        base_url=settings.slack_api_url or SLACK_API,
    )
    if retries:
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def workspace_settings(settings: Settings) -> WorkspaceSettings:
    return WorkspaceSettings(
        super_admins=settings.super_admins,
        admins=settings.admins,
        billing_channel=settings.billing_channel or "",
        approvals_channel=settings.approvals_channel or "",
        channel_language=settings.channel_language,
        domain=settings.domain,
    )


def store_for(settings: Settings, engine: Engine | None = None) -> SqlStore:
    engine = engine or make_engine(settings.database_url)
    return SqlStore(engine, workers=settings.batch_workers)


def charger_for(
    settings: Settings,
    store: SqlStore,
    clock: Callable[[], datetime] = system_clock,
    base_url: str = "",
) -> Charger:
    """The charge worker with the gateway the settings name (the sandbox by default);
    `base_url`: where the sandbox gateway's pages (the card page) are served."""
    if settings.payments == "stripe":
        assert settings.stripe_api_key is not None  # load_settings says so in one line
        gateway = StripeGateway(
            settings.stripe_api_key.get_secret_value(), api_base=settings.stripe_api_base
        )
        return Charger(store, SqlChargeQueue(store), gateway, clock)
    return sandbox_charger(store, clock, base_url)


def processor_routes(settings: Settings, store: SqlStore, found: Services) -> dict[str, WSGI]:
    """What the processor's side reaches over HTTP: Stripe's webhook endpoint, or the sandbox
    processor's own pages (card entry, a payment's confirmation)."""
    charges = found.billing.charges
    if charges is None:
        return {}
    gateway = charges.gateway
    events = ProcessorEvents(store, found.billing, gateway.name, found.card_entry)
    if isinstance(gateway, SandboxGateway):
        routes: dict[str, WSGI] = {
            AUTHENTICATE_PATH: AuthenticationPage(gateway, events, found.clock)
        }
        if found.card_entry is not None:
            routes[CARD_PATH] = CardPage(found.card_entry, found.clock)
        return routes
    if settings.stripe_webhook_secret is None:
        return {}
    secret = settings.stripe_webhook_secret.get_secret_value()
    cards = gateway if isinstance(gateway, StripeGateway) else None
    return {WEBHOOK_PATH: stripe_webhook(events, secret, cards, found.clock)}


def services(
    settings: Settings,
    store: SqlStore,
    clock: Callable[[], datetime] = system_clock,
    base_url: str | None = None,
) -> Services:
    """`base_url`: where the sandbox gateway's card page is served (the sandbox web app, or
    the bot's own HTTP server); LICENSEBOT_PUBLIC_URL when not given."""
    charger = charger_for(settings, store, clock, base_url or settings.public_url or "")
    billing = Billing(
        store,
        retry_after=timedelta(hours=settings.reactivation_hours),
        charges=charger,
        retry_days=settings.retry_days,
    )
    return Services(
        billing=billing,
        approvals=Approvals(store, store, billing),
        workspaces=workspaces_for(settings, store),
        directory=Directory(web_client(settings), settings.super_admins, settings.admins),
        reader=store,
        clock=clock,
        card_entry=CardEntry(billing, SqlCardEntries(store), charger, store),
        prices_by_operator=settings.oauth,  # SPEC "Many workspaces" 3
    )


def workspaces_for(settings: Settings, store: SqlStore) -> Workspaces:
    """One workspace from the environment, or one customer per OAuth installation."""
    if not settings.oauth:
        return Workspaces(store, store, workspace_settings(settings))
    tokens = installation_store(settings, store.engine)
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    rotator = TokenRotator(  # acts only on tokens stored with a refresh token (rotation on)
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        client=web_client(settings),
    )
    api = settings.slack_api_url or SLACK_API
    return InstalledWorkspaces(store, store, SqlWorkspaces(store), tokens, rotator, api)


class _SameToken(logging.Filter):
    """Bolt warns that it skips SLACK_BOT_TOKEN when a client is given: the client is built
    from that very token, so the warning says nothing at each start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.App").addFilter(_SameToken())


def build_app(settings: Settings, services: Services) -> App:
    answers = AnswerPool()
    client = services.directory.client
    oauth: dict[str, Any] = {}
    workspaces = services.workspaces
    if isinstance(workspaces, InstalledWorkspaces) and workspaces.tokens is not None:
        assert isinstance(workspaces.tokens, SQLAlchemyInstallationStore)
        oauth = {
            "installation_store": workspaces.tokens,
            "oauth_settings": oauth_settings(settings, services, workspaces.tokens, client),
            "authorize": authorization(settings, workspaces.tokens, client),
        }
    app = App(  # the token comes with the client (Bolt reads the same one from the environment)
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,
        raise_error_for_unhandled_request=False,
        process_before_response=True,  # acks on the request's thread; answers are lazy
        listener_executor=answers,
        **oauth,
    )
    handlers.register(app, services, answers)
    return app
