"""The set-up modal (OAuth mode): opened from the welcome's button or `/license setup`, saved
as `/license channels` and `/license admins` would save it, checked the same way (members
of this workspace only, channels the bot can post in, at least one super-admin)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.errors import answered
from handlers.payloads import Interaction, parse
from handlers.wiring import asker_of, services_of
from handlers.workspace_setup import (
    CANNOT_POST,
    NOT_A_MEMBER,
    ONE_SUPER,
    ONLY_SUPERS,
    SINGLE,
    setup_view,
    unreachable_channel,
)
from services.context import Asker, Services
from services.people import Role
from services.workspaces import InstalledWorkspaces, Workspaces
from views import forms
from views import workspace_setup as view
from views.i18n import t
from views.kit import VALUE

CHANNEL = re.compile(r"^[CG][A-Z0-9]{1,20}$")
USER = re.compile(r"^[UW][A-Z0-9]{1,20}$")


@answered
def open_setup(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    interaction: Interaction | None = parse(Interaction, body)
    services, asker = services_of(context), asker_of(context)
    if interaction is None or not interaction.trigger_id or asker is None:
        return
    workspaces, refusal = _settable(services.workspaces, asker)
    if workspaces is None:
        shown = forms.result(asker.lang, "licensebot", refusal)
    else:
        shown = setup_view(workspaces, asker)
    client.views_open(trigger_id=interaction.trigger_id, view=shown.to_dict())


def submit_setup(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Checked and saved in the acknowledgement: a refusal goes on its field, as Slack shows
    a modal's errors only in answer to its submission."""
    services, asker = services_of(context), asker_of(context)
    if asker is None:
        ack()
        return
    lang = asker.lang
    workspaces, refusal = _settable(services.workspaces, asker)
    if workspaces is None:
        ack(response_action="errors", errors={view.SUPERS: refusal})
        return
    chosen = _chosen((body.get("view") or {}).get("state") or {})
    errors = _problems(services, client, asker, chosen)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    billing, approvals, language, supers, admins = chosen
    assert billing is not None
    at, actor = services.clock(), asker.actor
    workspaces.set_channels(asker.customer_id, billing, approvals, language, actor, at)
    workspaces.set_admins(asker.customer_id, tuple(supers), tuple(admins), actor, at)
    saved = t(lang, view.SAVED, billing=billing, approvals=approvals or billing)
    ack(response_action="update", view=forms.result(lang, t(lang, view.TITLE), saved).to_dict())


Chosen = tuple[str | None, str | None, str, list[str], list[str]]


def _chosen(state: dict[str, Any]) -> Chosen:
    """(billing, approvals, language, super-admins, admins) as the modal's state has them;
    whatever is not an id Slack would send is left out."""
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}

    def element(block: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(VALUE)
        return found if isinstance(found, dict) else {}

    def channel(block: str) -> str | None:
        found = element(block).get("selected_conversation")
        return found if isinstance(found, str) and CHANNEL.match(found) else None

    def people(block: str) -> list[str]:
        found = element(block).get("selected_users")
        users = found if isinstance(found, list) else []
        return list(dict.fromkeys(u for u in users if isinstance(u, str) and USER.match(u)))

    language = (element(view.LANGUAGE).get("selected_option") or {}).get("value")
    supers = people(view.SUPERS)
    admins = [u for u in people(view.ADMINS) if u not in supers]
    return (
        channel(view.BILLING),
        channel(view.APPROVALS),
        language if language in ("en", "fr") else "en",
        supers,
        admins,
    )


def _problems(
    services: Services, client: WebClient, asker: Asker, chosen: Chosen
) -> dict[str, str]:
    lang = asker.lang
    billing, approvals, language, supers, admins = chosen
    errors: dict[str, str] = {}
    if billing is None:
        errors[view.BILLING] = t(lang, "Choose a channel.")
    if not supers:
        errors[view.SUPERS] = t(lang, ONE_SUPER)
    for block, users in ((view.SUPERS, supers), (view.ADMINS, admins)):
        stranger = next(
            (u for u in users if not services.directory.person(u, client, asker.team_id).member),
            None,
        )
        if stranger is not None and block not in errors:
            errors[block] = t(lang, NOT_A_MEMBER, user=stranger)
    if errors or billing is None:
        return errors
    unreachable = unreachable_channel(client, asker.person.id, billing, approvals, language)
    if unreachable is not None:
        block = view.BILLING if unreachable == billing else view.APPROVALS
        errors[block] = t(lang, CANNOT_POST, channel=unreachable)
    return errors


def _settable(workspaces: Workspaces, asker: Asker) -> tuple[InstalledWorkspaces | None, str]:
    if not isinstance(workspaces, InstalledWorkspaces):
        return None, t(asker.lang, SINGLE)
    if asker.role is not Role.SUPER_ADMIN:
        return None, t(asker.lang, ONLY_SUPERS)
    return workspaces, ""
