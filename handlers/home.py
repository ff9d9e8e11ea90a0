"""The App Home tab, published when opened; its buttons open the same forms as commands."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltContext
from slack_sdk import WebClient

from billing.calendar import pacific_day
from handlers import card_entry
from handlers.errors import answered
from handlers.payloads import Interaction, parse
from handlers.wiring import asker_of, services_of, wiring_of
from services.forms import Form, FormContext, Source
from services.orders import ORDERS
from services.people import Role
from views import forms
from views.home import home
from views.i18n import t
from views.openers import CARD, MENU, OPENS
from views.spend import chart_blocks

OPENERS = re.compile(
    f"^({re.escape(OPENS)}[a-z_]+|{re.escape(MENU)}[A-Za-z0-9][A-Za-z0-9_.-]{{0,39}}"
    "|open_(buy|pay|card|subscribe))$"
)
"""`open:<order>` buttons, a subscription's `menu:<key>`, and the buttons release 1f2cbf2
posted in messages still in Slack."""
LEGACY = {"open_buy": "add_licences", "open_pay": "pay", "open_subscribe": "signup"}


@answered
def home_opened(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    if event.get("tab") != "home" or not event.get("user"):
        return
    event_id = body.get("event_id")
    if isinstance(event_id, str) and not wiring_of(context).seen.first(event_id):
        return  # a redelivery: the first one is being published
    services, asker = services_of(context), asker_of(context)
    if asker is None:
        return
    if asker.role is Role.NONE:
        view = home(asker.lang, None, [], False)
    else:
        now = services.clock()
        overview = services.billing.overview(asker.customer_id, now)
        spend = chart_blocks(
            asker.lang, services.reader.invoices(asker.customer_id), pacific_day(now)
        )
        alerts = services.reader.alerts(asker.customer_id)
        entry = services.card_entry
        reenter = entry is not None and entry.needs_reentry(overview.card)
        view = home(
            asker.lang, overview, alerts, True, asker.person.tz, spend, pacific_day(now), reenter
        )
    client.views_publish(user_id=str(event["user"]), view=view.to_dict())


@answered
def open_form(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    interaction: Interaction | None = parse(Interaction, body)
    services, asker = services_of(context), asker_of(context)
    if interaction is None or not interaction.trigger_id or asker is None:
        return
    if asker.role is Role.NONE:
        return
    lang = asker.lang
    if _opens_card(str(action.get("action_id"))):  # never a card form: the secure page's link
        client.views_open(
            trigger_id=interaction.trigger_id, view=card_entry.link_view(services, asker).to_dict()
        )
        return
    overview = services.billing.overview(asker.customer_id, services.clock())
    facts = FormContext(
        subscriptions=overview.subscriptions,
        card=overview.card,
        balance_due=overview.balance.balance_due,
        credit=overview.balance.credit,
    )
    action_id = str(action.get("action_id"))
    key, chosen = None, None
    if action_id.startswith(MENU):  # a subscription's menu: the choice names the order
        key = action_id.removeprefix(MENU)
        chosen = next((s for s in facts.subscriptions if s.key == key and not s.ended), None)
        name = str((action.get("selected_option") or {}).get("value") or "")
    else:
        name = _order_name(action_id)
    entry = ORDERS.named(name)
    if entry is not None and entry.form is not None and entry.form.lists(Source.PRODUCTS):
        facts = replace(facts, products=services.workspaces.products())
    form = entry.form if entry is not None else None
    if key is not None and (chosen is None or not _offers(form, facts, key)):
        view = forms.result(lang, "licensebot", t(lang, "This subscription is not known."))
    elif entry is None or form is None or (form.needs and not facts.has(form.needs[0])):
        nothing = t(lang, "Nothing to do here yet: start with a subscription and billing.")
        view = forms.result(lang, "licensebot", nothing)
    else:
        initial = form.prefill(facts, chosen) if form.prefill is not None else {}
        initial.update(_from_button(form, str(action.get("value") or "")))
        if key is not None:
            initial["subscription"] = key
        view = forms.form(lang, entry, facts, initial)
    client.views_open(trigger_id=interaction.trigger_id, view=view.to_dict())


def _from_button(form: Form, value: str) -> dict[str, str]:
    """Values a button carries for its form (`subscription=chrome&count=3`: a Buy offered for a
    shortfall): only the form's own fields, short, and checked again when it is submitted."""
    names = {field.name for field in form.fields}
    return {
        name: text[:40]
        for name, text in parse_qsl(value[:200])
        if name in names
        and text.isascii()
        and text.replace("-", "").replace(".", "").replace("_", "").isalnum()
    }


def _offers(form: Form | None, facts: FormContext, key: str) -> bool:
    """A menu's choice must be an order about one subscription that its form offers for
    this one (renewal only for an annual plan, say): a forged choice opens nothing."""
    field = next((f for f in form.fields if f.name == "subscription"), None) if form else None
    if field is None:
        return False
    return field.source is None or key in [k for k, _ in facts.choices(field.source)]


CARD_ORDERS = frozenset({"setup_billing", "update_card"})


def _opens_card(action_id: str) -> bool:
    return action_id in (CARD, "open_card") or action_id.removeprefix(OPENS) in CARD_ORDERS


def _order_name(action_id: str) -> str:
    return LEGACY.get(action_id, action_id.removeprefix(OPENS))
