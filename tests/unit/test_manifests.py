"""The two Slack app manifests ask for what the bot uses: the scopes its install flow asks
for, the events it listens to, and (distributed) the install redirect and org-wide installs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.installs import SCOPES

ROOT = Path(__file__).resolve().parents[2]
EVENTS = {"app_home_opened", "user_change", "message.im"}


def manifest(name: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return found


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.distributed.yml"])
def test_each_manifest_asks_for_the_scopes_the_install_flow_asks_for(name: str) -> None:
    assert manifest(name)["oauth_config"]["scopes"]["bot"] == list(SCOPES)


def test_the_single_workspace_manifest_is_socket_mode_with_the_bot_events() -> None:
    settings = manifest("manifest.yml")["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == EVENTS
    assert settings["socket_mode_enabled"] is True
    assert settings["org_deploy_enabled"] is False


def test_the_distributed_manifest_installs_through_oauth_org_wide_too() -> None:
    found = manifest("manifest.distributed.yml")
    settings = found["settings"]
    events = set(settings["event_subscriptions"]["bot_events"])
    assert events == EVENTS | {"app_uninstalled", "tokens_revoked"}
    assert settings["org_deploy_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    [redirect] = found["oauth_config"]["redirect_urls"]
    assert redirect.endswith("/slack/oauth_redirect")
