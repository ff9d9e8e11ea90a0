"""`/license admins` and `/license channels`: in OAuth mode a workspace's super-admins say
who may act and where alerts and requests go, from Slack (SPEC "Many workspaces" 2); in
single-workspace mode both are the environment's and are only shown."""

from __future__ import annotations

import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from handlers.commands import Request, person
from services.context import Asker
from services.people import Role
from services.workspaces import InstalledWorkspaces
from views import replies
from views import workspace_setup as view
from views.i18n import N_, t

MENTION = re.compile(r"^<@([UW][A-Z0-9]{1,20})(?:\|[^<>]{0,80})?>$")
CHANNEL = re.compile(r"^<#([CG][A-Z0-9]{1,20})(?:\|[^<>]{0,80})?>$")
ADMINS_USAGE = "`/license admins add @person [super]` or `/license admins remove @person`"
CHANNELS_USAGE = "`/license channels #billing [#approvals] [en|fr]`"
NOT_A_MEMBER = N_("<@{user}> is not a member of this workspace.")
CANNOT_POST = N_(
    "licensebot cannot post in <#{channel}>: invite it there first (`/invite @licensebot`)."
)
ONE_SUPER = N_("A workspace keeps at least one super-admin.")
ONLY_SUPERS = N_("Only a super-admin can change who may act and where alerts go.")
SINGLE = N_("This bot serves one workspace: its admins and channels are set by its operator.")
BILLING_NOTE = N_("<@{user}> chose this channel for licensebot's billing alerts.")
APPROVALS_NOTE = N_("<@{user}> chose this channel for licensebot's approval requests.")


def admins(r: Request) -> None:
    """The list; `add @person [super]` and `remove @person` change it."""
    if not r.args:
        _show_admins(r)
        return
    change = _admin_change(r)
    if change is None:
        r.usage(t(r.lang, "To change who may act: {usage}.", usage=ADMINS_USAGE))
        return
    workspaces = _settable(r)
    if workspaces is None:
        return
    verb, user, role = change
    if verb == "add" and not person(r, user).member:
        r.refuse(t(r.lang, NOT_A_MEMBER, user=user))
        return
    settings = workspaces.settings_for(r.asker.customer_id)
    supers = tuple(u for u in settings.super_admins if u != user)
    others = tuple(u for u in settings.admins if u != user)
    if verb == "add" and role is Role.SUPER_ADMIN:
        supers = (*supers, user)
    elif verb == "add":
        others = (*others, user)
    if not supers:
        r.refuse(t(r.lang, ONE_SUPER))
        return
    workspaces.set_admins(r.asker.customer_id, supers, others, r.asker.actor, r.services.clock())
    _show_admins(r)


def _admin_change(r: Request) -> tuple[str, str, Role] | None:
    words = r.args
    if len(words) not in (2, 3) or words[0].lower() not in ("add", "remove"):
        return None
    mention = MENTION.match(words[1])
    if mention is None:
        return None
    if len(words) == 3 and (words[0].lower() != "add" or words[2].lower() != "super"):
        return None
    role = Role.SUPER_ADMIN if len(words) == 3 else Role.ADMIN
    return words[0].lower(), mention.group(1), role


def _show_admins(r: Request) -> None:
    directory = r.services.directory
    settings = r.services.workspaces.settings_for(r.asker.customer_id)
    supers = [
        (user, directory.role(person(r, user), settings.super_admins) is Role.SUPER_ADMIN)
        for user in settings.super_admins
    ]
    r.reply(replies.admins_blocks(r.lang, supers, settings.admins))


def channels(r: Request) -> None:
    """Where alerts and requests go; `#billing [#approvals] [en|fr]` sets them."""
    settings = r.services.workspaces.settings_for(r.asker.customer_id)
    if not r.args:
        r.reply(
            replies.channels_blocks(
                r.lang,
                settings.billing_channel,
                settings.approvals_channel,
                settings.channel_language,
            )
        )
        return
    wanted = _channels(r.args)
    if wanted is None:
        r.usage(t(r.lang, "To set the channels: {usage}.", usage=CHANNELS_USAGE))
        return
    workspaces = _settable(r)
    if workspaces is None:
        return
    billing, approvals, language = wanted
    unreachable = unreachable_channel(r.client, r.asker.person.id, billing, approvals, language)
    if unreachable is not None:
        r.refuse(t(r.lang, CANNOT_POST, channel=unreachable))
        return
    workspaces.set_channels(
        r.asker.customer_id, billing, approvals, language, r.asker.actor, r.services.clock()
    )
    r.reply(replies.channels_blocks(r.lang, billing, approvals or billing, language))


def _channels(words: list[str]) -> tuple[str, str | None, str] | None:
    found = [CHANNEL.match(word) for word in words]
    ids = [match.group(1) for match in found if match is not None]
    rest = [word.lower() for word, match in zip(words, found, strict=True) if match is None]
    if not 1 <= len(ids) <= 2 or len(rest) > 1 or (rest and rest[0] not in ("en", "fr")):
        return None
    if found[: len(ids)] != [match for match in found if match is not None]:
        return None  # the language comes last
    return ids[0], ids[1] if len(ids) == 2 else None, rest[0] if rest else "en"


def unreachable_channel(
    client: WebClient, chooser: str, billing: str, approvals: str | None, language: str
) -> str | None:
    """The first of the channels the bot cannot post in, asked by posting there what it will
    post (Slack refuses a channel of another workspace, or one the bot is not in)."""
    for channel, what in ((billing, BILLING_NOTE), (approvals, APPROVALS_NOTE)):
        if channel is None:
            continue
        text = t(language, what, user=chooser)
        try:
            client.chat_postMessage(channel=channel, text=text)
        except SlackApiError:
            return channel
    return None


def _settable(r: Request) -> InstalledWorkspaces | None:
    """The installation's settings, when this asker may change them."""
    workspaces = r.services.workspaces
    if not isinstance(workspaces, InstalledWorkspaces):
        r.refuse(t(r.lang, SINGLE))
        return None
    if r.asker.role is not Role.SUPER_ADMIN:
        r.refuse(t(r.lang, ONLY_SUPERS))
        return None
    return workspaces


def setup(r: Request) -> None:
    """`/license setup`: the set-up modal, as the welcome's button opens it."""
    if r.args:
        r.usage(t(r.lang, "To set up licensebot: {usage}.", usage="`/license setup`"))
        return
    workspaces = _settable(r)
    if workspaces is not None:
        r.open(setup_view(workspaces, r.asker))


def setup_view(workspaces: InstalledWorkspaces, asker: Asker) -> View:
    settings = workspaces.settings_for(asker.customer_id)
    return view.setup_modal(
        asker.lang,
        settings.billing_channel,
        settings.approvals_channel,
        settings.channel_language,
        settings.super_admins,
        settings.admins,
    )
