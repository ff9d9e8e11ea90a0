"""Who holds each licence: `/license seats`, a subscription's holders with Release buttons,
paged, and the summary of used / held per subscription."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ConfirmObject, PlainTextObject

from billing.model import Plan, Seat, Subscription
from views.i18n import N_, Nn_, holder_text, t, tn
from views.kit import actions, button, context, header, section

RELEASE = "seat_release"
MORE = "seats_more"
PAGE = 20
"""Holders per message: each is a section with its button (Slack allows 50 blocks)."""
USED_OF = Nn_("{used} of {count} licence assigned", "{used} of {count} licences assigned")
NAMED_OF = Nn_("{used} of {count} user named", "{used} of {count} users named")
NO_SEAT = N_(
    "No one holds a licence of {subscription} yet. Give some with `/license assign {subscription} @someone`."
)


def used_text(lang: str, sub: Subscription) -> str:
    """Used / held, in the plan's own terms: licences (annual) or users (flexible)."""
    plural = USED_OF if sub.plan is Plan.ANNUAL else NAMED_OF
    return tn(lang, plural, sub.licences, used=sub.seats_used)


def summary_blocks(lang: str, subs: Sequence[Subscription]) -> list[Block]:
    live = [sub for sub in subs if not sub.ended]
    if not live:
        return [
            section(t(lang, "There is no subscription yet. Start one with `/license subscribe`."))
        ]
    lines = [f"*{sub.key}* · {sub.product} · {used_text(lang, sub)}" for sub in live]
    return [
        header(t(lang, "Licences and their holders")),
        section("\n".join(lines)),
        context(t(lang, "See who holds them: `/license seats <subscription>`.")),
    ]


def holders_blocks(lang: str, sub: Subscription, offset: int = 0) -> list[Block]:
    """One page of holders, oldest first, each with a Release button that asks to confirm."""
    seats = sorted(sub.seats, key=lambda seat: (seat.assigned_at, seat.holder))
    blocks: list[Block] = [
        header(t(lang, "Holders of {subscription}", subscription=sub.key)),
        context(f"{sub.product} · {used_text(lang, sub)}"),
    ]
    if not seats:
        blocks.append(section(t(lang, NO_SEAT, subscription=sub.key)))
        return blocks
    page = seats[offset : offset + PAGE]
    blocks += [_holder_block(lang, sub, seat) for seat in page]
    shown = offset + len(page)
    if shown < len(seats):
        blocks.append(
            actions(button(t(lang, "More"), MORE, f"{sub.key}|{shown}"), block_id="seats_more")
        )
        blocks.append(context(t(lang, "{shown} of {count} shown.", shown=shown, count=len(seats))))
    return blocks


def _holder_block(lang: str, sub: Subscription, seat: Seat) -> Block:
    notes = []
    if seat.perpetual:
        notes.append(t(lang, "built-in perpetual licence, not billed"))
    if seat.reclaim_since is not None:
        notes.append(t(lang, "left the workspace: release to reclaim"))
    text = holder_text(seat.holder) + (f" · _{'; '.join(notes)}_" if notes else "")
    release = button(t(lang, "Release"), RELEASE, f"{sub.key}|{seat.holder}")
    release.confirm = ConfirmObject(
        title=PlainTextObject(text=t(lang, "Release this licence?")),
        text=t(lang, "The licence of {subscription} is taken back.", subscription=sub.key),
        confirm=PlainTextObject(text=t(lang, "Release")),
        deny=PlainTextObject(text=t(lang, "Back")),
    )
    return section(text, accessory=release)
