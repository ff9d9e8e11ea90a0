"""An installation's set-up (OAuth mode): the welcome its first super-admin gets in a direct
message after the install, and the modal where super-admins choose the channels and who may
act (the same settings as `/license channels` and `/license admins`)."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from views.i18n import N_, t
from views.kit import (
    actions,
    button,
    channel_select,
    context,
    header,
    modal,
    people_select,
    section,
    select,
)

OPEN = "setup_open"
"""The action id of the welcome's button."""
CALLBACK = "workspace_setup"
"""The callback id of the set-up modal."""
BILLING, APPROVALS, LANGUAGE, SUPERS, ADMINS = (
    "billing",
    "approvals",
    "language",
    "super_admins",
    "admins",
)
TITLE = N_("Set up licensebot")
SAVED = N_("Saved. Billing alerts go to <#{billing}>, requests to approve to <#{approvals}>.")
LANGUAGES = (("en", "English"), ("fr", "français"))


def welcome(lang: str, workspace: str) -> tuple[str, list[Block]]:
    """What the first super-admin reads right after the install."""
    text = t(lang, "licensebot is installed in {workspace}.", workspace=workspace or "Slack")
    return text, [
        header(text),
        section(
            t(
                lang,
                "You are its first super-admin. Choose the channel for billing alerts and the one for requests to approve, and who else may act. Until then, alerts and requests come to you here.",
            )
        ),
        actions(button(t(lang, TITLE), OPEN, "", style="primary")),
        context(
            t(
                lang,
                "Or type `/license channels #billing #approvals` and `/license admins add @person`; `/license help` lists everything.",
            )
        ),
    ]


def setup_modal(
    lang: str,
    billing: str | None,
    approvals: str | None,
    language: str,
    supers: Sequence[str],
    admins: Sequence[str],
) -> View:
    """The settings as they are; a channel not yet chosen (alerts in a DM) starts empty."""
    blocks: list[Block] = [
        channel_select(BILLING, t(lang, "Billing alerts"), initial=_channel(billing)),
        channel_select(
            APPROVALS,
            t(lang, "Requests to approve"),
            initial=_channel(approvals),
            optional=True,
            hint=t(lang, "Empty: the billing alerts' channel."),
        ),
        select(LANGUAGE, t(lang, "Language in channels"), LANGUAGES, initial=language),
        people_select(SUPERS, t(lang, "Super-admins"), initial=supers),
        people_select(ADMINS, t(lang, "Admins"), initial=admins, optional=True),
        context(
            t(
                lang,
                "licensebot posts a note in each channel: invite it there first (`/invite @licensebot`).",
            )
        ),
    ]
    return modal(CALLBACK, t(lang, TITLE), blocks, submit=t(lang, "Save"), close=t(lang, "Cancel"))


def _channel(target: str | None) -> str | None:
    """A channel id, not the installer's DM that stands in for one."""
    return target if target and target[:1] in ("C", "G") else None
