"""`/license`: acknowledged at once, then answered ephemerally or with a modal."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from billing.money import parse_amount
from bot.context import Asker, Deps
from bot.i18n import money, t
from bot.people import Role
from bot.views import forms, replies
from bot.views.kit import dicts, escape
from handlers.forms import AMOUNT
from handlers.payloads import Seen, SlashCommand, parse

log = logging.getLogger(__name__)
Reply = Callable[..., Any]
NUMBER = re.compile(r"^[0-9]{1,7}$")
"""A count as typed in a command: ASCII digits only (str.isdigit also takes "²", which int()
refuses), and no longer than the form's field that it fills in."""
PRICE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,4})?$")


class Request:
    """One `/license` invocation: who asks, what they typed, and how to answer."""

    def __init__(
        self, deps: Deps, command: SlashCommand, asker: Asker, respond: Respond, client: WebClient
    ) -> None:
        self.deps, self.command, self.asker, self.respond, self.client = (
            deps,
            command,
            asker,
            respond,
            client,
        )
        self.lang = asker.lang
        self.args = command.words[1:]

    def reply(self, blocks: list[Any], text: str = "licensebot") -> None:
        self.respond(text=text, blocks=dicts(blocks), response_type="ephemeral")

    def usage(self, problem: str) -> None:
        self.reply(replies.usage_blocks(self.lang, problem), text=problem)

    def refuse(self, problem: str) -> None:
        self.reply(replies.error_blocks(self.lang, problem), text=problem)

    def open(self, view: Any) -> None:
        self.client.views_open(trigger_id=self.command.trigger_id, view=view.to_dict())

    def subscriptions(self) -> list[Any]:
        return self.deps.store.subscriptions(self.asker.customer_id)


def register(app: App, deps: Deps) -> None:
    seen = Seen()

    @app.command("/license")
    def license_command(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()  # first, always: everything else happens after Slack has its answer
        deps.after_ack(lambda: answer(body, respond, client))

    def answer(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        command = _parse(body)
        if command is not None and not seen.first(command.trigger_id):
            return  # a redelivery: the first one is being answered
        if command is None:
            user = body.get("user_id")
            lang = deps.directory.person(user).language if isinstance(user, str) else "en"
            respond(
                text=t(lang, "That command is too long or malformed."),
                blocks=dicts(
                    replies.usage_blocks(lang, t(lang, "That command is too long or malformed."))
                ),
                response_type="ephemeral",
            )
            return
        asker = deps.asker(command.team_id, command.user_id, command.team_domain)
        request = Request(deps, command, asker, respond, client)
        if asker.role is Role.NONE:
            request.refuse(
                t(request.lang, "Only the organisation's admins can use licensebot. Ask an admin.")
            )
            return
        word = command.words[0].lower() if command.words else "help"
        handler = SUBCOMMANDS.get(word)
        if handler is None:
            request.usage(t(request.lang, "Unknown subcommand “{word}”.", word=escape(word[:40])))
            return
        handler(request)


def _parse(body: dict[str, Any]) -> SlashCommand | None:
    parsed: SlashCommand | None = parse(SlashCommand, body)
    return parsed


# ---- reads -------------------------------------------------------------------------


def help_(r: Request) -> None:
    r.reply(replies.help_blocks(r.lang))


def status(r: Request) -> None:
    r.reply(
        replies.status_blocks(
            r.lang, r.subscriptions(), r.deps.approvals.pending(r.asker.customer_id)
        )
    )


def balance(r: Request) -> None:
    overview = r.deps.billing.overview(r.asker.customer_id, r.deps.clock())
    r.reply(
        replies.balance_blocks(
            r.lang, overview.balance, overview.next_invoice, overview.customer.descriptor
        )
    )


def _count(r: Request, default: int) -> int | None:
    if not r.args:
        return default
    if len(r.args) == 1 and NUMBER.match(r.args[0]) and 1 <= int(r.args[0]) <= 50:
        return int(r.args[0])
    r.usage(
        t(r.lang, "Give a number from 1 to 50, e.g. `/license {word} 10`.", word=r.command.words[0])
    )
    return None


def invoices(r: Request) -> None:
    if (limit := _count(r, 10)) is not None:
        r.reply(
            replies.invoices_blocks(
                r.lang, r.deps.store.invoices(r.asker.customer_id), r.deps.clock(), limit
            )
        )


def transactions(r: Request) -> None:
    if (limit := _count(r, 20)) is not None:
        r.reply(
            replies.transactions_blocks(r.lang, r.deps.store.ledger(r.asker.customer_id), limit)
        )


def audit(r: Request) -> None:
    if (limit := _count(r, 20)) is not None:
        r.reply(replies.audit_blocks(r.lang, r.deps.store.audit(r.asker.customer_id, limit)))


def admins(r: Request) -> None:
    directory = r.deps.directory
    supers = [
        (user, directory.role(directory.person(user)) is Role.SUPER_ADMIN)
        for user in r.deps.settings.super_admins
    ]
    r.reply(replies.admins_blocks(r.lang, supers, r.deps.settings.admins))


def plan(r: Request) -> None:
    if not r.args:
        r.reply(replies.catalogue_blocks(r.lang, r.deps.workspaces.products()))
        return
    if r.args[0].lower() != "price" or len(r.args) != 4 or r.args[2] not in ("annual", "flexible"):
        r.usage(
            t(
                r.lang,
                "To change a price: `/license plan price <product code> annual|flexible <amount>`.",
            )
        )
        return
    if r.asker.role is not Role.SUPER_ADMIN:
        r.refuse(t(r.lang, "Only a super-admin can change prices."))
        return
    code, which, text = r.args[1], r.args[2], r.args[3]
    try:
        price = parse_amount(text, places=4) if PRICE.match(text) else Decimal(0)
        if price <= 0:
            raise ValueError
    except ValueError:
        r.usage(t(r.lang, "“{text}” is not a price.", text=escape(text[:20])))
        return
    if r.deps.workspaces.product(code) is None:
        r.usage(t(r.lang, "No product with the code “{code}”.", code=escape(code[:40])))
        return
    r.deps.workspaces.set_price(
        code, which, price, at=r.deps.clock(), actor=r.asker.actor, customer_id=r.asker.customer_id
    )
    r.reply(replies.catalogue_blocks(r.lang, r.deps.workspaces.products()))


# ---- changes: each opens its form ----------------------------------------------------


def _pick(r: Request, subs: list[Any], nothing: str) -> tuple[str | None, str | None] | None:
    """(subscription, number) from `/license <word> [subscription] [number]`."""
    if not subs:
        r.refuse(nothing)
        return None
    keys = {s.key for s in subs}
    chosen = r.args[0] if r.args else (subs[0].key if len(subs) == 1 else None)
    if chosen is not None and chosen not in keys:
        r.usage(
            t(
                r.lang,
                "No subscription called “{key}” here. Yours: {keys}.",
                key=escape(chosen[:40]),
                keys=", ".join(sorted(keys)),
            )
        )
        return None
    number = r.args[1] if len(r.args) > 1 else None
    if number is not None and not NUMBER.match(number):
        r.usage(t(r.lang, "“{text}” is not a number.", text=escape(number[:20])))
        return None
    return chosen, number


def subscribe(r: Request) -> None:
    r.open(forms.subscribe(r.lang, r.deps.workspaces.products()))


def buy(r: Request) -> None:
    subs = forms.changeable(r.subscriptions())
    if (
        picked := _pick(
            r,
            subs,
            t(
                r.lang,
                "There is no subscription to buy licences for. Start one with `/license subscribe`.",
            ),
        )
    ) is not None:
        r.open(forms.buy(r.lang, subs, *picked))


def users(r: Request) -> None:
    subs = forms.changeable(r.subscriptions())
    if (
        picked := _pick(
            r, subs, t(r.lang, "There is no subscription yet. Start one with `/license subscribe`.")
        )
    ) is not None:
        r.open(forms.users(r.lang, subs, *picked))


def renewal(r: Request) -> None:
    subs = forms.annual_only(r.subscriptions())
    if (
        picked := _pick(r, subs, t(r.lang, "Only annual plans renew, and there is none."))
    ) is not None:
        r.open(forms.renewal(r.lang, subs, picked[0]))


def cancel(r: Request) -> None:
    subs = forms.changeable(r.subscriptions())
    if (picked := _pick(r, subs, t(r.lang, "There is no subscription to cancel."))) is not None:
        r.open(forms.cancel(r.lang, subs, picked[0]))


def transfer(r: Request) -> None:
    r.open(forms.transfer(r.lang))


def billing(r: Request) -> None:
    r.open(forms.card(r.lang, "setup_billing"))


def card(r: Request) -> None:
    current = r.deps.billing.overview(r.asker.customer_id, r.deps.clock()).card
    if current is None:
        r.refuse(t(r.lang, "There is no card on file yet: set up billing with `/license billing`."))
        return
    r.open(forms.card(r.lang, "update_card", current))


def pay(r: Request) -> None:
    overview = r.deps.billing.overview(r.asker.customer_id, r.deps.clock())
    if overview.card is None:
        r.refuse(
            t(r.lang, "There is no payment method yet: set up billing with `/license billing`.")
        )
        return
    if r.args and not AMOUNT.match(r.args[0]):
        r.usage(t(r.lang, "Write an amount such as 25.00 (at most 2 decimals)."))
        return
    amount = (
        r.args[0]
        if r.args
        else (
            str(overview.balance.balance_due)
            if overview.balance.balance_due >= Decimal("10.00")
            else None
        )
    )
    r.open(forms.pay(r.lang, money(overview.balance.balance_due, r.lang), overview.card, amount))


def refund(r: Request) -> None:
    credit = r.deps.billing.overview(r.asker.customer_id, r.deps.clock()).balance.credit
    if credit <= 0:
        r.refuse(t(r.lang, "There is no credit to refund."))
        return
    r.open(forms.refund(r.lang, money(credit, r.lang)))


SUBCOMMANDS: dict[str, Callable[[Request], None]] = {
    "help": help_,
    "status": status,
    "subscribe": subscribe,
    "buy": buy,
    "users": users,
    "plan": plan,
    "renewal": renewal,
    "cancel": cancel,
    "transfer": transfer,
    "billing": billing,
    "card": card,
    "pay": pay,
    "balance": balance,
    "invoices": invoices,
    "transactions": transactions,
    "refund": refund,
    "admins": admins,
    "audit": audit,
}
