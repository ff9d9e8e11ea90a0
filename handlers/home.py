"""The App Home tab, published when opened; its buttons open the same forms as commands."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from billing.calendar import pacific_day
from bot.context import Deps
from bot.i18n import t
from bot.people import Role
from bot.views import forms
from bot.views.home import OPEN, home
from bot.views.spend import chart_blocks
from handlers.payloads import Interaction, Seen, parse


def register(app: App, deps: Deps) -> None:
    seen = Seen()

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not seen.first(event_id):
            return  # a redelivery: the first one is being published
        deps.after_ack(lambda: publish(client, str(body.get("team_id") or ""), str(event["user"])))

    def publish(client: WebClient, team_id: str, user_id: str) -> None:
        asker = deps.asker(team_id, user_id)
        if asker.role is Role.NONE:
            view = home(asker.lang, None, [], False)
        else:
            now = deps.clock()
            overview = deps.billing.overview(asker.customer_id, now)
            spend = chart_blocks(
                asker.lang, deps.store.invoices(asker.customer_id), pacific_day(now)
            )
            alerts = deps.store.alerts(asker.customer_id)
            view = home(asker.lang, overview, alerts, True, asker.person.tz, spend)
        client.views_publish(user_id=user_id, view=view.to_dict())

    @app.action(OPEN["subscribe"])
    @app.action(OPEN["buy"])
    @app.action(OPEN["pay"])
    @app.action(OPEN["card"])
    def open_form(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        deps.after_ack(lambda: open_for(body, action, client))

    def open_for(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        interaction: Interaction | None = parse(Interaction, body)
        if interaction is None or not interaction.trigger_id:
            return
        asker = deps.asker(interaction.team_id, interaction.user.id)
        lang = asker.lang
        if asker.role is Role.NONE:
            return
        overview = deps.billing.overview(asker.customer_id, deps.clock())
        name = action.get("action_id")
        if name == OPEN["subscribe"]:
            view = forms.subscribe(lang, deps.workspaces.products())
        elif name == OPEN["buy"] and forms.changeable(overview.subscriptions):
            view = forms.buy(lang, forms.changeable(overview.subscriptions))
        elif name == OPEN["card"]:
            view = forms.card(
                lang, "update_card" if overview.card else "setup_billing", overview.card
            )
        elif name == OPEN["pay"] and overview.card is not None:
            from bot.i18n import money

            view = forms.pay(lang, money(overview.balance.balance_due, lang), overview.card)
        else:
            view = forms.result(
                lang,
                "licensebot",
                t(lang, "Nothing to do here yet: start with a subscription and billing."),
            )
        client.views_open(trigger_id=interaction.trigger_id, view=view.to_dict())
