"""`/license audit`: who changed what and when, in words (never an order's internal name),
with what each change made different (before → after)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk.models.blocks import Block

from billing.actors import Actor, ActorKind
from billing.history import AuditPage, AuditRecord
from views.i18n import (
    N_,
    billing_day,
    card_snapshot,
    card_text,
    code,
    instant,
    money,
    number,
    price,
    t,
)
from views.kit import actions, button, context, header, section

ACTIONS = {
    "signup": N_("started a subscription"),
    "add_licences": N_("bought licences"),
    "set_users": N_("changed the number of users"),
    "setup_billing": N_("set up billing"),
    "update_card": N_("changed the card"),
    "pay": N_("made a payment"),
    "renewal": N_("changed the renewal options"),
    "renew": N_("renewed by hand"),
    "cancel": N_("cancelled a subscription"),
    "register_domain": N_("registered a domain"),
    "refund_credit": N_("had the credit refunded"),
    "transfer": N_("transferred to a reseller"),
    "set_price": N_("changed a catalogue price"),
    "approval_request": N_("asked for approval"),
    "approval_approved": N_("approved a request"),
    "approval_denied": N_("denied a request"),
    "term_end": N_("term ended"),
    "trial_end": N_("trial ended"),
    "invoice": N_("invoice issued"),
    "suspend": N_("suspended for non-payment"),
    "retry_charge": N_("charge retried"),
    "renew_domain": N_("domain renewed"),
    "refund": N_("refund answered by the processor"),
    "dispute": N_("payment disputed"),
    "alert_dropped": N_("dropped an alert held 30 days while the app was uninstalled"),
}
"""Every action the audit trail records, as the reader says it."""

FIELDS = {
    "status": N_("status"),
    "licences": N_("licences"),
    "renewal_mode": N_("renewal"),
    "renewal_licences": N_("licences at renewal"),
    "term_end": N_("term ends"),
    "price": N_("price"),
    "total": N_("total"),
    "amount": N_("amount"),
    "reseller": N_("reseller"),
    "card": N_("card"),
    "final_invoice": N_("final invoice"),
}
"""The fields whose change the trail shows, in this order; the others stay in the database."""
AMOUNTS = ("total", "amount", "final_invoice")
DATES = ("term_end",)
CODED = ("status", "renewal_mode")


def _shown(lang: str, name: str, raw: Any) -> str:
    if raw is None or raw == "":
        return "—"
    try:
        if name in AMOUNTS:
            return money(Decimal(str(raw)), lang)
        if name == "price":
            return price(Decimal(str(raw)), lang)
        if name in DATES:
            return billing_day(date.fromisoformat(str(raw)), lang)
    except (InvalidOperation, ValueError):
        return str(raw)
    if name in CODED:
        return code(lang, str(raw))
    if name == "card":
        return card_text(str(raw))
    if isinstance(raw, int) and not isinstance(raw, bool):
        return number(raw, lang)
    return str(raw)


def _with_card(snapshot: Mapping[str, Any]) -> Mapping[str, Any]:
    """A card change records the card's brand, last4 and expires: the trail shows them as
    one card, as every screen does."""
    card = card_snapshot(snapshot)
    return snapshot if card is None else {**snapshot, "card": card}


def changes(lang: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """What the change made different: `licences 25 → 50`, or `total $12.00` for what is new."""
    before, after = _with_card(before or {}), _with_card(after or {})
    parts = []
    for name, label in FIELDS.items():
        if name not in after or after.get(name) == before.get(name):
            continue
        now = _shown(lang, name, after[name])
        if name in before:
            parts.append(f"{t(lang, label)} {_shown(lang, name, before[name])} → {now}")
        else:
            parts.append(f"{t(lang, label)} {now}")
    return ", ".join(parts)


def _system(lang: str, actor: Actor) -> str:
    """The bot's own jobs say so; another named system (the command line) keeps its name."""
    if actor.kind is ActorKind.SCHEDULER:
        return t(lang, "licensebot (scheduled)")
    return f"licensebot ({actor.name or actor.kind.value})"


OLDER = "audit_older"


def audit_blocks(
    lang: str, rows: Sequence[AuditRecord], page: AuditPage, tz: str | None = None
) -> list[Block]:
    """One page of the trail, newest first; `rows` holds one more when older rows remain."""
    title = [header(t(lang, "Audit trail")), *_filters(lang, page)]
    shown = list(rows)[: page.limit]
    if not shown:
        return [*title, section(t(lang, "Nothing recorded yet."))]
    lines = []
    for row in shown:
        user = row.actor.slack_user
        who = f"<@{user}>" if user else _system(lang, row.actor)
        action = ACTIONS.get(row.action)
        what = t(lang, action) if action else code(lang, row.action)
        line = f"{instant(row.at, lang, tz)} · {who} {what}" + (
            f" · {row.subject}" if row.subject else ""
        )
        different = changes(lang, row.before, row.after)
        lines.append(line + (f"\n      {different}" if different else ""))
    blocks = [*title, section("\n".join(lines))]
    if len(rows) > page.limit:
        more = {"b": shown[-1].id, "n": page.limit, "s": page.subject}
        more["a"] = page.actor.slack_user if page.actor else None
        value = json.dumps({k: v for k, v in more.items() if v is not None})
        blocks.append(actions(button(t(lang, "Older"), OLDER, value)))
    return blocks


def _filters(lang: str, page: AuditPage) -> list[Block]:
    said = []
    if page.subject:
        said.append(t(lang, "about {subject}", subject=page.subject))
    if page.actor and page.actor.slack_user:
        said.append(t(lang, "by <@{user}>", user=page.actor.slack_user))
    return [context(" · ".join(said))] if said else []
