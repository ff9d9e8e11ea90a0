"""Each modal flow, end to end: the form as Slack submits it, field errors as
`response_action: errors`, the confirmation showing the computed amounts for anything that
spends money, and the confirmed change in the rows it leaves (subscriptions, quantities,
invoices, ledger, audit with actor slack:<user>)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import select

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.model import Plan
from bot.sandbox.signing import checkboxes, plain, radio
from bot.sandbox.signing import select as chosen
from storage.models import SubscriptionRow
from tests.slack.bot import SUPER, Running
from tests.slack.flows import (
    advance,
    audit_actions,
    card_on_file,
    card_values,
    closes_everything,
    confirm,
    every_stored_text,
    invoiced_account,
    new_view_id,
    open_modal,
    result_text,
    rows,
    sign_up,
    signup_values,
    snapshot,
    submit,
    submit_and_confirm,
    view_text,
)


def cents(value: Fraction) -> Decimal:
    """Half-up to the cent, computed here independently of the code under test."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def half_up(value: Fraction) -> Decimal:
    return cents(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def days_in(day: date) -> int:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - date(day.year, day.month, 1)).days


def refused(answer: Any, field: str, says: str | None = None) -> str:
    assert answer.status == 200, answer.body
    assert answer.json is not None and answer.json["response_action"] == "errors", answer.body
    errors = answer.json["errors"]
    assert list(errors) == [field], errors
    if says is not None:
        assert says in errors[field], errors
    return str(errors[field])


def subscriptions(bot: Running) -> dict[str, Any]:
    """The subscription rows by key, with typed columns (money as Decimal, dates as date)."""
    table = SubscriptionRow.__table__
    with bot.store.engine.connect() as connection:
        return {row.key: row for row in connection.execute(select(table).order_by(table.c.id))}


def licences(bot: Running, key: str) -> list[int]:
    return [
        quantity
        for (quantity,) in rows(
            bot.store.engine,
            "SELECT q.quantity FROM quantity_changes q JOIN subscriptions s "
            "ON s.id = q.subscription_id WHERE s.key = :key ORDER BY q.id",
            key=key,
        )
    ]


def ledger(bot: Running) -> list[tuple[str, Decimal]]:
    return [(row.kind, row.amount) for row in bot.store.ledger(bot.customer_id)]


# ---- sign-up -------------------------------------------------------------------------------


def test_subscribe_confirms_the_trial_and_monthly_cost_then_creates_the_subscription(
    bot: Running,
) -> None:
    engine = bot.store.engine
    assert bot.customer_id
    before = snapshot(engine)
    shown, done = submit_and_confirm(bot, SUPER, "signup", signup_values(licences="25"))
    confirmation = view_text(shown.json["view"])  # type: ignore[index]
    assert "Free trial until Jan 23, 2026" in confirmation
    assert f"${half_up(Fraction(50 * 25, 12))}" in confirmation  # (A / 12) x L
    assert snapshot(engine) != before
    assert "Done: Subscribe to Chrome Enterprise Upgrade (annual plan)" in result_text(done)
    chrome = subscriptions(bot)["chrome"]
    assert (chrome.status, chrome.plan, chrome.price) == ("trial", "annual", Decimal("50.0000"))
    assert licences(bot, "chrome") == [25]
    assert ("slack:USUPER", "signup", "chrome") in audit_actions(engine)


def test_the_form_alone_changes_nothing_until_confirmed(bot: Running) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    shown = submit(bot, SUPER, "signup", signup_values())
    assert shown.json is not None and shown.json["view"]["callback_id"] == "confirm"
    assert snapshot(bot.store.engine) == before


def test_the_confirmation_is_pushed_over_the_form_and_done_closes_both(bot: Running) -> None:
    """Issue 11: a confirmation that replaced the form lost it, since its Back closed the
    modal. Pushed, its Back (Slack's close of a pushed view) returns to the filled-in form;
    the result of confirming replaces the confirmation, and its Done ends the whole modal."""
    form_id = new_view_id()
    shown = submit(bot, SUPER, "signup", signup_values(), view_id=form_id)
    assert shown.json is not None and shown.json["response_action"] == "push", shown.json
    confirmation = shown.json["view"]
    assert confirmation["close"]["text"] == "Back"
    assert not confirmation.get("clear_on_close"), "Back must return to the form"
    done = confirm(bot, SUPER, shown, form_id)
    assert "Done: Subscribe" in result_text(done)
    assert closes_everything(done)
    assert done.json is not None and done.json["view"]["close"]["text"] == "Done"


def test_a_refusal_on_confirming_is_shown_with_a_way_back_to_the_form(bot: Running) -> None:
    """The order became impossible between the form and its confirmation: the refusal takes
    the confirmation's place, and its Back returns to the form (under it) to change it."""
    form_id = new_view_id()
    shown = submit(bot, SUPER, "signup", signup_values(key="chrome"), view_id=form_id)
    sign_up(bot, "chrome")  # meanwhile, someone else took the name
    refusal = confirm(bot, SUPER, shown, form_id)
    assert "already exists" in result_text(refusal)
    assert refusal.json is not None and refusal.json["view"]["close"]["text"] == "Back"
    assert not closes_everything(refusal)


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"licences": plain("0")}, "licences", "Must be at least 1."),
        ({"licences": plain("ten")}, "licences", "Give a whole number."),
        ({"licences": plain("2.5")}, "licences", "Give a whole number."),
        ({"licences": plain("9999999")}, "licences", "Must be at most 1000000."),
        ({"subscription": plain("my chrome!")}, "subscription", "Use letters, digits"),
        ({"terms": checkboxes()}, "terms", "Accept the terms to continue."),
        ({"product": chosen("nosuch")}, "product", "Choose a product."),
        ({"plan": radio("monthly")}, "plan", "Choose one of the options."),
    ],
)
def test_subscribe_field_errors(
    bot: Running, change: dict[str, Any], field: str, says: str
) -> None:
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    answer = submit(bot, SUPER, "signup", {**signup_values(), **change})
    refused(answer, field, says)
    assert snapshot(bot.store.engine) == before


def test_a_required_field_left_empty_is_named(bot: Running) -> None:
    """Slack checks required fields itself; a payload without one still gets a clear error."""
    values = signup_values()
    values["licences"] = {"type": "plain_text_input", "value": None}
    refused(submit(bot, SUPER, "signup", values), "licences", "Required.")


# ---- every error at once (issue 11) ---------------------------------------------------------

CARD_NUMBER = "4242424242424242"
EMPTY_TEXT = {"type": "plain_text_input", "value": None}
NOTHING_CHOSEN = {"type": "static_select", "selected_option": None}


def every_error(answer: Any) -> dict[str, str]:
    assert answer.status == 200, answer.body
    assert answer.json is not None and answer.json["response_action"] == "errors", answer.body
    return dict(answer.json["errors"])


def test_an_empty_subscribe_form_names_every_required_field_at_once(bot: Running) -> None:
    """Held before issue 11's fix, for a state that has every input (the one-at-a-time came
    from the checks below); kept so that it stays so."""
    values = {
        "product": NOTHING_CHOSEN,
        "plan": radio("flexible"),
        "licences": EMPTY_TEXT,
        "subscription": EMPTY_TEXT,
        "terms": checkboxes(),
    }
    assert every_error(submit(bot, SUPER, "signup", values)) == {
        "product": "Choose a product.",
        "licences": "Required.",
        "subscription": "Required.",
        "terms": "Accept the terms to continue.",
    }


def test_every_wrong_field_of_a_subscribe_form_is_named_at_once(bot: Running) -> None:
    """A card number in one field was refused alone: the other fields' errors came one
    submission later, one at a time."""
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    values = {
        "product": chosen("nosuch"),
        "plan": radio("monthly"),
        "licences": plain("ten"),
        "subscription": plain(CARD_NUMBER),
        "terms": checkboxes(),
    }
    assert every_error(submit(bot, SUPER, "signup", values)) == {
        "product": "Choose a product.",
        "plan": "Choose one of the options.",
        "licences": "Give a whole number.",
        "subscription": "looks like a card number: never type one in Slack",
        "terms": "Accept the terms to continue.",
    }
    assert snapshot(bot.store.engine) == before


def test_errors_go_on_the_forms_own_inputs_even_those_its_state_lacks(bot: Running) -> None:
    """Errors for inputs missing from a submission's state went, all but one lost, on the
    first input it had; the view's blocks say which inputs the form has."""
    view = open_modal(bot, SUPER, "subscribe")
    state = {"values": {"plan": {"value": radio("annual")}}}
    answer = bot.sender.view_submission(SUPER, {**view, "id": new_view_id(), "state": state})
    assert set(every_error(answer)) == {"product", "licences", "subscription", "terms"}


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        ("abc", "Write an amount such as 25.00"),
        ("5", "At least $10.00."),
        (CARD_NUMBER, "looks like a card number"),
    ],
)
def test_every_wrong_field_of_a_payment_is_named_at_once(
    bot: Running, amount: str, says: str
) -> None:
    card_on_file(bot)
    values = {"method": NOTHING_CHOSEN, "amount": plain(amount)}
    errors = every_error(submit(bot, SUPER, "pay", values))
    assert set(errors) == {"method", "amount"}, errors
    assert errors["method"] == "Choose a payment method."
    assert says in errors["amount"]


def test_every_wrong_field_of_a_transfer_is_named_at_once(bot: Running) -> None:
    values = {"reseller": plain(CARD_NUMBER), "token": EMPTY_TEXT, "confirm": checkboxes()}
    errors = every_error(submit(bot, SUPER, "transfer", values))
    assert errors == {
        "reseller": "looks like a card number: never type one in Slack",
        "confirm": "Tick the box to confirm.",
    }


def test_a_second_subscription_under_the_same_name_is_refused(bot: Running) -> None:
    sign_up(bot, "chrome")
    before = snapshot(bot.store.engine)
    answer = submit(bot, SUPER, "signup", signup_values(key="chrome"))
    if answer.json and answer.json["response_action"] == "push":
        answer = confirm(bot, SUPER, answer, new_view_id())
        assert "already exists" in result_text(answer)
    else:
        refused(answer, "subscription", "already exists")
    assert snapshot(bot.store.engine) == before


# ---- licences and users --------------------------------------------------------------------


def test_buy_licences_adds_to_what_is_held(bot: Running) -> None:
    invoiced_account(bot)  # Chrome paid since Jan 24; now Mar 1, 09:00
    values = {"subscription": chosen("chrome"), "count": plain("25"), "terms": checkboxes("yes")}
    shown, done = submit_and_confirm(bot, SUPER, "add_licences", values)
    confirmation = view_text(shown.json["view"])  # type: ignore[index]
    rest_of_march = half_up(Fraction(50, 12) * 25 * 31 / 31)
    assert f"Added to this month's usage: ${rest_of_march}" in confirmation
    assert f"${half_up(Fraction(50 * 50, 12))} per month for 50 licences" in confirmation
    assert "Done: Buy 25 additional licences for chrome" in result_text(done)
    assert licences(bot, "chrome") == [25, 50]
    assert ("slack:USUPER", "add_licences", "chrome") in audit_actions(bot.store.engine)


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"count": plain("0")}, "count", "Must be at least 1."),
        ({"count": plain("-4")}, "count", "Must be at least 1."),
        ({"terms": checkboxes()}, "terms", "Accept the terms"),
        ({"subscription": chosen("nosuch")}, "subscription", "nosuch"),
    ],
)
def test_buy_licences_field_errors(
    bot: Running, values: dict[str, Any], field: str, says: str
) -> None:
    sign_up(bot, "chrome")
    before = snapshot(bot.store.engine)
    form = {"subscription": chosen("chrome"), "count": plain("5"), "terms": checkboxes("yes")}
    refused(submit(bot, SUPER, "add_licences", {**form, **values}), field, says)
    assert snapshot(bot.store.engine) == before


def test_users_sets_the_count_and_ignores_perpetual_devices(bot: Running) -> None:
    sign_up(bot, "ci", Plan.FLEXIBLE, 10)
    values = {"subscription": chosen("ci"), "count": plain("15"), "perpetual": plain("3")}
    shown, done = submit_and_confirm(bot, SUPER, "set_users", values)
    assert "From 10 to 12: $72.00 per month" in view_text(shown.json["view"])  # type: ignore[index]
    assert "Done: Set ci to 12 users" in result_text(done)
    assert licences(bot, "ci") == [10, 12]


def test_users_cannot_cut_an_annual_commitment(bot: Running) -> None:
    invoiced_account(bot)
    before = snapshot(bot.store.engine)
    answer = submit(
        bot, SUPER, "set_users", {"subscription": chosen("chrome"), "count": plain("5")}
    )
    if answer.json and answer.json["response_action"] == "push":
        # billing's quote does not apply the commitment rule yet: the refusal comes on confirming
        answer = confirm(bot, SUPER, answer, new_view_id())
        assert "can only be reduced at renewal" in result_text(answer)
    else:
        refused(answer, "count", "can only be reduced at renewal")
    assert snapshot(bot.store.engine) == before


# ---- renewal and cancellation --------------------------------------------------------------


def test_renewal_options_are_saved(bot: Running) -> None:
    invoiced_account(bot)
    values = {"subscription": chosen("chrome"), "mode": radio("manual"), "licences": plain("40")}
    shown, done = submit_and_confirm(bot, SUPER, "renewal", values)
    assert f"Next term: 40 licences, ${half_up(Fraction(50 * 40, 12))} per month." in view_text(
        shown.json["view"]  # type: ignore[index]
    )
    assert "Done" in result_text(done)
    chrome = subscriptions(bot)["chrome"]
    assert (chrome.renewal_mode, chrome.renewal_licences) == ("manual", 40)
    assert ("slack:USUPER", "renewal", "chrome") in audit_actions(bot.store.engine)


def test_cancel_now_confirms_the_rest_of_the_commitment_and_invoices_it(bot: Running) -> None:
    invoiced_account(bot)  # 25 licences at 50.00 a year; term Jan 24, 2026 – Jan 23, 2027
    bot.clock.set(datetime(2026, 3, 10, 11, 0, tzinfo=PACIFIC))
    term_end = date(2027, 1, 23)
    remainder = half_up(
        Fraction(50, 12)
        * 25
        * sum(
            (
                Fraction(1, days_in(date(2026, 3, 11) + timedelta(days=n)))
                for n in range((term_end - date(2026, 3, 11)).days + 1)
            ),
            Fraction(0),
        )
    )
    charges_before = [amount for kind, amount in ledger(bot) if kind == "charge"]
    values = {
        "subscription": chosen("chrome"),
        "when": radio("now"),
        "reason": chosen("too_expensive"),
    }
    shown, done = submit_and_confirm(bot, SUPER, "cancel", values)
    confirmation = view_text(shown.json["view"])  # type: ignore[index]
    assert f"The rest of the annual commitment is invoiced now: ${remainder:,}." in confirmation
    assert "Done: Cancel chrome now (reason: too expensive)" in result_text(done)
    chrome = subscriptions(bot)["chrome"]
    assert (chrome.status, chrome.term_end, chrome.cancel_reason) == (
        "cancelled",
        date(2026, 3, 10),
        "too_expensive",
    )
    [one_off] = [i for i in bot.store.invoices(bot.customer_id) if i.kind.value != "monthly"]
    assert one_off.total == remainder
    charges = [amount for kind, amount in ledger(bot) if kind == "charge"]
    assert charges == [*charges_before, remainder]
    assert ("slack:USUPER", "cancel", "chrome") in audit_actions(bot.store.engine)


def test_cancel_during_the_trial_costs_nothing(bot: Running) -> None:
    sign_up(bot, "chrome")
    values = {"subscription": chosen("chrome"), "when": radio("now"), "reason": chosen("other")}
    shown, _ = submit_and_confirm(bot, SUPER, "cancel", values)
    assert "Cancelling during the free trial costs nothing." in view_text(shown.json["view"])  # type: ignore[index]
    assert subscriptions(bot)["chrome"].status == "cancelled"
    assert bot.store.invoices(bot.customer_id) == []
    assert ledger(bot) == []


def test_cancel_at_expiry_sets_the_renewal(bot: Running) -> None:
    invoiced_account(bot)
    values = {
        "subscription": chosen("chrome"),
        "when": radio("at_expiry"),
        "reason": chosen("no_longer_needed"),
    }
    shown, _ = submit_and_confirm(bot, SUPER, "cancel", values)
    assert "Service ends with the term; nothing more is charged." in view_text(shown.json["view"])  # type: ignore[index]
    chrome = subscriptions(bot)["chrome"]
    assert (chrome.status, chrome.renewal_mode) == ("active", "cancel_at_expiry")


def test_cancel_reason_must_be_one_of_the_list(bot: Running) -> None:
    sign_up(bot, "chrome")
    values = {
        "subscription": chosen("chrome"),
        "when": radio("now"),
        "reason": chosen("Bad Reason!"),
    }
    refused(submit(bot, SUPER, "cancel", values), "reason")


# ---- transfer --------------------------------------------------------------------------------


def test_transfer_moves_every_subscription_after_a_final_invoice(bot: Running) -> None:
    invoiced_account(bot)
    bot.clock.set(datetime(2026, 3, 10, 11, 0, tzinfo=PACIFIC))
    usage = half_up(Fraction(50, 12) * 25 * 10 / 31)  # March 1–10
    values = {
        "reseller": plain("Acme Partners"),
        "token": plain("ABC123"),
        "confirm": checkboxes("yes"),
    }
    shown, done = submit_and_confirm(bot, SUPER, "transfer", values)
    assert f"A final invoice for this month's usage is issued now: ${usage}." in view_text(
        shown.json["view"]  # type: ignore[index]
    )
    assert "Done: Transfer every subscription to the reseller Acme Partners" in result_text(done)
    chrome = subscriptions(bot)["chrome"]
    assert chrome.status == "transferred"
    [(reseller,)] = rows(bot.store.engine, "SELECT reseller FROM customers")
    assert reseller == "Acme Partners"
    assert bot.store.invoices(bot.customer_id)[-1].total == usage


def test_a_transfers_confirmation_announces_the_invoice_it_issues_and_nothing_follows(
    bot: Running,
) -> None:
    """Settled detail 15 (issue 11: the confirmation said $56.21, $37.63 was issued and the
    rest came later): a subscription cancelled earlier in the month is on the final invoice."""
    sign_up(bot)
    sign_up(bot, "ci", Plan.FLEXIBLE, 7)
    card_on_file(bot)
    advance(bot, datetime(2026, 3, 5, 9, 0, tzinfo=PACIFIC))
    cancel = cmd.Cancel(subscription="ci", when="now")
    bot.services.billing.order(bot.customer_id, cancel, at=bot.clock(), actor=Actor.parse("t"))
    bot.clock.set(datetime(2026, 3, 10, 11, 0, tzinfo=PACIFIC))
    # March 1-10, D = 31: chrome (50 / 12) x 25 x 10 / 31 = 33.60...; ci, Mar 1-5 (the cancel
    # day billable): 6.00 x 7 x 5 / 31 = 6.774... -> 6.77
    final = half_up(Fraction(50, 12) * 25 * 10 / 31) + half_up(Fraction(6) * 7 * 5 / 31)
    values = {"reseller": plain("Acme Partners"), "confirm": checkboxes("yes")}
    shown, _ = submit_and_confirm(bot, SUPER, "transfer", values)
    assert f"A final invoice for this month's usage is issued now: ${final}." in view_text(
        shown.json["view"]  # type: ignore[index]
    )
    assert bot.store.invoices(bot.customer_id)[-1].total == final
    issued = len(bot.store.invoices(bot.customer_id))
    advance(bot, datetime(2026, 5, 1, 0, 0, tzinfo=PACIFIC))
    assert len(bot.store.invoices(bot.customer_id)) == issued, "nothing is invoiced after it"


def test_transfer_needs_the_box_ticked(bot: Running) -> None:
    values = {"reseller": plain("Acme Partners"), "confirm": checkboxes()}
    refused(submit(bot, SUPER, "transfer", values), "confirm", "Tick the box")


# ---- cards -----------------------------------------------------------------------------------


def test_the_card_forms_of_earlier_releases_are_not_known_and_store_nothing(
    bot: Running,
) -> None:
    """No card field is asked for in Slack any more (the card is entered on the processor's
    page): a submission of the old card forms, from a modal still open or forged, saves
    nothing, whatever it holds."""
    card_on_file(bot, "2027-01")
    before = snapshot(bot.store.engine)
    for callback, values in (
        ("setup_billing", card_values(brand="mastercard", last4="5454")),
        ("setup_billing", card_values(last4=CARD_NUMBER)),
        ("setup_billing", {**card_values(), "cvc": plain("123")}),
        ("update_card", {"expires": plain("2031-05")}),
        ("update_card", {"last4": plain(CARD_NUMBER)}),
    ):
        assert "This form is not known" in result_text(submit(bot, SUPER, callback, values))
    assert snapshot(bot.store.engine) == before
    stored = every_stored_text(bot.store.engine)
    assert CARD_NUMBER not in stored and '"123"' not in stored


@pytest.mark.parametrize(
    ("callback", "values", "field"),
    [
        (
            "transfer",
            {"reseller": plain("4242 4242 4242 4242"), "confirm": checkboxes("yes")},
            "reseller",
        ),
        ("transfer", {"reseller": plain("cvc 999"), "confirm": checkboxes("yes")}, "reseller"),
        ("transfer", {"reseller": plain(CARD_NUMBER), "confirm": checkboxes("yes")}, "reseller"),
        ("pay", {"method": chosen("card"), "amount": plain(CARD_NUMBER)}, "amount"),
    ],
)
def test_a_card_number_or_security_code_is_refused_and_never_stored(
    bot: Running, callback: str, values: dict[str, Any], field: str
) -> None:
    card_on_file(bot, "2027-01")
    assert bot.customer_id
    before = snapshot(bot.store.engine)
    refused(submit(bot, SUPER, callback, values), field)
    assert snapshot(bot.store.engine) == before
    stored = every_stored_text(bot.store.engine)
    assert CARD_NUMBER not in stored and "4242 4242 4242 4242" not in stored
    assert "999" not in stored and '"123"' not in stored


# ---- payments -------------------------------------------------------------------------------


def unpaid_account(bot: Running) -> None:
    """February's invoice issued and unpaid: the card expired at the end of January."""
    sign_up(bot)
    card_on_file(bot, "2026-01")
    advance(bot, datetime(2026, 2, 1, 0, 0, tzinfo=PACIFIC))
    bot.clock.advance(hours=9)


def test_pay_confirms_what_it_settles_then_records_the_payment(bot: Running) -> None:
    unpaid_account(bot)
    [invoice] = bot.store.invoices(bot.customer_id)
    assert invoice.unpaid == invoice.total > 0
    fixed = cmd.UpdateCard.model_validate({"expires": "2030-12"})  # a card that works
    bot.services.billing.order(bot.customer_id, fixed, at=bot.clock(), actor=Actor.slack(SUPER))
    # the charge is retried 4 hours after a card change: until then the invoice is unpaid
    assert bot.store.invoices(bot.customer_id)[0].unpaid == invoice.total
    amount = invoice.total + Decimal("5.00")
    values = {"method": chosen("card"), "amount": plain(str(amount))}
    shown, done = submit_and_confirm(bot, SUPER, "pay", values)
    confirmation = view_text(shown.json["view"])  # type: ignore[index]
    assert f"${invoice.total} settles {invoice.number}" in confirmation
    assert "$5.00 becomes credit" in confirmation
    assert f"Done: Pay ${amount}" in result_text(done)
    assert ("payment", amount) in ledger(bot)
    assert ("credit", Decimal("5.00")) in ledger(bot)
    assert bot.services.billing.balance(bot.customer_id, bot.clock()).credit == Decimal("5.00")
    assert any(
        actor == "slack:USUPER" and action == "pay"
        for actor, action, _ in audit_actions(bot.store.engine)
    )


def test_a_payment_the_card_declines_says_so_and_pays_nothing(bot: Running) -> None:
    """Settled detail 16 as the admin sees it: the sandbox's 9995 card has no funds."""
    card = cmd.CardDetails(brand="visa", last4="9995", expires="2030-12")
    bot.services.billing.order(
        bot.customer_id, cmd.SetupBilling(card=card), at=bot.clock(), actor=Actor.parse("test")
    )
    values = {"method": chosen("card"), "amount": plain("25.00")}
    _, done = submit_and_confirm(bot, SUPER, "pay", values)
    said = result_text(done)
    assert "The card declined the payment: nothing was paid." in said
    assert "Why: the card has insufficient funds." in said
    assert "Done" not in said
    assert ledger(bot) == []


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"amount": plain("9.99")}, "amount", "10.00"),
        ({"amount": plain("0")}, "amount", None),
        ({"amount": plain("-20")}, "amount", None),
        ({"amount": plain("abc")}, "amount", None),
        ({"amount": plain("10.001")}, "amount", None),
        (
            {"method": {"type": "static_select", "selected_option": None}},
            "method",
            "Choose a payment method.",
        ),
    ],
)
def test_pay_field_errors(
    bot: Running, values: dict[str, Any], field: str, says: str | None
) -> None:
    card_on_file(bot)
    before = snapshot(bot.store.engine)
    form = {"method": chosen("card"), "amount": plain("25.00")}
    refused(submit(bot, SUPER, "pay", {**form, **values}), field, says)
    assert snapshot(bot.store.engine) == before


def test_refund_pays_back_the_credit(bot: Running) -> None:
    card_on_file(bot)
    submit_and_confirm(bot, SUPER, "pay", {"method": chosen("card"), "amount": plain("30.00")})
    assert bot.services.billing.balance(bot.customer_id, bot.clock()).credit == Decimal("30.00")
    shown, done = submit_and_confirm(bot, SUPER, "refund_credit", {"amount": plain("12.50")})
    assert "Refund $12.50 of credit" in view_text(shown.json["view"])  # type: ignore[index]
    assert "Done" in result_text(done)
    assert ("refund", Decimal("12.50")) in ledger(bot)
    assert bot.services.billing.balance(bot.customer_id, bot.clock()).credit == Decimal("17.50")
    refused(submit(bot, SUPER, "refund_credit", {"amount": plain("0")}), "amount")


# ---- one effect per submission ---------------------------------------------------------------


def test_a_failure_on_confirming_says_nothing_changed_with_a_way_back_to_the_form(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    form_id = new_view_id()
    shown = submit(bot, SUPER, "signup", signup_values(), view_id=form_id)
    monkeypatch.setattr(bot.services.billing, "order", broken)
    answer = confirm(bot, SUPER, shown, form_id)
    bot.errors.clear()  # the one error line this failure logs
    assert "nothing was changed" in result_text(answer)
    assert answer.json is not None and answer.json["view"]["close"]["text"] == "Back"
    assert not closes_everything(answer)
    assert subscriptions(bot) == {}


def test_confirming_twice_acts_once(bot: Running) -> None:
    """The pushed confirmation has a view id of its own, not the form's: both submissions of
    it carry that id, and the order is placed once under it."""
    form_id, confirmation_id = new_view_id(), new_view_id()
    shown = submit(bot, SUPER, "signup", signup_values(), view_id=form_id)
    first = confirm(bot, SUPER, shown, form_id, view_id=confirmation_id)
    again = confirm(bot, SUPER, shown, form_id, view_id=confirmation_id)
    assert "Done" in result_text(first)
    assert "already done" in result_text(again)
    assert licences(bot, "chrome") == [25]
    assert [a for a in audit_actions(bot.store.engine) if a[1] == "signup"] == [
        ("slack:USUPER", "signup", "chrome")
    ]


def test_a_confirmation_shown_anew_after_back_is_a_new_decision(bot: Running) -> None:
    """Back, then Next again, pushes a new confirmation (a new view id): confirming it is a
    second order, not a replay of the first (which may have had other values)."""
    sign_up(bot, "chrome")
    form_id = new_view_id()
    values = {"subscription": chosen("chrome"), "count": plain("5"), "terms": checkboxes("yes")}
    first = submit(bot, SUPER, "add_licences", values, view_id=form_id)
    assert "Done" in result_text(confirm(bot, SUPER, first, form_id))
    second = submit(bot, SUPER, "add_licences", values, view_id=form_id)
    assert "already done" not in result_text(confirm(bot, SUPER, second, form_id))
    assert licences(bot, "chrome") == [25, 30, 35]
