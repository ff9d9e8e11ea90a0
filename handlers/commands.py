"""`/license`: acknowledged at once, then answered ephemerally or with a modal (Bolt's lazy
listener). Reads answer here; every order's subcommand opens that order's form."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from billing import card_data
from billing import commands as cmd
from billing.calendar import pacific_day
from billing.errors import BillingError
from billing.model import Plan, Subscription
from billing.money import parse_amount
from handlers import audit as audit_filters
from handlers import card_entry
from handlers.errors import answered
from handlers.forms import AMOUNT, MONEY_FIELDS
from handlers.payloads import SlashCommand, parse
from handlers.wiring import asker_of, services_of, wiring_of
from services.context import Asker, Services
from services.forms import Field, FormContext, Input, Source
from services.orders import ORDERS, Order
from services.people import Person, Role
from views import audit as audit_view
from views import card_entry as card_view
from views import forms, replies
from views.i18n import N_, refusal, t
from views.kit import dicts, escape
from views.replies import NOT_ALLOWED
from views.warnings import warnings

NUMBER = re.compile(r"^[0-9]{1,7}$")
"""A count as typed in a command: ASCII digits only (str.isdigit also takes "²", which int()
refuses), and no longer than the form's field that it fills in."""
PRICE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,4})?$")
CARD_TYPED = N_(
    "That looks like a card number or a card security code: never type one in Slack. Nothing was kept."
)
ASK_FOR_ONE = N_("To ask for a licence: `/license request <subscription>`.")
CONTROL_TYPED = N_("That command has a control character in it. Nothing was changed.")


def unescaped(word: str) -> str:
    """Slack's three escapes undone, and nothing else (SPEC "Licence seats" 7): a numeric
    entity stays as typed, so no text decodes into what the card check did not see."""
    return word.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Request:
    """One `/license` invocation: who asks, what they typed, and how to answer."""

    def __init__(
        self,
        services: Services,
        command: SlashCommand,
        asker: Asker,
        respond: Respond,
        client: WebClient,
    ) -> None:
        self.services, self.command, self.asker = services, command, asker
        self.respond, self.client = respond, client
        self.lang = asker.lang
        self.tz = asker.person.tz
        self.args = [unescaped(word) for word in command.words[1:]]
        """The words after the subcommand, Slack's escaping undone."""

    def reply(self, blocks: list[Any], text: str = "licensebot") -> None:
        self.respond(text=text, blocks=dicts(blocks), response_type="ephemeral")

    def usage(self, problem: str) -> None:
        self.reply(replies.usage_blocks(self.lang, problem), text=problem)

    def refuse(self, problem: str) -> None:
        self.reply(replies.error_blocks(self.lang, problem), text=problem)

    def open(self, view: Any) -> None:
        self.client.views_open(trigger_id=self.command.trigger_id, view=view.to_dict())

    def facts(self, products: bool = False) -> FormContext:
        """The account as a form shows it."""
        overview = self.services.billing.overview(self.asker.customer_id, self.services.clock())
        return FormContext(
            subscriptions=overview.subscriptions,
            products=self.services.workspaces.products() if products else (),
            card=overview.card,
            balance_due=overview.balance.balance_due,
            credit=overview.balance.credit,
        )


@answered
def answer(body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext) -> None:
    if not context.response_url:
        return  # Slack always sends one: without it there is nobody to answer
    services = services_of(context)
    asker = asker_of(context)
    typed = body.get("text")
    why = card_data.refused(typed) if isinstance(typed, str) else None
    if why is not None:  # said before anything reads, stores or echoes it
        lang = asker.lang if asker is not None else "en"
        problem = t(lang, CONTROL_TYPED if why == card_data.CONTROL else CARD_TYPED)
        respond(
            text=problem,
            blocks=dicts(replies.error_blocks(lang, problem)),
            response_type="ephemeral",
        )
        return
    command: SlashCommand | None = parse(SlashCommand, body)
    if command is None or asker is None:
        user = body.get("user_id")
        lang = services.directory.person(user).language if isinstance(user, str) else "en"
        problem = t(lang, "That command is too long or malformed.")
        respond(
            text=problem,
            blocks=dicts(replies.usage_blocks(lang, problem)),
            response_type="ephemeral",
        )
        return
    if not wiring_of(context).seen.first(command.trigger_id):
        return  # a redelivery: the first one is being answered
    request = Request(services, command, asker, respond, client)
    word = command.words[0].lower() if command.words else "help"
    if asker.role is Role.NONE and word not in MEMBERS:
        request.refuse(f"{t(request.lang, NOT_ALLOWED)} {t(request.lang, ASK_FOR_ONE)}")
        return
    read = READS.get(word)
    entry = ORDERS.opened_by(word)
    if read is not None:
        read(request)
    elif entry is not None and entry.form is not None:
        open_form(request, entry)
    else:
        request.usage(_unknown(request.lang, word))


def _unknown(lang: str, word: str) -> str:
    """Unknown, with the nearest known subcommands when the word looks like a typo of one."""
    unknown = t(lang, "Unknown subcommand “{word}”.", word=escape(word[:40]))
    near = difflib.get_close_matches(word[:40], [*READS, *ORDERS.words], n=2, cutoff=0.6)
    if not near:
        return unknown
    tried = " / ".join(f"`/license {known}`" for known in near)
    return f"{unknown} {t(lang, 'Did you mean {commands}?', commands=tried)}"


# ---- every order's form --------------------------------------------------------------


def open_form(r: Request, entry: Order[Any]) -> None:
    """The order's modal, its fields filled from the words typed after the subcommand."""
    form = entry.form
    assert form is not None
    facts = r.facts(products=form.lists(Source.PRODUCTS))
    if form.needs is not None and not facts.has(form.needs[0]):
        r.refuse(t(r.lang, form.needs[1]))
        return
    initial = _typed(r, entry, facts)
    if initial is None:
        return
    chosen = _subscription(entry, facts, initial.get("subscription"))
    prefilled = form.prefill(facts, chosen) if form.prefill is not None else {}
    r.open(forms.form(r.lang, entry, facts, {**prefilled, **initial}))


def _typed(r: Request, entry: Order[Any], facts: FormContext) -> dict[str, str] | None:
    """The words after the subcommand as initial values, or None once refused."""
    assert entry.form is not None
    fields = {field.name: field for field in entry.form.fields}
    if _extra_words(r, len(entry.form.words), entry.usage[0] if entry.usage else "/license help"):
        return None
    initial: dict[str, str] = {}
    for name, word in zip(entry.form.words, r.args, strict=False):
        field = fields[name]
        problem = _word_problem(r, field, word, facts)
        if problem is not None:
            r.usage(problem)
            return None
        initial[name] = word
    subscription = fields.get("subscription")
    if subscription is not None and "subscription" not in initial and subscription.source:
        offered = facts.choices(subscription.source)
        if len(offered) == 1:
            initial["subscription"] = offered[0][0]
    return initial


def _word_problem(r: Request, field: Field, word: str, facts: FormContext) -> str | None:
    if field.kind is Input.CHOICE and field.source is not None:
        keys = [key for key, _ in facts.choices(field.source)]
        if word not in keys:
            return t(
                r.lang,
                "No subscription called “{key}” here. Yours: {keys}.",
                key=escape(word[:40]),
                keys=", ".join(sorted(keys)),
            )
        return None
    if field.name in MONEY_FIELDS:
        return _amount_problem(r.lang, word)
    if not NUMBER.match(word):
        return t(r.lang, "“{text}” is not a number.", text=escape(word[:20]))
    return None


SIGNED = re.compile(r"^[-−+]?[0-9]*[.,]?[0-9]+$")
"""A number as people type one, sign and decimal comma included: for saying what is wrong
with an amount the form would not take."""


def _amount_problem(lang: str, word: str) -> str | None:
    if AMOUNT.match(word) and Decimal(word) > 0:
        return None
    if SIGNED.match(word) and (word[0] in "-−" or not word.strip("0.,+")):
        return t(lang, "The amount must be more than zero, e.g. 25.00.")
    if SIGNED.match(word):
        return t(lang, "Write an amount such as 25.00 (at most 2 decimals).")
    return t(lang, "“{text}” is not an amount: write one such as 25.00.", text=escape(word[:20]))


def _extra_words(r: Request, takes: int, example: str) -> bool:
    """Words past what the subcommand takes are refused, not silently dropped."""
    extra = r.args[takes:]
    if not extra:
        return False
    r.usage(
        t(
            r.lang,
            "`/license {word}` does not take “{extra}”. For example: `{example}`.",
            word=r.command.words[0].lower(),
            extra=escape(" ".join(extra)[:40]),
            example=example,
        )
    )
    return True


def _subscription(entry: Order[Any], facts: FormContext, key: str | None) -> Subscription | None:
    """The subscription the form is about: the one named, else the first it offers."""
    assert entry.form is not None
    field = next((f for f in entry.form.fields if f.name == "subscription"), None)
    if field is None or field.source is None:
        return None
    keys = [choice for choice, _ in facts.choices(field.source)]
    offered = [s for s in facts.subscriptions if s.key in keys]
    return next((s for s in offered if s.key == key), offered[0] if offered else None)


# ---- reads -------------------------------------------------------------------------


def help_(r: Request) -> None:
    if _extra_words(r, 0, "/license help"):
        return
    r.reply(replies.help_blocks(r.lang))


def status(r: Request) -> None:
    if _extra_words(r, 0, "/license status"):
        return
    overview = r.services.billing.overview(r.asker.customer_id, r.services.clock())
    today = pacific_day(r.services.clock())
    entry = r.services.card_entry
    reenter = entry is not None and entry.needs_reentry(overview.card)
    attention = warnings(r.lang, overview.subscriptions, overview.card, today, reenter)
    r.reply(
        replies.status_blocks(
            r.lang, overview.subscriptions, overview.waiting, attention, overview.next_invoice
        )
    )


def balance(r: Request) -> None:
    if _extra_words(r, 0, "/license balance"):
        return
    overview = r.services.billing.overview(r.asker.customer_id, r.services.clock())
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
        found = r.services.reader.invoices(r.asker.customer_id)
        r.reply(replies.invoices_blocks(r.lang, found, r.services.clock(), limit, r.tz))


def transactions(r: Request) -> None:
    if (limit := _count(r, 20)) is not None:
        entries = r.services.reader.ledger(r.asker.customer_id)
        r.reply(replies.transactions_blocks(r.lang, entries, limit, r.tz))


def audit(r: Request) -> None:
    page = audit_filters.typed(r.args)
    if page is None:
        r.usage(t(r.lang, audit_filters.USAGE))
        return
    rows = r.services.reader.audit(r.asker.customer_id, page)
    r.reply(audit_view.audit_blocks(r.lang, rows, page, r.tz))


def person(r: Request, user: str) -> Person:
    """A member of the asker's workspace, asked with its installation's token."""
    return r.services.directory.person(user, r.client, r.asker.team_id)


def plan(r: Request) -> None:
    """The catalogue; `plan price <code> annual|flexible <amount>` changes a price."""
    if not r.args:
        r.reply(replies.catalogue_blocks(r.lang, r.services.workspaces.products()))
        return
    if r.services.prices_by_operator:  # OAuth mode: no customer changes the catalogue
        r.refuse(t(r.lang, "Prices are set by the operator of this bot."))
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
    if not any(product.code == code for product in r.services.workspaces.products()):
        r.usage(t(r.lang, "No product with the code “{code}”.", code=escape(code[:40])))
        return
    order = cmd.SetPrice(product=code, plan=Plan(which), price=price)
    try:
        r.services.billing.order(
            r.asker.customer_id,
            order,
            at=r.services.clock(),
            actor=r.asker.actor,
            key=f"slack-command:{r.command.trigger_id}",
        )
    except BillingError as error:
        r.refuse(refusal(r.lang, error))
        return
    r.reply(replies.catalogue_blocks(r.lang, r.services.workspaces.products()))


def card(r: Request) -> None:
    """`/license billing` and `/license card`: a link to the processor's secure page."""
    if _extra_words(r, 0, f"/license {r.command.words[0].lower()}"):
        return
    problem, blocks = card_entry.link_blocks(r.services, r.asker)
    if problem is not None:
        r.refuse(problem)
        return
    r.reply(blocks, text=t(r.lang, card_view.ENTER))


from handlers import seats, workspace_setup  # noqa: E402  (they take this module's Request)

READS: dict[str, Callable[[Request], None]] = {
    "help": help_,
    "status": status,
    "plan": plan,
    "balance": balance,
    "invoices": invoices,
    "transactions": transactions,
    "admins": workspace_setup.admins,
    "channels": workspace_setup.channels,
    "setup": workspace_setup.setup,
    "audit": audit,
    "seats": seats.seats,
    "assign": seats.assign,
    "release": seats.release,
    "request": seats.request,
    "billing": card,
    "card": card,
}
MEMBERS = frozenset({"request"})
"""What any member of the workspace may do: ask for a licence (refusing anything else, the
bot says how)."""
"""Subcommands that read (or, for `plan price`, change the catalogue); every other word is
an order's, from the registry."""
