"""Modal submissions: validate field by field, confirm anything that spends money, commit.

A form that spends money answers with its confirmation pushed over it (`response_action:
push`): the confirmation's Back, Slack's close of a pushed view, returns to the form as it
was filled in. Confirming answers `update` on the confirmation: the result, whose Done ends
the whole modal (`clear_on_close`), or a refusal, whose Back returns to the form to change it.

A super-admin's order is placed at once; an admin's is filed for approval. Both happen in
the listener that answers Slack (a view submission's answer is the next view), under the
idempotency key of the view submitted: the confirmation's own id (Slack gives a pushed view
an id of its own, and every submission of that view carries it), or the form's for a form
without a confirmation. A double submission acts once; a confirmation shown anew, after Back
and Next, is a new decision. A request filed is posted to the approvals channel after the
answer, by a lazy listener.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from billing import commands as cmd
from billing.approvals import Approval
from billing.errors import BillingError
from handlers import request_messages
from handlers.errors import answered
from handlers.forms import FormErrors, inputs, read
from handlers.wiring import asker_of, services_of
from services.context import Asker, Services
from services.forms import FormContext
from services.orders import LEGACY_NAMES, ORDERS, Order
from services.people import Role
from views import forms
from views.i18n import refusal, t
from views.quotes import aftermath, declined, describe, quote_lines
from views.replies import NOT_ALLOWED

FILED = "licensebot_filed"
"""Where a submission leaves the request it filed, for the lazy listener that posts it."""
FORMS = re.compile(
    f"^({'|'.join([*(e.name for e in ORDERS if e.form is not None), *LEGACY_NAMES])})$"
)
"""Callback ids of the orders' forms (their names), and of forms release 1f2cbf2 opened."""


@dataclass
class Outcome:
    ok: bool
    text: str
    approval: Approval | None = None
    """A request this submission filed, to post; None when a double submission found it."""
    field: str | None = None
    """The order field a refusal is about (e.g. "card.expires"), to show it on that input."""


def block_for(field: str | None, view: dict[str, Any], fallback: str) -> str:
    """The input a refusal belongs on: the order field's last part ("card.expires" is the
    "expires" input) when the form has it, else the form's first input."""
    block = (field or "").split(".")[-1]
    return block if block in inputs(view) else fallback


def submit_form(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    services, asker = services_of(context), asker_of(context)
    view = body.get("view") or {}
    entry = ORDERS.named(str(view.get("callback_id", "")))
    if asker is None or entry is None or entry.form is None:
        ack()
        return
    lang = asker.lang
    first = next(iter(inputs(view)), "subscription")
    if asker.role is Role.NONE:
        ack(response_action="errors", errors={first: t(lang, NOT_ALLOWED)})
        return
    facts = FormContext(products=services.workspaces.products())
    try:
        wanted = read(entry, view, lang, facts)
    except FormErrors as problem:
        ack(response_action="errors", errors=problem.errors)
        return
    if not entry.confirm:
        _finish(ack, context, services, asker, wanted, view, first)
        return
    try:
        quote = services.billing.quote(asker.customer_id, wanted, services.clock())
    except BillingError as error:
        ack(
            response_action="errors",
            errors={block_for(error.field, view, first): refusal(lang, error)},
        )
        return
    metadata = json.dumps(
        {"a": wanted.name, "o": wanted.model_dump(mode="json")}, separators=(",", ":")
    )
    confirmation = forms.confirm(
        lang,
        entry.title,
        describe(lang, wanted),
        quote_lines(lang, quote),
        metadata,
        asker.role is Role.ADMIN,
    )
    ack(response_action="push", view=confirmation.to_dict())


def submit_confirmation(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    services, asker = services_of(context), asker_of(context)
    view = body.get("view") or {}
    if asker is None:
        ack()
        return
    try:
        metadata = json.loads(view.get("private_metadata") or "")
        entry: Order[Any] | None = ORDERS.named(metadata["a"])
        if entry is None:
            raise KeyError(metadata["a"])
        wanted = entry.read(metadata["o"])
    except (ValueError, KeyError, TypeError, ValidationError):
        unknown = t(asker.lang, "This form is not known.")
        ack(
            response_action="update", view=forms.result(asker.lang, "licensebot", unknown).to_dict()
        )
        return
    _finish(ack, context, services, asker, wanted, view, None)


@answered
def post_filed(client: WebClient, context: BoltContext) -> None:
    """Post the request the submission filed (only the submission that filed it does)."""
    filed = context.get(FILED)
    if isinstance(filed, Approval):
        request_messages.post(services_of(context), client, filed)


def _finish(
    ack: Ack,
    context: BoltContext,
    services: Services,
    asker: Asker,
    wanted: cmd.Command,
    view: dict[str, Any],
    field: str | None,
) -> None:
    """Commit under the key of the view submitted. `field`: the form's first input, for a
    form without a confirmation, whose refusal goes on its field; None for a confirmation,
    whose refusal replaces it, with a Back to the form when the form is under it (one shown
    before confirmations were pushed replaced its form: nothing is under it)."""
    outcome = commit(services, asker, wanted, key=f"slack-view:{view.get('id')}")
    if not outcome.ok and field is not None:
        ack(
            response_action="errors",
            errors={block_for(outcome.field, view, field): outcome.text},
        )
        return
    icon = ":white_check_mark:" if outcome.ok else ":no_entry:"
    title = ORDERS.of(wanted).title
    if outcome.approval is not None:
        context[FILED] = outcome.approval
    pushed = bool(view.get("previous_view_id"))
    shown = forms.result(
        asker.lang, title, f"{icon} {outcome.text}", back=not outcome.ok and pushed
    )
    ack(response_action="update", view=shown.to_dict())


def commit(services: Services, asker: Asker, order: cmd.Command, key: str) -> Outcome:
    """Place the order (super-admin) or file it for approval (admin)."""
    lang = asker.lang
    summary = describe(lang, order)
    if asker.role is Role.SUPER_ADMIN:
        try:
            change = services.billing.order(
                asker.customer_id, order, at=services.clock(), actor=asker.actor, key=key
            )
        except BillingError as error:
            return Outcome(False, refusal(lang, error), field=error.field)
        refused_by_card = declined(lang, change)
        if refused_by_card is not None:
            return Outcome(False, refused_by_card)
        note = t(lang, " (already done: this request arrived twice)") if change.replayed else ""
        then = aftermath(lang, change, services.clock(), asker.person.tz)
        done = t(lang, "Done: {summary}.", summary=summary) + note
        return Outcome(True, f"{done}\n{then}" if then else done)
    if asker.role is Role.ADMIN:
        approval, new = services.approvals.request(
            asker.customer_id, asker.actor, order, lang, services.clock(), key
        )
        return Outcome(
            True,
            t(lang, "Sent to the super-admins for approval: {summary}.", summary=summary),
            approval if new else None,  # only the submission that filed it posts it
        )
    return Outcome(False, t(lang, NOT_ALLOWED))
