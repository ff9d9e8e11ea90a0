"""Ephemeral answers to `/license` reads, and the outcome of a change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from slack_sdk.models.blocks import Block

from billing.approvals import Approval
from billing.history import LedgerEntry
from billing.model import Balance, Invoice, Plan, Product, Status, Subscription
from billing.money import MINIMUM_PAYMENT
from services.orders import ORDERS
from views.i18n import (
    N_,
    Nn_,
    billing_day,
    code,
    days_used,
    instant,
    labelled,
    money,
    period,
    price,
    t,
    tn,
)
from views.kit import actions, button, context, header, packed, section
from views.lines import line_text

NOT_ALLOWED = N_("Only the organisation's admins can use licensebot. Ask an admin.")

READS = (
    ("/license help", N_("This list.")),
    ("/license status", N_("Subscriptions, licences, trials and terms.")),
    ("/license balance", N_("Current cycle, balance due, credit.")),
    ("/license invoices", N_("Recent invoices.")),
    ("/license transactions", N_("Charges, payments, credits and refunds.")),
    (
        "/license plan",
        N_(
            "The catalogue and its prices; super-admins: /license plan price chrome_enterprise annual 50.00."
        ),
    ),
    ("/license seats chrome", N_("Who holds each licence; release them from the list.")),
    ("/license request chrome", N_("Ask for a licence for yourself (any member).")),
    ("/license admins", N_("Who may act and who may request.")),
    ("/license channels", N_("Where billing alerts and requests to approve go.")),
    ("/license setup", N_("Choose the channels and who may act, in one form.")),
    (
        "/license audit chrome @ada",
        N_("Who changed what, and when (all, or by subscription or person)."),
    ),
)
"""The subcommands that read; those that place an order say how in the order registry."""

STATUS_TEXT = {
    Status.TRIAL: "trial",
    Status.ACTIVE: "active",
    Status.SUSPENDED: "suspended",
    Status.CANCELLED: "cancelled",
    Status.EXPIRED: "expired",
    Status.TRANSFERRED: "transferred",
    Status.RESELLER: "managed by a reseller",
}


def help_blocks(lang: str) -> list[Block]:
    usages = [*READS, *(entry.usage for entry in ORDERS if entry.usage is not None)]
    minimum = money(MINIMUM_PAYMENT, lang)
    lines = [f"`{example}`  {t(lang, text, minimum=minimum)}" for example, text in usages]
    return [header(t(lang, "licensebot: licences and billing")), section("\n".join(lines))]


def usage_blocks(lang: str, problem: str) -> list[Block]:
    return [
        section(f":warning: {problem}"),
        context(t(lang, "Nothing was changed. Try `/license help`.")),
    ]


def error_blocks(lang: str, problem: str) -> list[Block]:
    return [section(f":no_entry: {problem}"), context(t(lang, "Nothing was changed."))]


def plan_text(lang: str, plan: Plan) -> str:
    return t(lang, "annual plan") if plan is Plan.ANNUAL else t(lang, "flexible plan")


WAITING = Nn_(
    "{count} request waiting for a super-admin.", "{count} requests waiting for a super-admin."
)
HELD = Nn_("{count} licence held", "{count} licences held")
USERS = Nn_("{count} user", "{count} users")
"""A flexible plan counts users; only an annual one holds licences."""


def price_text(lang: str, sub: Subscription) -> str:
    if sub.plan is Plan.ANNUAL:
        return t(lang, "{price} per licence per year", price=price(sub.price, lang))
    return t(lang, "{price} per user per month", price=price(sub.price, lang))


def subscription_line(lang: str, sub: Subscription) -> str:
    status = t(lang, STATUS_TEXT[sub.status])
    facts = [f"*{sub.key}* · {sub.product} · {plan_text(lang, sub.plan)} · {status}"]
    held = tn(lang, HELD if sub.plan is Plan.ANNUAL else USERS, sub.licences)
    if not sub.ended:  # used / held: who holds them is /license seats
        named = N_("{used} assigned") if sub.plan is Plan.ANNUAL else N_("{used} named")
        held += " · " + t(lang, named, used=sub.seats_used)
    facts.append(held + " · " + price_text(lang, sub))
    if sub.status is Status.TRIAL:
        facts.append(t(lang, "free trial until {date}", date=billing_day(sub.trial_last_day, lang)))
    elif sub.term_end is not None and sub.plan is Plan.ANNUAL and not sub.ended:
        facts.append(
            t(
                lang,
                "term ends {date}; renewal: {mode}",
                date=billing_day(sub.term_end, lang),
                mode=code(lang, sub.renewal_mode.value),
            )
        )
    elif sub.ended and sub.term_end is not None:
        facts.append(t(lang, "last day of service {date}", date=billing_day(sub.term_end, lang)))
    if sub.reseller:
        facts.append(t(lang, "managed by {reseller}", reseller=sub.reseller))
    return "\n".join(facts)


def status_blocks(
    lang: str,
    subs: Sequence[Subscription],
    pending: Sequence[Approval],
    attention: Sequence[Block] = (),
    estimate: Decimal | None = None,
) -> list[Block]:
    """The subscriptions, what needs attention (see views.warnings), the next invoice."""
    blocks: list[Block] = [header(t(lang, "Subscriptions")), *attention]
    if not subs:
        blocks.append(section(t(lang, "No subscription yet. Start one with `/license subscribe`.")))
    blocks += packed([subscription_line(lang, sub) for sub in subs])
    if estimate is not None and subs:
        said = t(lang, "Next invoice, if nothing changes: {amount}.", amount=money(estimate, lang))
        blocks.append(context(said))
    if pending:
        blocks.append(context(tn(lang, WAITING, len(pending))))
    return blocks


def balance_fields(lang: str, balance: Balance) -> list[str]:
    return [
        f"*{t(lang, 'Current cycle')}*\n{money(balance.current_cycle, lang)}",
        f"*{t(lang, 'Balance due')}*\n{money(balance.balance_due, lang)}",
        f"*{t(lang, 'Credit')}*\n{money(balance.credit, lang)}",
        f"*{t(lang, 'Balance')}*\n{money(balance.total, lang)}",
    ]


def balance_blocks(lang: str, balance: Balance, estimate: Decimal, descriptor: str) -> list[Block]:
    meaning = t(
        lang,
        "Positive: owed. Negative: a credit, deducted from the next automatic charge or refunded on request.",
    )
    return [
        header(t(lang, "Balance")),
        section(
            t(lang, "Balance = current cycle + balance due − credit."),
            fields=balance_fields(lang, balance),
        ),
        context(meaning),
        context(
            t(
                lang,
                "Next invoice, if nothing changes: {amount}. Statement descriptor: {descriptor}.",
                amount=money(estimate, lang),
                descriptor=descriptor,
            )
        ),
    ]


def invoice_status(lang: str, invoice: Invoice, at: datetime) -> str:
    if invoice.unpaid == 0:
        return t(lang, "paid")
    if invoice.overdue_at(at):
        return t(lang, "overdue")
    return t(lang, "unpaid")


def invoices_blocks(
    lang: str, invoices: Sequence[Invoice], at: datetime, limit: int = 10, tz: str | None = None
) -> list[Block]:
    blocks: list[Block] = [header(t(lang, "Invoices"))]
    if not invoices:
        return [*blocks, section(t(lang, "No invoice yet."))]
    for invoice in list(invoices)[-limit:][::-1]:
        lines = "\n".join(
            "• "
            + labelled(lang, line_text(line, lang), money(line.amount, lang))
            + (f" ({days_used(line, lang)})" if line.quantity_days else "")
            for line in invoice.lines
        )
        blocks.append(
            section(
                f"*{invoice.number}* · {period(invoice, lang)} · {money(invoice.total, lang)} · {invoice_status(lang, invoice, at)}\n{lines}",
            )
        )
        blocks.append(context(t(lang, "Issued {when}", when=instant(invoice.issued_at, lang, tz))))
        blocks.append(
            actions(
                button(t(lang, "PDF"), INVOICE_PDF, invoice.number),
                button(t(lang, "CSV"), INVOICE_CSV, invoice.number),
            )
        )
    return blocks


INVOICE_PDF = "invoice_pdf"
INVOICE_CSV = "invoice_csv"

KIND_TEXT = {
    "charge": "charge",
    "payment": "payment",
    "credit": "credit",
    "credit_applied": "credit applied",
    "refund": "refund",
    "dispute": "dispute",
    "dispute_won": "dispute won",
}


def transactions_blocks(
    lang: str, rows: Sequence[LedgerEntry], limit: int = 20, tz: str | None = None
) -> list[Block]:
    if not rows:
        return [header(t(lang, "Transactions")), section(t(lang, "No transaction yet."))]
    text = "\n".join(
        f"{instant(row.at, lang, tz)} · {t(lang, KIND_TEXT[row.kind])} · {money(row.amount, lang)}"
        + (f" · {row.invoice}" if row.invoice else "")
        for row in list(rows)[-limit:][::-1]
    )
    return [header(t(lang, "Transactions")), section(text)]


def admins_blocks(
    lang: str, supers: Sequence[tuple[str, bool]], admins: Sequence[str]
) -> list[Block]:
    super_lines = [
        f"<@{user}>"
        + ("" if eligible else " · " + t(lang, "cannot act: a consumer (@gmail.com) account"))
        for user, eligible in supers
    ]
    return [
        header(t(lang, "Who may do what")),
        section(
            f"*{t(lang, 'Super-admins')}* · {t(lang, 'buy, cancel, transfer, renew, pay, decide requests')}\n"
            + ("\n".join(super_lines) or "—")
        ),
        section(
            f"*{t(lang, 'Admins')}* · {t(lang, 'look at everything, request changes')}\n"
            + (", ".join(f"<@{a}>" for a in admins) or t(lang, "workspace admins and owners"))
        ),
    ]


def channels_blocks(lang: str, billing: str, approvals: str, language: str) -> list[Block]:
    """Where alerts and requests go: a channel, or until one is set the installer's DM."""

    def where(target: str) -> str:
        if target.startswith(("U", "W")):
            return t(lang, "a direct message to <@{user}>", user=target)
        return f"<#{target}>" if target else "—"

    names = {"en": "English", "fr": "français"}
    return [
        header(t(lang, "Where alerts go")),
        section(
            f"*{t(lang, 'Billing alerts')}* · {where(billing)}\n"
            f"*{t(lang, 'Requests to approve')}* · {where(approvals)}\n"
            f"*{t(lang, 'Language in channels')}* · {names.get(language, language)}"
        ),
    ]


def catalogue_blocks(lang: str, products: Sequence[Product]) -> list[Block]:
    lines = [
        f"*{p.name}* (`{p.code}`)\n"
        + t(
            lang,
            "annual: {annual} per licence per year · flexible: {flexible} per user per month",
            annual=price(p.annual_price, lang),
            flexible=price(p.flexible_price, lang),
        )
        for p in products
    ]
    return [
        header(t(lang, "Catalogue")),
        section("\n\n".join(lines) or "—"),
        context(t(lang, "A subscription keeps the price it started at.")),
    ]
