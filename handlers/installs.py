"""OAuth mode: the app uninstalled from a workspace (or its bot token revoked) stops
delivery there and keeps the books (SPEC "Many workspaces" 4)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from handlers.wiring import services_of
from services.workspaces import InstalledWorkspaces

UNINSTALLS = ("app_uninstalled", "tokens_revoked")


def uninstalled(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """Only the installation the event was delivered to, and only when the event is about
    that workspace: one about another (a shared channel's) is not this one's to act on."""
    services = services_of(context)
    workspaces = services.workspaces
    if not isinstance(workspaces, InstalledWorkspaces):
        return
    if not context.is_enterprise_install and body.get("team_id") != context.team_id:
        return
    kind = str(event.get("type"))
    tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
    if kind == "tokens_revoked" and not (tokens or {}).get("bot"):
        return  # only user tokens: the bot still posts
    workspaces.uninstall(
        context.enterprise_id,
        context.team_id,
        bool(context.is_enterprise_install),
        kind,
        services.clock(),
    )
