"""Every order an admin can place, in one registry keyed by its command type.

An entry says everything about one order: its command model, the rule that applies it, the
sentences that forecast its cost, how it is summed up in a confirmation or an approval
request, and the form that asks for it in Slack. Adding an order is its command model, its
rule and its entry here; the service, dry runs, approvals, `simulate`, the Slack forms and
their confirmations all find it through this registry and nowhere else.

Forms are described, not drawn (services.forms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from billing import catalogue, domains, orders, payments, quotes
from billing import commands as cmd
from billing.account import Account
from billing.model import Change, Occasion, Plan, Subscription
from billing.money import MINIMUM_PAYMENT
from billing.quotes import Forecast, Line
from services.forms import (
    N_,
    Field,
    Form,
    FormContext,
    Input,
    Need,
    Note,
    Source,
)

C = TypeVar("C", bound=cmd.Command)
Rule = Callable[[Account, C, datetime, Occasion], Change]


# ---- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Order(Generic[C]):
    command: type[C]
    rule: Rule[C]
    title: str
    """The modal's title (English message id)."""
    summary: Callable[[C], tuple[Line, ...]]
    """One sentence saying what the order asks for, for confirmations and approval requests."""
    form: Form | None = None
    """None: an order that Slack places without a modal (a card, entered on the processor's
    page), or only `simulate` does."""
    forecast: Forecast[C] | None = None
    confirm: bool = True
    """A confirmation with the amounts before anything is committed."""
    subcommand: str | None = None
    """The `/license` word that opens its form (SPEC's word)."""
    usage: tuple[str, str] | None = None
    """How `/license help` shows it: an example and what it does (an English message id)."""

    @property
    def name(self) -> str:
        return self.command.name

    def apply(
        self, account: Account, order: cmd.Command, at: datetime, occasion: Occasion
    ) -> Change:
        return self.rule(account, self._typed(order), at, occasion)

    def lines(self, after: Account, order: cmd.Command, change: Change) -> tuple[Line, ...]:
        return () if self.forecast is None else self.forecast(after, self._typed(order), change)

    def describe(self, order: cmd.Command) -> tuple[Line, ...]:
        return self.summary(self._typed(order))

    def read(self, data: Mapping[str, Any]) -> C:
        """The command from its JSON form (modal metadata, an approval request)."""
        return self.command.model_validate(data)

    def _typed(self, order: cmd.Command) -> C:
        if not isinstance(order, self.command):
            raise TypeError(
                f"{self.name} takes a {self.command.__name__}, not {type(order).__name__}"
            )
        return order


class Registry:
    """The orders by command type, by name, and by the Slack word that opens their form."""

    def __init__(self, *entries: Order[Any]) -> None:
        self._by_type: dict[type[cmd.Command], Order[Any]] = {e.command: e for e in entries}
        self._by_name = {e.name: e for e in entries}
        self._by_word = {e.subcommand: e for e in entries if e.subcommand}
        if len(self._by_name) != len(entries) or len(self._by_type) != len(entries):
            raise ValueError("every order has one entry and one name")

    def __iter__(self) -> Iterator[Order[Any]]:
        return iter(self._by_type.values())

    def of(self, order: cmd.Command) -> Order[Any]:
        return self._by_type[type(order)]

    def named(self, name: str) -> Order[Any] | None:
        return self._by_name.get(LEGACY_NAMES.get(name, name))

    def opened_by(self, word: str) -> Order[Any] | None:
        return self._by_word.get(word)

    @property
    def names(self) -> list[str]:
        return list(self._by_name)

    @property
    def words(self) -> list[str]:
        """The `/license` words that open a form."""
        return list(self._by_word)


LEGACY_NAMES = {"refund": "refund_credit"}
"""Names release 1f2cbf2 gave orders, as they may still arrive from modals it opened."""


# ---- what the forms share ----------------------------------------------------------------


REASONS = (
    "too_expensive",
    "no_longer_needed",
    "missing_features",
    "switching_provider",
    "technical_issues",
    "other",
)
TERMS = Field(
    "terms",
    N_("Terms"),
    Input.TICK,
    options=(("yes", N_("I accept the terms of service")),),
    missing=N_("Accept the terms to continue."),
    into=None,
)
NO_SUBSCRIPTION = N_("There is no subscription yet. Start one with `/license subscribe`.")


def _subscription(source: Source = Source.SUBSCRIPTIONS) -> Field:
    return Field("subscription", N_("Subscription"), Input.CHOICE, source=source)


def _signup_fields(values: dict[str, Any], context: FormContext) -> dict[str, Any]:
    """The product code chosen in the form gives the product's name and its plan's price."""
    plan = values.get("plan") or Plan.FLEXIBLE.value
    product = context.product(values.get("product") or "")
    if product is None:
        return {**values, "plan": plan, "product": None}
    price = product.annual_price if plan == Plan.ANNUAL.value else product.flexible_price
    return {**values, "plan": plan, "product": product.name, "price": str(price)}


def _renewal_mode(_context: FormContext, sub: Subscription | None) -> dict[str, str]:
    return {"mode": sub.renewal_mode.value} if sub is not None else {}


def _payable(context: FormContext, _sub: Subscription | None) -> dict[str, str]:
    """The balance due, when it is at least the minimum payment."""
    return {"amount": str(context.balance_due)} if context.balance_due >= MINIMUM_PAYMENT else {}


def _expiry(value: tuple[int, int]) -> str:
    return f"{value[0]:04d}-{value[1]:02d}"


def _renewal_summary(order: cmd.Renewal) -> tuple[Line, ...]:
    mode = Line(
        "Set the renewal of {subscription} to “{mode}”",
        {"subscription": order.subscription, "mode": order.mode},
    )
    if order.licences is None:
        return (mode,)
    at_renewal = Line(
        ", {count} licence at renewal",
        {"count": order.licences},
        plural=", {count} licences at renewal",
    )
    return (mode, at_renewal)


def _cancel_summary(order: cmd.Cancel) -> tuple[Line, ...]:
    when = Line("now") if order.when == "now" else Line("at the end of the contract")
    return (
        Line(
            "Cancel {subscription} {when} (reason: {reason})",
            {"subscription": order.subscription, "when": when, "reason": order.reason},
        ),
    )


def _import_summary(order: cmd.ImportSeats) -> tuple[Line, ...]:
    return (
        Line(
            "Apply {count} seat change from a file",
            {"count": len(order.rows)},
            plural="Apply {count} seat changes from a file",
        ),
    )


def _refund_summary(order: cmd.RefundCredit) -> tuple[Line, ...]:
    if order.amount is None:
        return (Line("Refund the credit"),)
    return (Line("Refund {amount} of credit", {"amount": order.amount}),)


ORDERS = Registry(
    Order(
        cmd.Signup,
        orders.signup,
        title=N_("Subscribe"),
        summary=lambda o: (
            Line(
                "Subscribe to {product} ({plan}), {licences} licences at {price}, as “{subscription}”",
                {
                    "product": o.product,
                    "plan": o.plan,
                    "licences": o.licences,
                    "price": o.price,
                    "subscription": o.subscription,
                },
            ),
        ),
        forecast=quotes.signup,
        subcommand="subscribe",
        usage=("/license subscribe", N_("Start a subscription (14-day free trial).")),
        form=Form(
            (
                Field(
                    "product",
                    N_("Product"),
                    Input.CHOICE,
                    source=Source.PRODUCTS,
                    missing=N_("Choose a product."),
                ),
                Field(
                    "plan",
                    N_("Plan"),
                    Input.OPTIONS,
                    options=(
                        (
                            Plan.FLEXIBLE.value,
                            N_("Flexible: billed monthly for the users you have"),
                        ),
                        (Plan.ANNUAL.value, N_("Annual: a yearly commitment, paid monthly")),
                    ),
                    initial=Plan.FLEXIBLE.value,
                ),
                Field("licences", N_("Licences"), placeholder="25", max_length=7),
                Field(
                    "subscription",
                    N_("Short name"),
                    placeholder="chrome",
                    hint=N_("Used in commands, e.g. /license buy chrome 10."),
                    max_length=40,
                ),
                TERMS,
                Note(N_("Every new subscription starts with a 14-day free trial."), small=True),
            ),
            prepare=_signup_fields,
        ),
    ),
    Order(
        cmd.AddLicences,
        orders.add_licences,
        title=N_("Buy licences"),
        summary=lambda o: (
            Line(
                "Buy {count} additional licence for {subscription}",
                {"count": o.count, "subscription": o.subscription},
                plural="Buy {count} additional licences for {subscription}",
            ),
        ),
        forecast=quotes.add_licences,
        subcommand="buy",
        usage=("/license buy chrome 25", N_("Buy additional licences (25 more, not 25 in all).")),
        form=Form(
            (
                _subscription(),
                Field(
                    "count",
                    N_("Additional licences"),
                    placeholder="25",
                    max_length=7,
                    hint=N_("Only the licences to add, not the total: 25 held + 25 asked = 50."),
                ),
                TERMS,
            ),
            words=("subscription", "count"),
            needs=(
                Need.SUBSCRIPTION,
                N_(
                    "There is no subscription to buy licences for. Start one with `/license subscribe`."
                ),
            ),
        ),
    ),
    Order(
        cmd.SetUsers,
        orders.set_users,
        title=N_("Users"),
        summary=lambda o: (
            Line(
                "Set {subscription} to {count} user",
                {"subscription": o.subscription, "count": o.count - o.perpetual},
                plural="Set {subscription} to {count} users",
            ),
        ),
        forecast=quotes.set_users,
        subcommand="users",
        usage=("/license users ci 12", N_("Set the number of users (flexible plan).")),
        form=Form(
            (
                _subscription(),
                Field("count", N_("Users (or devices)"), placeholder="12", max_length=7),
                Field(
                    "perpetual",
                    N_("Of which devices with a built-in perpetual licence"),
                    optional=True,
                    placeholder="0",
                    max_length=7,
                    hint=N_("They never need a licence and are never billed."),
                ),
            ),
            words=("subscription", "count"),
            needs=(Need.SUBSCRIPTION, NO_SUBSCRIPTION),
        ),
    ),
    Order(
        cmd.Renewal,
        orders.renewal,
        title=N_("Renewal options"),
        summary=_renewal_summary,
        forecast=quotes.renewal,
        subcommand="renewal",
        usage=("/license renewal chrome", N_("Renewal options: auto, manual, cancel at expiry.")),
        form=Form(
            (
                _subscription(Source.ANNUAL),
                Field(
                    "mode",
                    N_("At the end of the term"),
                    Input.OPTIONS,
                    options=(
                        ("auto", N_("Renew automatically")),
                        ("manual", N_("Renew by hand")),
                        ("cancel_at_expiry", N_("Cancel my service at expiry")),
                    ),
                    initial="auto",
                ),
                Field(
                    "licences",
                    N_("Licences for the next term"),
                    optional=True,
                    max_length=7,
                    hint=N_(
                        "Leave empty to keep the current count. A reduction takes effect at renewal."
                    ),
                ),
            ),
            words=("subscription",),
            needs=(Need.ANNUAL, N_("Only annual plans renew, and there is none.")),
            prefill=_renewal_mode,
        ),
    ),
    Order(
        cmd.Renew,
        orders.renew,
        title=N_("Renew"),
        summary=lambda o: (
            Line("Renew {subscription} by hand for another term", {"subscription": o.subscription}),
        ),
    ),
    Order(
        cmd.Cancel,
        orders.cancel,
        title=N_("Cancel"),
        summary=_cancel_summary,
        forecast=quotes.cancel,
        subcommand="cancel",
        usage=("/license cancel chrome", N_("Cancel now or at the end of the contract.")),
        form=Form(
            (
                _subscription(),
                Field(
                    "when",
                    N_("When"),
                    Input.OPTIONS,
                    options=(
                        ("now", N_("Now: the rest of the contract is billed")),
                        ("at_expiry", N_("At the end of the contract")),
                    ),
                    initial="now",
                ),
                Field(
                    "reason",
                    N_("Reason"),
                    Input.CHOICE,
                    options=tuple((reason, reason) for reason in REASONS),
                ),
            ),
            words=("subscription",),
            needs=(Need.SUBSCRIPTION, N_("There is no subscription to cancel.")),
        ),
    ),
    Order(
        cmd.Transfer,
        orders.transfer,
        title=N_("Transfer"),
        summary=lambda o: (
            Line(
                "Transfer every subscription to the reseller {reseller}", {"reseller": o.reseller}
            ),
        ),
        subcommand="transfer",
        usage=("/license transfer", N_("Transfer every subscription to a reseller.")),
        form=Form(
            (
                Note(
                    N_(
                        "Every licence and the domain move to the reseller, who bills you from then on."
                    )
                ),
                Field("reseller", N_("Reseller"), placeholder="Acme Partners"),
                Field(
                    "token",
                    N_("Transfer token"),
                    optional=True,
                    hint=N_("Ask your reseller whether they need one."),
                ),
                Field(
                    "confirm",
                    N_("Confirmation"),
                    Input.TICK,
                    options=(("yes", N_("I understand that direct billing ends")),),
                    missing=N_("Tick the box to confirm."),
                    into=None,
                ),
            ),
        ),
    ),
    Order(
        cmd.RegisterDomain,
        domains.register_domain,
        title=N_("Register a domain"),
        summary=lambda o: (
            Line(
                "Register the domain {domain} for {price} a year",
                {"domain": o.domain or "", "price": o.price},
            ),
        ),
    ),
    Order(
        cmd.SetupBilling,
        payments.setup_billing,
        title=N_("Set up billing"),
        summary=lambda o: (
            Line(
                "Set up billing with {brand} •••• {last4}, expiring {expires}",
                {"brand": o.card.brand, "last4": o.card.last4, "expires": _expiry(o.card.expires)},
            ),
        ),
        confirm=False,
        subcommand="billing",
        usage=("/license billing", N_("Set up billing: the card is entered on a secure page.")),
        # no form: the card is entered on the processor's page (services.card_entry)
    ),
    Order(
        cmd.UpdateCard,
        payments.update_card,
        title=N_("Change card"),
        summary=lambda o: (
            Line(
                "Update the card (expiry {expires})",
                {"expires": _expiry(o.expires) if o.expires else "—"},
            ),
        ),
        confirm=False,
        subcommand="card",
        usage=("/license card", N_("Change the card, on a secure page.")),
        # no form: the card is entered on the processor's page (services.card_entry)
    ),
    Order(
        cmd.Pay,
        payments.pay,
        title=N_("Pay"),
        summary=lambda o: (Line("Pay {amount}", {"amount": o.amount}),),
        subcommand="pay",
        usage=("/license pay 25.00", N_("Pay the balance due (at least {minimum}).")),
        form=Form(
            (
                Note(N_("Balance due: {amount}"), amount="balance_due"),
                Field(
                    "method",
                    N_("Payment method"),
                    Input.CHOICE,
                    source=Source.CARD,
                    initial="card",
                    missing=N_("Choose a payment method."),
                    into=None,
                ),
                Field(
                    "amount",
                    N_("Amount ({currency})"),
                    placeholder="25.00",
                    max_length=12,
                    hint=N_("At least {minimum}."),
                ),
            ),
            words=("amount",),
            needs=(
                Need.CARD,
                N_("There is no payment method yet: set up billing with `/license billing`."),
            ),
            prefill=_payable,
        ),
    ),
    Order(
        cmd.RefundCredit,
        payments.refund_credit,
        title=N_("Refund credit"),
        summary=_refund_summary,
        subcommand="refund",
        usage=("/license refund", N_("Refund the account's credit.")),
        form=Form(
            (
                Note(N_("Credit available: {amount}"), amount="credit"),
                Field(
                    "amount",
                    N_("Amount ({currency})"),
                    optional=True,
                    max_length=12,
                    hint=N_("Leave empty to refund all of it."),
                ),
            ),
            needs=(Need.CREDIT, N_("There is no credit to refund.")),
        ),
    ),
    Order(
        cmd.SetPrice,
        catalogue.set_price,
        title=N_("Catalogue"),
        summary=lambda o: (
            Line(
                "Set the {plan} price of {product} to {price}",
                {"plan": o.plan, "product": o.product, "price": o.price},
            ),
        ),
        confirm=False,
    ),
    Order(
        cmd.Assign,
        orders.assign,
        title=N_("Assign licences"),
        summary=lambda o: (
            Line(
                "Give a licence of {subscription} to {holders}",
                {"subscription": o.subscription, "holders": o.to},
            ),
        ),
        confirm=False,
        subcommand="assign",
        usage=("/license assign chrome @ana", N_("Give licences to people, e-mails or devices.")),
    ),
    Order(
        cmd.Release,
        orders.release,
        title=N_("Release licences"),
        summary=lambda o: (
            Line(
                "Take back the licence of {subscription} from {holders}",
                {"subscription": o.subscription, "holders": o.to},
            ),
        ),
        confirm=False,
        subcommand="release",
        usage=("/license release chrome @ana", N_("Take licences back from their holders.")),
    ),
    Order(
        cmd.HolderLeft,
        orders.holder_left,
        title=N_("Someone left"),
        summary=lambda o: (
            Line("Reclaim the licences of {holder}, who left", {"holder": o.holder}),
        ),
        confirm=False,
    ),
    Order(
        cmd.ImportSeats,
        orders.import_seats,
        title=N_("Import seats"),
        summary=_import_summary,
        confirm=False,
    ),
)
"""Every order, once. The registry's own lookups are the only way from a name to an order."""
