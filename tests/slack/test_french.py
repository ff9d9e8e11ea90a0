"""French: a user whose Slack locale is French gets French replies, modals, field errors,
refusals, amounts and dates; a French requester is told the outcome in French. Expected
strings are read from the catalogue, so the tests follow the translator's wording."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.messages import messages
from bot.sandbox.identities import Person
from bot.sandbox.signing import checkboxes, plain, radio
from bot.sandbox.signing import select as chosen
from tests.slack.bot import FRENCH, SUPER, Running
from tests.slack.flows import (
    as_json,
    ask,
    invoiced_account,
    open_modal,
    result_text,
    sign_up,
    signup_values,
    submit,
    submit_and_confirm,
    view_text,
)
from views.i18n import _catalogue, money, t

FRENCH_ADMIN = "UFRADMIN"


def fr(message: str, **params: Any) -> str:
    """The French for `message`, which must have a translation."""
    translated = _catalogue("fr").get(message)
    assert translated, f"no French for {message!r}"
    return t("fr", message, **params)


def english_leaks(text: str) -> list[str]:
    """English messages, with a different French translation, that appear in `text`."""
    return [message for message in ENGLISH if message in text and message not in t("fr", message)]


ENGLISH = sorted(
    message
    for message in messages()
    if len(message) >= 14 and "{" not in message and t("fr", message) != message
)


def test_help_status_and_balance_are_in_french(bot: Running) -> None:
    invoiced_account(bot)
    help_text = view_text(ask(bot, FRENCH, "help"))
    assert fr("licensebot: licences and billing") in help_text
    assert fr("This list.") in help_text
    status = view_text(ask(bot, FRENCH, "status"))
    assert fr("Subscriptions") in status
    assert "25 licences détenues" in status
    assert fr("annual plan") in status
    balance = bot.services.billing.balance(bot.customer_id, bot.clock())
    shown = view_text(ask(bot, FRENCH, "balance"))
    assert money(balance.total, "fr") in shown and "$US" in money(balance.total, "fr")
    assert fr("Balance = current cycle + balance due − credit.") in shown
    for text in (help_text, status, shown):
        assert english_leaks(text) == []


def test_usage_and_refusals_are_in_french(bot: Running) -> None:
    reply = view_text(ask(bot, FRENCH, "frobnicate"))
    assert fr("Unknown subcommand “{word}”.", word="frobnicate") in reply
    assert fr("Nothing was changed. Try `/license help`.") in reply
    card = view_text(ask(bot, FRENCH, "card"))  # no card yet: the link sets up billing
    assert "Configurer le paiement\u00a0: saisissez la carte" in card
    assert english_leaks(card) == []
    too_long = view_text(ask(bot, FRENCH, "x" * 600))
    assert fr("That command is too long or malformed.") in too_long


def test_modals_are_in_french(bot: Running) -> None:
    view = open_modal(bot, FRENCH, "subscribe")
    assert view["title"]["text"] == fr("Subscribe")[:24]
    assert view["submit"]["text"] == fr("Next")
    assert view["close"]["text"] == fr("Cancel")
    shown = view_text(view)
    assert fr("Product") in shown and fr("I accept the terms of service") in shown
    assert fr("Every new subscription starts with a 14-day free trial.") in shown
    card = ask(bot, FRENCH, "billing")  # a link to the secure page, in French
    [link] = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert link["text"]["text"] == "Saisir la carte sur une page sécurisée"
    assert "page sécurisée du prestataire de paiement" in view_text(card)
    sign_up(bot)
    cancel = view_text(open_modal(bot, FRENCH, "cancel chrome"))
    assert fr("too_expensive") in cancel and "too_expensive" not in cancel
    for text in (shown, view_text(card), cancel):
        assert english_leaks(text) == []


@pytest.mark.parametrize(
    ("callback", "values", "field", "expected"),
    [
        ("signup", signup_values(licences="0"), "licences", ("Must be at least {ge}.", {"ge": 1})),
        (
            "signup",
            {**signup_values(), "plan": radio("monthly")},
            "plan",
            ("Choose one of the options.", {}),
        ),
        (
            "pay",
            {"method": chosen("card"), "amount": plain("9.99")},
            "amount",
            ("At least {minimum}.", {"minimum": "10,00\u00a0$US"}),
        ),
        (
            "pay",
            {"method": chosen("card"), "amount": plain("abc")},
            "amount",
            ("Write an amount such as 25.00 (at most 2 decimals).", {}),
        ),
    ],
)
def test_field_errors_are_in_french(
    bot: Running,
    callback: str,
    values: dict[str, Any],
    field: str,
    expected: tuple[str, dict[str, Any]],
) -> None:
    answer = submit(bot, FRENCH, callback, values)
    assert answer.json is not None and answer.json["response_action"] == "errors", answer.body
    message, params = expected
    assert answer.json["errors"] == {field: fr(message, **params)}


def test_a_confirmation_and_its_result_are_in_french(bot: Running) -> None:
    shown, done = submit_and_confirm(bot, FRENCH, "signup", signup_values(licences="25"))
    confirmation = view_text(shown.json["view"])  # type: ignore[index]
    assert money(__import__("decimal").Decimal("104.17"), "fr") in confirmation  # 25 × 50 / 12
    assert "104,17" in confirmation
    assert fr("Check the amounts, then confirm.") in confirmation
    assert shown.json["view"]["submit"]["text"] == fr("Confirm")  # type: ignore[index]
    assert result_text(done).startswith(
        ":white_check_mark: " + fr("Done: {summary}.", summary="")[:8]
    )
    assert english_leaks(confirmation + result_text(done)) == []


def test_a_french_requester_is_told_in_french(bot: Running) -> None:
    bot.slack.add_user(Person(FRENCH_ADMIN, "luc@acme.example", locale="fr-FR", is_admin=True))
    values = {"reseller": plain("Partenaires SA"), "confirm": checkboxes("yes")}
    shown, done = submit_and_confirm(bot, FRENCH_ADMIN, "transfer", values)
    assert fr("A super-admin will be asked to approve this.") in view_text(shown.json["view"])  # type: ignore[index]
    assert fr("Sent to the super-admins for approval: {summary}.", summary="")[:20] in result_text(
        done
    )
    [posted] = bot.slack.wait_for_call("chat.postMessage")
    value = next(
        e["value"]
        for b in as_json(posted["blocks"])
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "approval_deny"
    )
    bot.sender.block_action(SUPER, "approval_deny", value=value, message={"text": posted["text"]})
    told = bot.slack.wait_for_call("chat.postMessage", count=2)[1]
    assert told["channel"] == FRENCH_ADMIN
    text = view_text({"blocks": as_json(told["blocks"])})
    assert fr(":x: Denied by <@{user}>", user=SUPER) in text
    assert fr("Approval requested") in text
    assert english_leaks(text) == []


def test_a_french_super_admin_is_answered_in_french_on_buttons(bot: Running) -> None:
    bot.sender.block_action(
        FRENCH,
        "no_such_button",
        message={"text": "x"},
        response_url=bot.slack.response_url("old"),
    )
    [reply] = bot.slack.wait_for_response("old")
    assert reply["text"] == fr("This button is not known (any more). Nothing was changed.")


def test_home_is_in_french(bot: Running) -> None:
    invoiced_account(bot)
    bot.sender.event({"type": "app_home_opened", "user": FRENCH, "channel": "D1", "tab": "home"})
    [call] = bot.slack.wait_for_call("views.publish")
    shown = view_text(as_json(call["view"]))
    assert fr("Licences and billing") in shown
    assert fr("Recent alerts") in shown
    assert fr("invoice_issued") in shown
    # An instant is Slack's date token, shown in each reader's zone; its fallback is in
    # Marie's (Paris, UTC+1 in winter), in French; never Pacific time.
    assert re.search(
        r"<!date\^\d+\^\{date_short_pretty\} à \{time\}\|\d{1,2} janv\. 2026 à \d\d:\d\d UTC\+1>",
        shown,
    ), shown
    assert "PT" not in shown
    assert english_leaks(shown) == []


def test_every_message_has_a_french_translation() -> None:
    """The translator's checklist: run `python -m bot.messages` to add new ids to the catalogue."""
    catalogue = _catalogue("fr")
    missing = sorted(message for message in messages() if not catalogue.get(message))
    assert missing == [], json.dumps(missing, ensure_ascii=False, indent=1)


def test_french_sets_a_no_break_space_before_a_colon_and_inside_guillemets() -> None:
    """House rule: "Facture émise\u00a0: …", "«\u00a0{code}\u00a0»"; an ordinary space there
    lets a line break before the colon. Slack's :emoji: codes are not colons of the text."""
    catalogue = _catalogue("fr")
    wrong = sorted(
        translated
        for translated in catalogue.values()
        if re.search(r"(?<=\S) :(?![a-z_]+:)", translated)
        or "« " in translated
        or " »" in translated
    )
    assert wrong == [], json.dumps(wrong, ensure_ascii=False, indent=1)


def test_translations_keep_their_placeholders() -> None:
    """A translation that drops or renames a {placeholder} would fail when shown."""
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    catalogue = _catalogue("fr")
    wrong = {
        message: translated
        for message, translated in catalogue.items()
        if fields(message) != fields(translated)
    }
    assert wrong == {}


def test_every_counting_message_has_both_french_forms() -> None:
    from babel.messages.pofile import read_po

    from bot.messages import plurals
    from views.i18n import CATALOGUES

    with (CATALOGUES / "fr" / "LC_MESSAGES" / "licensebot.po").open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    missing = [
        one
        for one, many in sorted(plurals())
        if (found := catalogue.get((one, many))) is None or not all(found.string)
    ]
    assert missing == []


def test_counts_take_the_form_of_the_readers_language() -> None:
    """English: 1 day, 0 days, 2 days; French: 1 jour, 0 jour, 2 jours (n > 1 is plural)."""
    from billing.quotes import Line
    from views.i18n import render, tn
    from views.replies import HELD, USERS

    assert [tn("en", HELD, n) for n in (0, 1, 2)] == [
        "0 licences held",
        "1 licence held",
        "2 licences held",
    ]
    assert [tn("fr", USERS, n) for n in (0, 1, 2)] == [
        "0 utilisateur",
        "1 utilisateur",
        "2 utilisateurs",
    ]
    buy = "Buy {count} additional licence for {subscription}"
    line = Line(
        buy, {"count": 1, "subscription": "chrome"}, plural=buy.replace("licence", "licences")
    )
    assert render("en", line) == "Buy 1 additional licence for chrome"
    assert render("fr", line) == "Acheter 1 licence supplémentaire pour chrome"


def test_a_label_and_its_value_are_joined_as_french_writes_them() -> None:
    """French sets a no-break space before a colon, as the catalogue's own sentences do."""
    from datetime import datetime

    from billing.calendar import PACIFIC
    from billing.history import Notice
    from views.alerts import message
    from views.kit import dicts

    notice = Notice(
        1,
        1,
        "trial_ending",
        datetime(2026, 1, 11, tzinfo=PACIFIC),
        0,
        "acme.example",
        "ci",
        "Cloud Identity Premium",
        None,
        None,
        {"days_left": 7, "last_day": "2026-01-18"},
        None,
    )
    fr_text = json.dumps(dicts(message(notice, "fr")[1]), ensure_ascii=False)
    assert "Dernier jour d'essai\u00a0: 18 janv. 2026" in fr_text
    en_text = json.dumps(dicts(message(notice, "en")[1]), ensure_ascii=False)
    assert "Last trial day: Jan 18, 2026" in en_text
