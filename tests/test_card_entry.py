"""Card entry on the processor's hosted page (SPEC "Payments through a processor" 2): a link
made per request, single use and expiring, whose state saves the card the processor reports
on the account it was made for, in the name of who asked; then the invoice charges it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.gateway import SavedCard
from billing.model import Card, Change, Plan
from scheduler.runner import Runner
from services.billing import Billing
from services.card_entry import EXPIRED, OTHER_ACCOUNT, UNKNOWN, USED, CardEntry, Refused
from services.charging import Charger, sandbox_charger
from storage.card_entries import SqlCardEntries
from storage.models import AlertRow, Base, SandboxChargeRow
from storage.store import SqlStore

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC)
VISA = SavedCard("pm_sandbox_visa_4242_203012", "visa", "4242", 2030, 12)
DECLINING = SavedCard("pm_sandbox_visa_0002_203012", "visa", "0002", 2030, 12)


def card_entry(store: SqlStore, base_url: str = "http://sandbox.test") -> CardEntry:
    charger = sandbox_charger(store, lambda: T0, base_url)
    billing = Billing(store, charges=charger)
    return CardEntry(billing, SqlCardEntries(store), charger, store)


def state_of(url: str) -> str:
    assert url.startswith("http://sandbox.test/sandbox/card?state="), url
    return url.split("state=", 1)[1]


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(r) for r in connection.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


def card_row(engine: Engine, customer_id: int) -> tuple[Any, ...] | None:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT brand, last4, exp_year, exp_month, processor_method FROM payment_methods"
                " WHERE customer_id = :c AND replaced_at IS NULL"
            ),
            {"c": customer_id},
        ).first()
    return None if row is None else tuple(row)


def audit(engine: Engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT actor, action, idempotency_key FROM audit_log ORDER BY id")
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_link_saves_the_card_the_processor_reports_in_the_name_of_who_asked(
    store: SqlStore,
) -> None:
    entry = card_entry(store)
    customer = store.create_customer("acme.example", T0)
    url = entry.start(customer.id, "UADA", "setup_billing", T0)
    state = state_of(url)
    assert len(state) >= 40  # 32 random bytes

    change = entry.complete(state, VISA, T0 + timedelta(minutes=5))

    assert isinstance(change, Change) and not change.replayed
    assert card_row(store.engine, customer.id) == (
        "visa",
        "4242",
        2030,
        12,
        "pm_sandbox_visa_4242_203012",
    )
    assert ("slack:UADA", "setup_billing", f"card-entry:{state}") in audit(store.engine)
    with store.engine.connect() as connection:
        alerts = connection.execute(
            select(AlertRow.kind, AlertRow.notify_user, AlertRow.facts)
        ).all()
    assert [(a.kind, a.notify_user) for a in alerts] == [("card_saved", "UADA")]
    assert alerts[0].facts["card"] == "visa •••• 4242 (12/2030)"


def test_a_link_is_single_use(store: SqlStore) -> None:
    entry = card_entry(store)
    customer = store.create_customer("acme.example", T0)
    state = state_of(entry.start(customer.id, "UADA", "setup_billing", T0))
    assert isinstance(entry.complete(state, VISA, T0), Change)
    before = snapshot(store.engine)
    again = entry.complete(state, DECLINING, T0 + timedelta(minutes=1))
    assert again == Refused(USED)
    assert snapshot(store.engine) == before
    assert card_row(store.engine, customer.id)[1] == "4242"  # type: ignore[index]


def test_a_link_expires_after_an_hour(store: SqlStore) -> None:
    entry = card_entry(store)
    customer = store.create_customer("acme.example", T0)
    state = state_of(entry.start(customer.id, "UADA", "setup_billing", T0))
    before = snapshot(store.engine)
    assert entry.complete(state, VISA, T0 + timedelta(hours=1)) == Refused(EXPIRED)
    assert snapshot(store.engine) == before
    # a minute before its hour is up, it still works
    assert isinstance(entry.complete(state, VISA, T0 + timedelta(minutes=59)), Change)


@pytest.mark.parametrize("state", ["", "nope", "x" * 65, "' OR 1=1 --"])
def test_an_unknown_state_is_refused_and_changes_nothing(store: SqlStore, state: str) -> None:
    entry = card_entry(store)
    customer = store.create_customer("acme.example", T0)
    entry.start(customer.id, "UADA", "setup_billing", T0)
    before = snapshot(store.engine)
    assert entry.complete(state, VISA, T0) == Refused(UNKNOWN)
    assert snapshot(store.engine) == before


def test_a_state_from_one_workspace_never_saves_a_card_on_another(store: SqlStore) -> None:
    entry = card_entry(store)
    a = store.create_customer("a.example", T0)
    b = store.create_customer("b.example", T0)
    state_a = state_of(entry.start(a.id, "UADA", "setup_billing", T0))
    state_b = state_of(entry.start(b.id, "UBOB", "setup_billing", T0))
    # the processor says the card was saved on B's processor customer, with A's state: refused
    before = snapshot(store.engine)
    assert entry.complete(state_a, VISA, T0, processor_customer=f"cus_sandbox_{b.id}") == (
        Refused(OTHER_ACCOUNT)
    )
    assert snapshot(store.engine) == before
    # A's state saves on A, whoever completes it; B keeps no card
    assert isinstance(entry.complete(state_a, VISA, T0), Change)
    assert card_row(store.engine, a.id) is not None
    assert card_row(store.engine, b.id) is None
    assert isinstance(entry.complete(state_b, DECLINING, T0), Change)
    assert card_row(store.engine, a.id)[1] == "4242"  # type: ignore[index]
    assert card_row(store.engine, b.id)[1] == "0002"  # type: ignore[index]


def test_a_card_past_its_expiry_month_is_refused_and_the_link_still_works(
    store: SqlStore,
) -> None:
    entry = card_entry(store)
    customer = store.create_customer("acme.example", T0)
    state = state_of(entry.start(customer.id, "UADA", "setup_billing", T0))
    before = snapshot(store.engine)
    expired = SavedCard("pm_sandbox_visa_4242_202512", "visa", "4242", 2025, 12)
    refused = entry.complete(state, expired, T0)
    assert isinstance(refused, Refused) and refused.error is not None
    assert refused.message == "this card expired at the end of {expires}"
    assert snapshot(store.engine) == before
    assert isinstance(entry.complete(state, VISA, T0), Change)


def test_changing_the_card_replaces_it_with_the_new_processor_id(store: SqlStore) -> None:
    entry = card_entry(store)
    customer = store.create_customer("acme.example", T0)
    entry.complete(state_of(entry.start(customer.id, "UADA", "setup_billing", T0)), VISA, T0)
    state = state_of(entry.start(customer.id, "UADA", "update_card", T0))
    newer = SavedCard("pm_sandbox_mastercard_5454_203105", "mastercard", "5454", 2031, 5)
    change = entry.complete(state, newer, T0 + timedelta(minutes=1))
    assert isinstance(change, Change)
    assert change.action == "update_card"
    assert card_row(store.engine, customer.id) == (
        "mastercard",
        "5454",
        2031,
        5,
        "pm_sandbox_mastercard_5454_203105",
    )


def test_two_completions_at_once_save_one_card(shared_engine: Engine) -> None:
    store = SqlStore(shared_engine)
    entry = card_entry(store)
    customer = store.create_customer("acme.example", T0)
    state = state_of(entry.start(customer.id, "UADA", "setup_billing", T0))
    results: list[Any] = []
    start = threading.Barrier(4)

    def complete(card: SavedCard) -> None:
        start.wait()
        results.append(entry.complete(state, card, T0))

    threads = [threading.Thread(target=complete, args=(c,)) for c in (VISA, DECLINING) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    saved = [a for a in audit(store.engine) if a[1] == "setup_billing"]
    assert len(saved) == 1
    with store.engine.connect() as connection:
        cards = connection.execute(text("SELECT count(*) FROM payment_methods")).scalar()
    assert cards == 1
    assert len(results) == 4


def test_the_next_invoice_charges_the_card_entered_on_the_page(store: SqlStore) -> None:
    """25 annual licences at 60.00 from Jan 10, the card entered on the page the same day:
    January's invoice (Jan 24..31) is 60 / 12 x 25 x 8 / 31 = 32.258... -> 32.26, charged on
    Feb 1 to the processor's payment method that the page saved."""
    entry = card_entry(store)
    billing = entry.billing
    customer = store.create_customer("acme.example", T0)
    signup = cmd.Signup(
        subscription="chrome",
        product="Chrome Enterprise Upgrade",
        plan=Plan.ANNUAL,
        licences=25,
        price=Decimal("60.00"),
    )
    billing.order(customer.id, signup, at=T0, actor=Actor.slack("UADA"))
    state = state_of(entry.start(customer.id, "UADA", "setup_billing", T0))
    assert isinstance(entry.complete(state, VISA, T0 + timedelta(minutes=30)), Change)
    charger = entry.processor
    assert isinstance(charger, Charger)
    Runner(store, T0, settle=lambda at: charger.run(at)).run_until(
        datetime(2026, 2, 1, 1, 0, tzinfo=PACIFIC)
    )
    with store.engine.connect() as connection:
        charges = connection.execute(
            select(SandboxChargeRow.payment_method, SandboxChargeRow.amount).where(
                SandboxChargeRow.succeeded
            )
        ).all()
    assert [tuple(c) for c in charges] == [("pm_sandbox_visa_4242_203012", Decimal("32.26"))]
    [invoice] = store.invoices(customer.id)
    assert invoice.unpaid == Decimal("0.00")


class StripeLike:
    """A processor that cannot take over cards saved before it (Stripe's `adopt`)."""

    name = "stripe"

    def create_customer(self, customer_id: int, domain: str) -> str:
        return f"cus_{customer_id}"

    def card_entry_url(self, processor_customer: str, state: str, return_url: str) -> str:
        return f"http://sandbox.test/sandbox/card?state={state}"

    def adopt(self, *_: object) -> None:
        return None


def test_a_card_from_before_the_processor_needs_reentry_only_where_it_cannot_be_adopted(
    store: SqlStore,
) -> None:
    entry = card_entry(store)
    old = Card("visa", "4242", 2030, 12)
    assert entry.needs_reentry(old) is False  # the sandbox keeps it working
    entry.processor.gateway = StripeLike()  # type: ignore[misc,assignment]
    assert entry.needs_reentry(old) is True
    assert entry.needs_reentry(Card("visa", "4242", 2030, 12, payment_method="pm_1")) is False
    assert entry.needs_reentry(None) is False


def kinds(engine: Engine, kind: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text("SELECT customer_id, occasion FROM alerts WHERE kind = :k"), {"k": kind}
            )
        ]


def test_a_card_from_before_the_processor_is_asked_for_once(store: SqlStore) -> None:
    entry = card_entry(store)
    a = store.create_customer("a.example", T0)
    b = store.create_customer("b.example", T0)
    old = cmd.SetupBilling.model_validate(
        {"card": {"brand": "visa", "last4": "4242", "expires": "2030-12"}}
    )
    for customer in (a, b):
        entry.billing.order(customer.id, old, at=T0, actor=Actor.slack("UADA"))
    assert entry.ask_for_reentry(T0) == 0  # the sandbox: nothing to ask
    assert kinds(store.engine, "card_reentry_needed") == []

    entry.processor.gateway = StripeLike()  # type: ignore[misc,assignment]
    # b's card is entered on the page first: only a's is asked for
    state = state_of(entry.start(b.id, "UBOB", "update_card", T0))
    assert isinstance(entry.complete(state, VISA, T0), Change)
    assert entry.ask_for_reentry(T0 + timedelta(hours=1)) == 1
    assert entry.ask_for_reentry(T0 + timedelta(hours=2)) == 0  # once
    [(customer, occasion)] = kinds(store.engine, "card_reentry_needed")
    assert customer == a.id and occasion.startswith("card-reentry:")
    asked = [r for r in audit(store.engine) if r[1] == "card_reentry_needed"]
    assert asked == [("licensebot", "card_reentry_needed", occasion)]
