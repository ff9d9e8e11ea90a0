"""OAuth mode: Bolt's install flow (`/slack/install`, `/slack/oauth_redirect`) with
slack-sdk's SQLAlchemy stores in the bot's own database, and what an install makes: the
installation's customer, its first super-admin (SPEC "Many workspaces" 1-2)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from billing.tenancy import Installed
from bot.config import Settings
from services.context import Services
from services.workspaces import InstalledWorkspaces
from views.kit import dicts
from views.workspace_setup import welcome

log = logging.getLogger(__name__)
SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "users:read.email",
    "im:write",
    "files:write",
    "files:read",
    "im:history",
)
"""The bot scopes, as manifest.yml lists them."""
STATE_SECONDS = 600
AUTHORIZED_SECONDS = 300.0
"""How long Bolt's answer to "which bot is this request for" is kept per token."""
AUTHORIZED_LIMIT = 10_000


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    assert settings.slack_client_id is not None
    return RecentBots(client_id=settings.slack_client_id, engine=engine)


class RecentBots(SQLAlchemyInstallationStore):
    """slack-sdk's store, with the bot each request is authorised with kept in memory for a
    few seconds: Bolt reads it from the database before every ack.

    Only bots whose token does not rotate are kept (a rotating one carries a refresh token
    that is spent when used: it is always read afresh). Any write through this store (an
    install, a refreshed token, an uninstall) forgets them all at once; another replica's
    is seen within BOT_SECONDS, and a workspace's requests stop coming once Slack has
    uninstalled the app there."""

    BOT_SECONDS = 5.0

    def __init__(self, *, client_id: str, engine: Engine) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self._bots: dict[tuple[str | None, str | None], tuple[float, Bot]] = {}
        self._bots_lock = threading.Lock()

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = (enterprise_id, None if is_enterprise_install else team_id)
        now = time.monotonic()
        with self._bots_lock:
            kept = self._bots.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        bot = super().find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None and not bot.bot_refresh_token:
            with self._bots_lock:
                self._bots[key] = (now + self.BOT_SECONDS, bot)
        return bot

    def _forget(self) -> None:
        with self._bots_lock:
            self._bots.clear()

    def save(self, installation: Installation) -> None:
        self._forget()
        super().save(installation)
        self._forget()

    def save_bot(self, bot: Bot) -> None:
        self._forget()
        super().save_bot(bot)
        self._forget()

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self._forget()
        super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self._forget()

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self._forget()
        super().delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        self._forget()


def oauth_settings(
    settings: Settings, services: Services, store: SQLAlchemyInstallationStore, client: WebClient
) -> OAuthSettings:
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    workspaces = services.workspaces
    assert isinstance(workspaces, InstalledWorkspaces)

    def installed(args: SuccessArgs) -> BoltResponse:
        record_installation(services, workspaces, args.installation, client)
        return args.default.success(args)

    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(SCOPES),
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=store.engine
        ),
        callback_options=CallbackOptions(success=installed, failure=_failed),
    )


class RecentAuthorizations(MutableMapping[str, AuthorizeResult]):
    """Bolt's authorize results by bot token, each kept for a while and at most `limit`.

    Bolt finds the installation's bot in the database on every request, then asks Slack's
    auth.test who that token is: a round trip to Slack before every ack. Its own cache of
    the answers keeps every token it ever saw, forever (rotation mints new ones twice a
    day); this one forgets after `seconds`, so a request costs one database read. The
    database read still comes first: an uninstalled workspace's tokens are gone from the
    store, so a cached answer is never used for one."""

    def __init__(self, seconds: float = AUTHORIZED_SECONDS, limit: int = AUTHORIZED_LIMIT) -> None:
        self.seconds, self.limit = seconds, limit
        self._found: OrderedDict[str, tuple[float, AuthorizeResult]] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, token: str) -> AuthorizeResult:
        with self._lock:
            until, result = self._found[token]
            if until <= time.monotonic():
                del self._found[token]
                raise KeyError(token)
            return result

    def __contains__(self, token: object) -> bool:
        try:
            self[str(token)]
        except KeyError:
            return False
        return True

    def __setitem__(self, token: str, result: AuthorizeResult) -> None:
        with self._lock:
            self._found[token] = (time.monotonic() + self.seconds, result)
            self._found.move_to_end(token)
            while len(self._found) > self.limit:
                self._found.popitem(last=False)

    def __delitem__(self, token: str) -> None:
        with self._lock:
            del self._found[token]

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._found))

    def __len__(self) -> int:
        with self._lock:
            return len(self._found)


def authorization(
    settings: Settings, store: SQLAlchemyInstallationStore, client: WebClient
) -> InstallationStoreAuthorize:
    """Bolt's authorisation from the installations' store, bot tokens only, rotated when
    they are about to expire, with auth.test's answers kept a while (RecentAuthorizations)."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    found = InstallationStoreAuthorize(
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        logger=logging.getLogger("slack_bolt.App"),
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
    found.authorize_result_cache = RecentAuthorizations()  # type: ignore[assignment]
    return found


def _failed(args: Any) -> BoltResponse:
    log.warning("an install failed: %s", args.reason)
    response: BoltResponse = args.default.failure(args)
    return response


def record_installation(
    services: Services, workspaces: InstalledWorkspaces, found: Installation, client: WebClient
) -> int:
    """The customer of the installation Bolt has just stored: made on the first install, with
    the installer as first super-admin (the primary owner if the installer's is a consumer
    account); a reinstall resumes delivery and changes no role."""
    org = bool(found.is_enterprise_install)
    installed = Installed(
        team_id=None if org else found.team_id,
        enterprise_id=found.enterprise_id,
        org_install=org,
        name=str((found.enterprise_name if org else found.team_name) or ""),
        installer=found.user_id,
    )
    bot = WebClient(token=found.bot_token, base_url=client.base_url)
    person = services.directory.person(found.user_id, bot, installed.key)
    first, named = person.id, person
    if person.consumer_account or not person.email:
        first = _primary_owner(bot) or person.id
        if first != person.id:  # the organisation's domain is the owner's, not gmail.com
            named = services.directory.person(first, bot, installed.key)
    domain = (
        named.email.split("@")[-1].lower()
        if "@" in named.email and not named.consumer_account
        else f"{installed.key.lower()}.slack"
    )
    new = workspaces.installations.customer_of(installed.key) is None
    customer = workspaces.install(installed, domain, first, services.clock())
    log.info("installed in %s (customer %s)", installed.key, customer)
    if new:
        _welcome(
            bot, first, services.directory.person(first, bot, installed.key).language, installed
        )
    return customer


def _welcome(bot: WebClient, user: str, lang: str, installed: Installed) -> None:
    """The first super-admin's direct message: what to set up, and the button that opens the
    set-up modal. Best effort: the install stands without it."""
    text, blocks = welcome(lang, installed.name)
    try:
        bot.chat_postMessage(channel=user, text=text, blocks=dicts(blocks))
    except SlackApiError as error:
        log.warning("could not welcome %s: %s", user, error.response.get("error"))


def _primary_owner(client: WebClient) -> str | None:
    """The workspace's primary owner, read from users.list page by page."""
    cursor: str | None = None
    try:
        while True:
            page = client.users_list(limit=200, cursor=cursor)
            for member in page.get("members") or []:
                if member.get("is_primary_owner") and not member.get("deleted"):
                    return str(member["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
    except SlackApiError:
        return None
