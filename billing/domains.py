"""Domain registration: the full year is paid at once, then again on each anniversary."""

from __future__ import annotations

from datetime import date, datetime

from billing import commands as cmd
from billing.account import Account
from billing.calendar import ONE_DAY, add_months, pacific_day
from billing.errors import BillingError
from billing.ledger import draft, issue
from billing.lines import LineFacts, LineKind
from billing.model import Change, DomainRegistration, Invoice, InvoiceKind, InvoiceLine, Occasion
from billing.money import round_cents
from billing.orders import ensure_direct


def anniversary(registration: DomainRegistration, years: int) -> date:
    """The registration date `years` later (Feb 29 falls back to Feb 28)."""
    return add_months(registration.registered_on, 12 * years)


def year_invoice(
    account: Account, registration: DomainRegistration, first: date, at: datetime
) -> Invoice:
    last = add_months(first, 12) - ONE_DAY
    line = InvoiceLine(
        description=LineFacts(LineKind.DOMAIN, registration.domain, first, last).description,
        amount=round_cents(registration.price),
        quantity_days=0,
        period_start=first,
        period_end=last,
    )
    return draft(
        account,
        InvoiceKind.DOMAIN,
        f"domain:{registration.domain}:{first}",
        [line],
        at,
        (first, last),
    )


def register_domain(
    account: Account, order: cmd.RegisterDomain, at: datetime, occasion: Occasion
) -> Change:
    ensure_direct(account)
    domain = order.domain or account.customer.domain
    if any(reg.domain == domain for reg in account.domains):
        raise BillingError("{domain} is already registered", field="domain", domain=domain)
    day = pacific_day(at)
    registration = DomainRegistration(
        account.id, domain, order.price, at, next_renewal_on=add_months(day, 12)
    )
    account.add_domain(registration)
    issue(account, year_invoice(account, registration, day, at))
    return Change(order.name, domain, None, {"domain": domain, "price": str(order.price)})


def renew_domains(account: Account, day: date, at: datetime) -> list[Change]:
    """Invoice every anniversary reached by `day`; a transferred domain renews elsewhere."""
    if account.customer.reseller is not None:
        return []
    changes = []
    for registration in account.domains:
        while registration.next_renewal_on <= day:
            first = registration.next_renewal_on
            issue(account, year_invoice(account, registration, first, at))
            years = first.year - registration.registered_on.year + 1
            registration.next_renewal_on = anniversary(registration, years)
            account.touch_domain(registration)
            changes.append(
                Change("renew_domain", registration.domain, None, {"renewed_on": str(first)})
            )
    return changes
