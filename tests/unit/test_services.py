"""Unit tests of the rules and services on an account held in memory (no SQL): an order is
applied once per key and audited under its one name, a quote is what the order then records,
and an approval is decided together with its outcome."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from billing import commands as cmd
from billing.actors import Actor
from billing.approvals import ApprovalStatus
from billing.calendar import PACIFIC
from billing.errors import BillingError, NotAllowed
from billing.jobs import run_daily
from billing.model import AlertKind, InvoiceKind, Product, Status
from services.approvals import Approvals
from services.billing import Billing
from services.charging import Charger
from tests.unit.fakes import FakeStore, charger

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC)
ADA, GRACE = Actor.slack("UADA"), Actor.slack("UGRACE")
CHROME = cmd.Signup(
    subscription="chrome",
    product="Chrome Enterprise Upgrade",
    plan="annual",  # type: ignore[arg-type]
    licences=25,
    price="60.00",  # type: ignore[arg-type]
)
CARD = cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2030-12"))


@pytest.fixture
def store() -> FakeStore:
    return FakeStore([Product("chrome", "Chrome Enterprise Upgrade", Decimal("60"), Decimal("6"))])


@pytest.fixture
def charges(store: FakeStore) -> Charger:
    return charger(store, lambda: T0)


@pytest.fixture
def billing(store: FakeStore, charges: Charger) -> Billing:
    return Billing(store, charges=charges)


def run_days(store: FakeStore, billing: Billing, first: datetime, days: range) -> None:
    """The daily jobs at 00:00 of each day, each followed by the charges it recorded."""
    for n in days:
        at = first + timedelta(days=n)
        run_daily(store, at)
        assert billing.charges is not None
        billing.charges.run(at)


def in_service(store: FakeStore, billing: Billing) -> int:
    """Chrome, 25 annual licences at 60.00 a year, paid from Jan 24 with a card on file."""
    customer = billing.open_account("acme.example", T0).id
    billing.order(customer, CHROME, at=T0, actor=ADA, key="signup")
    billing.order(customer, CARD, at=T0, actor=ADA, key="card")
    # Jan 11 .. Mar 10: the trial ends, two monthly invoices
    run_days(store, billing, T0.replace(hour=0), range(1, 60))
    return customer


def test_an_order_is_applied_once_per_key_and_audited_under_its_name(
    store: FakeStore, billing: Billing
) -> None:
    customer = billing.open_account("acme.example", T0).id
    first = billing.order(customer, CHROME, at=T0, actor=ADA, key="k1")
    again = billing.order(customer, CHROME, at=T0, actor=ADA, key="k1")
    assert not first.replayed and again.replayed and again.after == first.after
    assert [s.key for s in store.kept(customer).subscriptions] == ["chrome"]
    assert store.actions(customer) == [("slack:UADA", "signup", "k1")]


def test_a_refused_order_changes_nothing(store: FakeStore, billing: Billing) -> None:
    customer = billing.open_account("acme.example", T0).id
    billing.order(customer, CHROME, at=T0, actor=ADA)
    commits = store.commits
    with pytest.raises(BillingError, match="already exists"):
        billing.order(customer, CHROME, at=T0, actor=ADA)
    assert store.commits == commits


def test_an_alert_an_order_causes_tells_whoever_placed_it(
    store: FakeStore, billing: Billing
) -> None:
    customer = billing.open_account("acme.example", T0).id
    billing.order(customer, CARD, at=T0, actor=ADA)
    billing.order(customer, cmd.Pay(amount="25.00"), at=T0, actor=GRACE)  # type: ignore[arg-type]
    assert [(a.kind.value, a.notify) for a in store.alerts] == [("payment_succeeded", "UGRACE")]


def test_a_quote_is_what_the_order_then_records(store: FakeStore, billing: Billing) -> None:
    customer = in_service(store, billing)
    at = datetime(2026, 3, 10, 11, 0, tzinfo=PACIFIC)
    cancel = cmd.Cancel(subscription="chrome", when="now", reason="too_expensive")
    quote = billing.quote(customer, cancel, at)
    assert store.kept(customer).subscription("chrome").status is Status.ACTIVE, "nothing kept"
    billing.order(customer, cancel, at=at, actor=ADA)
    [remainder] = [
        i for i in store.kept(customer).open_invoices if i.kind is InvoiceKind.CANCELLATION
    ]
    # Mar 11 .. Jan 23, 2027: (60 / 12) x 25 x (21/31 + 9 whole months + 23/31)
    # = 125 x 323 / 31 = 1302.419... -> 1302.42
    assert quote.invoiced == ((InvoiceKind.CANCELLATION, Decimal("1302.42")),)
    assert remainder.total == Decimal("1302.42")


def test_a_quote_of_a_payment_names_what_it_settles_and_the_credit_it_leaves(
    store: FakeStore, billing: Billing
) -> None:
    customer = billing.open_account("acme.example", T0).id
    billing.order(customer, CHROME, at=T0, actor=ADA)
    expired = cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2026-01"))
    billing.order(customer, expired, at=T0, actor=ADA)
    # to Feb 1: January's invoice, its charge failing on the expired card
    run_days(store, billing, T0.replace(hour=0), range(1, 23))
    [invoice] = store.kept(customer).unpaid()
    # Jan 24..31 paid: (60 / 12) x 25 x 8 / 31 = 32.258... -> 32.26
    assert invoice.total == Decimal("32.26")
    billing.order(
        customer, cmd.UpdateCard(expires="2030-12"), at=T0 + timedelta(days=22), actor=ADA
    )
    quote = billing.quote(customer, cmd.Pay(amount="40.00"), T0 + timedelta(days=22))  # type: ignore[arg-type]
    assert quote.settles == ((invoice.number, Decimal("32.26")),)
    assert quote.credit == Decimal("7.74")


def test_a_quote_adds_to_this_month_what_the_invoice_will_show(
    store: FakeStore, billing: Billing
) -> None:
    customer = in_service(store, billing)
    at = datetime(2026, 3, 10, 11, 0, tzinfo=PACIFIC)
    quote = billing.quote(customer, cmd.AddLicences(subscription="chrome", count=5), at)
    # 5 more licences for Mar 10..31 (22 days): (60 / 12) x 5 x 22 / 31 = 17.741... -> 17.74
    assert quote.this_month == Decimal("17.74")
    [line] = [said.template for said in quote.lines if "per month" in said.template]
    assert (
        line == "Then {amount} per month for {count} licence."
    )  # the plural form chosen when shown


def test_a_quote_is_refused_for_the_reasons_the_order_would_be(
    store: FakeStore, billing: Billing
) -> None:
    customer = in_service(store, billing)
    with pytest.raises(NotAllowed, match="only be reduced at renewal"):
        billing.quote(
            customer, cmd.SetUsers(subscription="chrome", count=5), T0 + timedelta(days=60)
        )


def test_an_approved_request_is_applied_with_its_decision(
    store: FakeStore, billing: Billing
) -> None:
    approvals = Approvals(store, store, billing)
    customer = billing.open_account("acme.example", T0).id
    request, new = approvals.request(customer, GRACE, CHROME, "fr", T0, "view-1")
    assert new and request.id is not None and request.status is ApprovalStatus.PENDING
    assert approvals.request(customer, GRACE, CHROME, "fr", T0, "view-1") == (request, False)
    decided = approvals.decide(customer, request.id, True, ADA, T0)
    assert decided is not None and decided.status is ApprovalStatus.APPLIED
    assert [s.key for s in store.kept(customer).subscriptions] == ["chrome"]
    assert approvals.decide(customer, request.id, True, ADA, T0) is None, "decided once"
    assert store.actions(customer) == [
        ("slack:UGRACE", "approval_request", None),
        ("slack:UADA", "signup", f"approval:{request.id}"),
        ("slack:UADA", "approval_approved", None),
    ]


def test_an_approved_order_the_rules_refuse_fails_with_its_reason_and_keeps_nothing(
    store: FakeStore, billing: Billing
) -> None:
    approvals = Approvals(store, store, billing)
    customer = billing.open_account("acme.example", T0).id
    request, _ = approvals.request(customer, GRACE, CHROME, "en", T0, "view-1")
    billing.order(customer, CHROME, at=T0, actor=ADA)  # someone made it meanwhile
    assert request.id is not None
    decided = approvals.decide(customer, request.id, True, ADA, T0)
    assert decided is not None and decided.status is ApprovalStatus.FAILED
    assert decided.failure is not None and "already exists" in decided.failure.template
    assert len(store.kept(customer).subscriptions) == 1
    assert [a for _, a, key in store.actions(customer) if key == f"approval:{request.id}"] == []


def test_a_denied_request_changes_nothing_else(store: FakeStore, billing: Billing) -> None:
    approvals = Approvals(store, store, billing)
    customer = billing.open_account("acme.example", T0).id
    request, _ = approvals.request(customer, GRACE, CHROME, "en", T0, "view-1")
    assert request.id is not None
    decided = approvals.decide(customer, request.id, False, ADA, T0)
    assert decided is not None and decided.status is ApprovalStatus.DENIED
    assert store.kept(customer).subscriptions == []
    assert approvals.pending(customer) == []


def test_another_customers_request_is_not_found(store: FakeStore, billing: Billing) -> None:
    approvals = Approvals(store, store, billing)
    acme = billing.open_account("acme.example", T0).id
    other = billing.open_account("other.example", T0).id
    request, _ = approvals.request(acme, GRACE, CHROME, "en", T0, "view-1")
    assert request.id is not None
    assert approvals.decide(other, request.id, True, ADA, T0) is None
    assert approvals.get(other, request.id) is None
    assert store.kept(acme).subscriptions == [] and store.kept(other).subscriptions == []


def test_a_price_change_is_an_order_like_any_other(store: FakeStore, billing: Billing) -> None:
    customer = billing.open_account("acme.example", T0).id
    order = cmd.SetPrice(product="chrome", plan="annual", price="55.00")  # type: ignore[arg-type]
    billing.order(customer, order, at=T0, actor=ADA, key="price-1")
    billing.order(customer, order, at=T0, actor=ADA, key="price-1")
    assert store.kept(customer).catalogue["chrome"].annual_price == Decimal("55.00")
    assert store.actions(customer) == [("slack:UADA", "set_price", "price-1")]


def _issued(store: FakeStore) -> list[tuple[str, Decimal]]:
    return [
        (alert.invoice.key, alert.invoice.total)
        for alert in store.alerts
        if alert.kind is AlertKind.INVOICE_ISSUED and alert.invoice is not None
    ]


def test_a_transfer_before_the_monthly_run_reached_the_account_loses_no_month(
    store: FakeStore, billing: Billing
) -> None:
    """Settled detail 15 with the run still catching up: a transfer at 09:00 on Apr 1, before
    the 00:00 run reached this account, issues March's invoice first, then the final one;
    the late run then issues nothing."""
    customer = in_service(store, billing)
    day = T0.replace(hour=0)
    for n in range(60, 81):  # Mar 11 .. Mar 31
        run_daily(store, day + timedelta(days=n))
    april = datetime(2026, 4, 1, 9, 0, tzinfo=PACIFIC)
    billing.order(customer, cmd.Transfer(reseller="Acme Partners"), at=april, actor=ADA)
    run_daily(store, april.replace(hour=0))
    # March, D = 31: (60 / 12) x 25 x 31 / 31 = 125.00; April 1 alone, D = 30:
    #   (60 / 12) x 25 x 1 / 30 = 4.1666... -> 4.17
    assert _issued(store)[-2:] == [
        ("monthly:2026-03", Decimal("125.00")),
        ("final:2026-04-01", Decimal("4.17")),
    ]
