"""Configuration from the environment (pydantic-settings). Secrets are SecretStr: they
never appear in a repr, a log line or an error message."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.db import DEFAULT_URL

USER_ID = re.compile(r"^[UW][A-Z0-9]{1,20}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{1,20}$")


class ConfigError(Exception):
    """A missing or malformed setting, named in one line."""


class Settings(BaseSettings):
    """Build with `load_settings`, which also checks that one mode is configured."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", hide_input_in_errors=True)

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    """Single-workspace mode: the one workspace's bot token."""
    slack_client_id: str | None = Field(None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, validation_alias="SLACK_CLIENT_SECRET")
    """OAuth mode (both set): any workspace installs the bot at /slack/install."""
    slack_signing_secret: SecretStr = Field(validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    database_url: str = Field(DEFAULT_URL, validation_alias="DATABASE_URL", repr=False)
    slack_api_url: str | None = Field(None, validation_alias="SLACK_API_URL")
    super_admins: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias="LICENSEBOT_SUPER_ADMINS"
    )
    admins: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias="LICENSEBOT_ADMINS")
    billing_channel: str | None = Field(None, validation_alias="LICENSEBOT_BILLING_CHANNEL")
    approvals_channel: str | None = Field(None, validation_alias="LICENSEBOT_APPROVALS_CHANNEL")
    domain: str | None = Field(None, validation_alias="LICENSEBOT_DOMAIN")
    channel_language: str = Field("en", validation_alias="LICENSEBOT_CHANNEL_LANGUAGE")
    reactivation_hours: float = Field(
        4.0, gt=0, le=72, validation_alias="LICENSEBOT_REACTIVATION_HOURS"
    )
    batch_workers: int | None = Field(
        None, ge=0, le=64, validation_alias="LICENSEBOT_BATCH_WORKERS"
    )
    """Processes sharing the monthly invoice run on PostgreSQL (default: half the cores)."""
    payments: Literal["sandbox", "stripe"] = Field(
        "sandbox", validation_alias="LICENSEBOT_PAYMENTS"
    )
    """The payment gateway: the built-in sandbox (test cards) or Stripe."""
    stripe_api_key: SecretStr | None = Field(None, validation_alias="STRIPE_API_KEY")
    stripe_webhook_secret: SecretStr | None = Field(None, validation_alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str | None = Field(None, validation_alias="STRIPE_API_BASE")
    retry_days: Annotated[tuple[int, ...], NoDecode] = Field(
        (), validation_alias="LICENSEBOT_RETRY_DAYS"
    )
    """Days after its issue day an unpaid invoice is charged again (default: none)."""
    """Another Stripe-compatible server (a local one in tests)."""
    public_url: str | None = Field(None, validation_alias="LICENSEBOT_PUBLIC_URL")
    """The bot's HTTP server as browsers reach it (https://licensebot.example.com): with
    the sandbox gateway, its card page is served there (default: http://localhost:<port>)."""

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @property
    def oauth(self) -> bool:
        """Installed per workspace through OAuth, rather than serving one workspace."""
        return self.slack_client_id is not None

    @field_validator("super_admins", "admins", mode="before")
    @classmethod
    def _user_ids(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
        ids = tuple(item.strip() for item in items if item.strip())
        bad = [item for item in ids if not USER_ID.match(item)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a Slack user id (like U012ABCDEF)")
        return ids

    @field_validator("retry_days", mode="before")
    @classmethod
    def _retry_days(cls, value: object) -> tuple[int, ...]:
        return retry_days(value if isinstance(value, str) else ",".join(map(str, value or ())))  # type: ignore[call-overload]

    @field_validator("billing_channel", "approvals_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL_ID.match(value):
            raise ValueError("must be a Slack channel id (like C012ABCDEF)")
        return value

    @field_validator("channel_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in ("en", "fr"):
            raise ValueError("must be en or fr")
        return value


def retry_days(text: str) -> tuple[int, ...]:
    """LICENSEBOT_RETRY_DAYS ("1,3,5"): distinct days from 1 to 6, before the suspension on
    the 7th (SPEC "Payments through a processor" 6)."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not all(item.isdigit() and 1 <= int(item) <= 6 for item in items):
        raise ValueError("must be days after issue from 1 to 6, like 1,3,5")
    return tuple(sorted({int(item) for item in items}))


def load_settings(socket_mode: bool = False) -> Settings:
    """Settings from the environment, or ConfigError naming the first bad variable."""
    try:
        settings = Settings()  # type: ignore[call-arg]
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        name = _env_name(str(first["loc"][0]) if first["loc"] else "")
        problem = (
            "is missing"
            if first["type"] == "missing"
            else str(first["msg"]).removeprefix("Value error, ")
        )
        raise ConfigError(f"{name}: {problem}") from None
    _one_mode(settings)
    if settings.payments == "stripe":
        for name, value in (
            ("STRIPE_API_KEY", settings.stripe_api_key),
            ("STRIPE_WEBHOOK_SECRET", settings.stripe_webhook_secret),
        ):
            if value is None:
                raise ConfigError(f"{name}: is missing (LICENSEBOT_PAYMENTS=stripe needs it)")
    if socket_mode and settings.oauth:
        raise ConfigError(
            "SLACK_CLIENT_ID: OAuth mode serves its install pages over HTTP; use --http"
        )
    if socket_mode and settings.slack_app_token is None:
        raise ConfigError(
            "SLACK_APP_TOKEN: is missing (Socket Mode needs an app-level token; or use --http)"
        )
    return settings


def _one_mode(settings: Settings) -> None:
    """Single-workspace mode (SLACK_BOT_TOKEN and the workspace's channels) or OAuth mode
    (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET; each installation's settings are set from
    Slack): never both, never neither (SPEC "Many workspaces" 1)."""
    oauth = settings.slack_client_id is not None or settings.slack_client_secret is not None
    if oauth and settings.slack_bot_token is not None:
        raise ConfigError(
            "SLACK_BOT_TOKEN: set either it (one workspace) or SLACK_CLIENT_ID and"
            " SLACK_CLIENT_SECRET (installs through OAuth), not both"
        )
    if oauth:
        for name, value in (
            ("SLACK_CLIENT_ID", settings.slack_client_id),
            ("SLACK_CLIENT_SECRET", settings.slack_client_secret),
        ):
            if value is None:
                raise ConfigError(f"{name}: is missing (OAuth mode needs both)")
        for name, given in (
            ("LICENSEBOT_SUPER_ADMINS", settings.super_admins),
            ("LICENSEBOT_ADMINS", settings.admins),
            ("LICENSEBOT_BILLING_CHANNEL", settings.billing_channel),
            ("LICENSEBOT_APPROVALS_CHANNEL", settings.approvals_channel),
            ("LICENSEBOT_DOMAIN", settings.domain),
        ):
            if given:
                raise ConfigError(
                    f"{name}: not used in OAuth mode (each workspace sets it from Slack)"
                )
        return
    if settings.slack_bot_token is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN: is missing (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth)"
        )
    for name, value in (
        ("LICENSEBOT_BILLING_CHANNEL", settings.billing_channel),
        ("LICENSEBOT_APPROVALS_CHANNEL", settings.approvals_channel),
    ):
        if value is None:
            raise ConfigError(f"{name}: is missing")


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else field.upper()
