"""Seats from Slack: `/license seats`, `assign`, `release` and a member's `request`, the
Release and More buttons, and people who leave the workspace (`user_change`).

Holders are typed as Slack sends them with escaping on (`<@U…|name>`, `<mailto:…|…>`);
an e-mail of a workspace member is that member."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt import BoltContext, Respond
from slack_sdk.models.blocks import Block

from billing import commands as cmd
from billing.actors import Actor
from billing.model import Plan, Subscription
from handlers import seat_files
from handlers.commands import Request, _extra_words
from handlers.errors import answered
from handlers.modals import commit
from handlers.payloads import parse
from handlers.request_messages import post
from handlers.wiring import asker_of, event_asker, services_of
from services.context import Asker, Services
from services.people import Role
from views import seats as view
from views.i18n import N_, t
from views.kit import actions, button, dicts, escape, section
from views.openers import opener
from views.replies import NOT_ALLOWED

ASKED = N_("Asked for a licence of {subscription}: you will be told here once it is decided.")
SEAT_VALUE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,39})\|(.{1,300})$")
MORE_VALUE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,39})\|([0-9]{1,6})$")


def _subscription(r: Request, key: str) -> Subscription | None:
    """The asker's subscription of that name, or None once the usage says which there are."""
    found = _own(r.services, r.asker, key)
    if found is None:
        overview = r.services.billing.overview(r.asker.customer_id, r.services.clock())
        keys = ", ".join(sorted(s.key for s in overview.subscriptions)) or "—"
        r.usage(
            t(
                r.lang,
                "No subscription called “{key}” here. Yours: {keys}.",
                key=escape(key[:40]),
                keys=keys,
            )
        )
    return found


# ---- reads and orders typed as commands ----------------------------------------------


def seats(r: Request) -> None:
    """`/license seats` (used / held per subscription), `/license seats <subscription>`, or
    `/license seats export [subscription]` (a CSV in the asker's DM)."""
    if r.args and r.args[0].lower() == "export":
        if _extra_words(r, 2, "/license seats export chrome"):
            return
        key = r.args[1] if len(r.args) > 1 else None
        if key is None or _subscription(r, key) is not None:
            said = seat_files.export(r.services, r.client, r.asker, key)
            r.reply([section(said)], text=said)
        return
    if _extra_words(r, 1, "/license seats chrome"):
        return
    if not r.args:
        overview = r.services.billing.overview(r.asker.customer_id, r.services.clock())
        live = [s for s in overview.subscriptions if not s.ended]
        if len(live) == 1:
            r.reply(view.holders_blocks(r.lang, live[0]))
            return
        r.reply(view.summary_blocks(r.lang, overview.subscriptions))
        return
    sub = _subscription(r, r.args[0])
    if sub is not None:
        r.reply(view.holders_blocks(r.lang, sub))


def assign(r: Request) -> None:
    _seat_order(r, cmd.Assign, "/license assign chrome @ana bob@example.com device:SN123")


def release(r: Request) -> None:
    _seat_order(r, cmd.Release, "/license release chrome @ana")


def _seat_order(r: Request, command: type[cmd.Assign] | type[cmd.Release], example: str) -> None:
    typed = r.args
    if len(typed) < 2:
        r.usage(
            t(r.lang, "Name the subscription and the holders, e.g. `{example}`.", example=example)
        )
        return
    sub = _subscription(r, typed[0])
    if sub is None:
        return
    holders = [_member(r.services, holder) for holder in typed[1:]]
    try:
        order = command(subscription=sub.key, to=holders)
    except ValidationError as error:
        r.usage(refused_holders(r.lang, error))
        return
    shortfall = 0
    if isinstance(order, cmd.Assign) and sub.plan is Plan.ANNUAL:
        shortfall = max(0, sub.seats_used + len(order.to) - sub.licences)
    _place(r, order, f"slack-command:{r.command.trigger_id}", shortfall)


def refused_holders(lang: str, error: ValidationError) -> str:
    """What is wrong with the holders typed, in the reader's language."""
    _, message = cmd.field_errors(error)[0]
    return t(lang, message) if "{" not in message else message


def request(r: Request) -> None:
    """Any member asks for a licence; the approvals channel decides, the member is told."""
    if _extra_words(r, 1, "/license request chrome"):
        return
    if not r.args:
        r.usage(t(r.lang, "Name the subscription, e.g. `/license request chrome`."))
        return
    sub = _subscription(r, r.args[0])
    if sub is None:
        return
    order = cmd.Assign(subscription=sub.key, to=[r.asker.person.id])
    approval, new = r.services.approvals.request(
        r.asker.customer_id,
        r.asker.actor,
        order,
        r.lang,
        r.services.clock(),
        f"slack-command:{r.command.trigger_id}",
    )
    if new:
        post(r.services, r.client, approval)
    r.reply(
        [section(t(r.lang, ASKED, subscription=sub.key))],
        text=t(r.lang, ASKED, subscription=sub.key),
    )


def _member(services: Services, holder: str) -> str:
    """An e-mail of a workspace member names that member (users.lookupByEmail)."""
    if "@" not in holder or holder.startswith("<@"):
        return holder
    address = holder.removeprefix("<mailto:").split("|")[0].rstrip(">")
    found = services.directory.by_email(address)
    return found or holder


def _place(r: Request, order: cmd.Assign | cmd.Release, key: str, shortfall: int = 0) -> None:
    """Placed (super-admin) or filed for approval (admin); an assignment past an annual
    commitment is refused with the shortfall and a Buy button prefilled with it."""
    outcome = commit(r.services, r.asker, order, key)
    if outcome.approval is not None:
        post(r.services, r.client, outcome.approval)
    icon = ":white_check_mark:" if outcome.ok else ":no_entry:"
    blocks: list[Any] = [section(f"{icon} {outcome.text}")]
    if not outcome.ok and shortfall:
        value = f"subscription={order.subscription}&count={shortfall}"
        more = t(r.lang, "Buy {count} more", count=shortfall)
        blocks.append(actions(button(more, opener("add_licences"), value, style="primary")))
    r.reply(blocks, text=outcome.text)


# ---- buttons --------------------------------------------------------------------------


@answered
def release_button(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """Release from the holders list; the list is redrawn with what is held now."""
    services, asker = services_of(context), asker_of(context)
    if asker is None:
        return
    found = SEAT_VALUE.match(str(action.get("value") or ""))
    if asker.role is Role.NONE or found is None:
        respond(text=t(asker.lang if asker else "en", NOT_ALLOWED), replace_original=False)
        return
    key, holder = found.groups()
    try:
        order = cmd.Release(subscription=key, to=[holder])
    except ValidationError as error:
        respond(text=refused_holders(asker.lang, error), replace_original=False)
        return
    outcome = commit(services, asker, order, f"slack-action:{body.get('trigger_id')}")
    if outcome.approval is not None:
        post(services, context.client, outcome.approval)
    sub = _own(services, asker, key)
    icon = ":white_check_mark:" if outcome.ok else ":no_entry:"
    blocks: list[Block] = [section(f"{icon} {outcome.text}")]
    if sub is not None:
        blocks += view.holders_blocks(asker.lang, sub)
    respond(text=outcome.text, blocks=dicts(blocks), replace_original=True)


@answered
def more_button(action: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    services, asker = services_of(context), asker_of(context)
    if asker is None:
        return
    found = MORE_VALUE.match(str(action.get("value") or ""))
    sub = _own(services, asker, found.group(1)) if found else None
    if asker.role is Role.NONE or found is None or sub is None:
        respond(text=t(asker.lang, "This subscription is not known."), replace_original=False)
        return
    blocks = view.holders_blocks(asker.lang, sub, int(found.group(2)))
    respond(text=sub.key, blocks=dicts(blocks), replace_original=True)


def _own(services: Services, asker: Asker, key: str) -> Subscription | None:
    """The asker's own subscription of that name: another customer's ids find nothing."""
    overview = services.billing.overview(asker.customer_id, services.clock())
    return next((s for s in overview.subscriptions if s.key == key), None)


# ---- people who leave -------------------------------------------------------------------


class _Left(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(pattern=r"^[UW][A-Z0-9]{1,20}$")
    deleted: bool = False


class _UserChangeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    user: _Left


class UserChange(BaseModel):
    model_config = ConfigDict(extra="ignore")
    team_id: str = Field(min_length=1, max_length=20)
    event_id: str = Field(min_length=1, max_length=100)
    event: _UserChangeEvent


def _holds(services: Services, customer: int, holder: str) -> bool:
    overview = services.billing.overview(customer, services.clock())
    return any(seat.holder == holder for sub in overview.subscriptions for seat in sub.seats)


def user_change(body: dict[str, Any], context: BoltContext) -> None:
    """A deactivated member's seats: released on flexible plans, flagged on annual ones.
    Once per event (its id is the order's key), whatever Slack redelivers."""
    change: UserChange | None = parse(UserChange, body)
    if change is None or not change.event.user.deleted:
        return
    services = services_of(context)
    gone = change.event.user.id
    asker = event_asker(services, context, gone)
    customer = asker.customer_id if asker is not None else 0
    if not customer or not _holds(services, customer, gone):
        return  # nothing of this customer's to release or flag
    services.billing.order(
        customer,
        cmd.HolderLeft(holder=gone),
        at=services.clock(),
        actor=Actor.system("slack user_change"),
        key=f"slack-event:{change.event_id}",
    )
