"""Alert messages say what the account's state calls for: a trial ending with billing set up
is not told to set it up (settled detail 12: the text differs)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from billing.calendar import PACIFIC
from billing.history import Notice
from views.alerts import message
from views.kit import dicts


def trial_ending(billing_set_up: bool) -> Notice:
    return Notice(
        id=1,
        customer_id=1,
        kind="trial_ending",
        at=datetime(2026, 1, 11, 0, 0, tzinfo=PACIFIC),
        attempts=0,
        domain="acme.example",
        subscription="chrome",
        product="Chrome Enterprise Upgrade",
        invoice=None,
        invoice_total=None,
        facts={"days_left": 7, "last_day": "2026-01-18", "billing_set_up": billing_set_up},
        notify=None,
    )


def shown(notice: Notice, lang: str) -> tuple[str, list[str]]:
    _, blocks = message(notice, lang)
    found: list[Any] = dicts(blocks)
    buttons = [e["text"]["text"] for b in found if b["type"] == "actions" for e in b["elements"]]
    return json.dumps(found, ensure_ascii=False), buttons


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_trial_ending_without_billing_asks_for_it_with_a_button(lang: str) -> None:
    text, buttons = shown(trial_ending(False), lang)
    assert ("suspended" in text) if lang == "en" else ("suspendu" in text)
    assert buttons == (["Set up billing"] if lang == "en" else ["Configurer le paiement"])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_trial_ending_with_a_card_on_file_says_all_is_ready(lang: str) -> None:
    text, buttons = shown(trial_ending(True), lang)
    assert "suspend" not in text and buttons == []
    if lang == "en":
        assert "Billing is set up" in text and "Set up billing" not in text
    else:
        assert "La facturation est configurée" in text


ABOUT_A_SUBSCRIPTION = {"suspended_non_payment", "renewal_upcoming", "seats_low", "seats_exhausted"}


def notice(kind: str, facts: dict[str, Any], invoice: str | None = None) -> Notice:
    return Notice(
        id=2,
        customer_id=1,
        kind=kind,
        at=datetime(2026, 2, 8, 0, 0, tzinfo=PACIFIC),
        attempts=0,
        domain="acme.example",
        subscription="chrome" if kind in ABOUT_A_SUBSCRIPTION else None,
        product=None,
        invoice=invoice,
        invoice_total=None,
        facts=facts,
        notify=None,
    )


def test_a_failed_payment_says_why() -> None:
    expired, _ = shown(
        notice("payment_failed", {"amount": "32.26", "reason": "card_expired"}), "en"
    )
    assert "Why: the card on file has expired." in expired
    other, _ = shown(notice("payment_failed", {"amount": "32.26", "reason": "do_not_honor"}), "fr")
    assert "Motif\u00a0: la carte a été refusée." in other


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("expired_card", "Why: the card on file has expired."),
        ("insufficient_funds", "Why: the card has insufficient funds."),
        ("card_declined", "Why: the card was declined."),
        ("processing_error", "Why: the card's bank could not process it; it can be tried again."),
    ],
)
def test_each_decline_of_the_gateway_says_why(reason: str, why: str) -> None:
    text, buttons = shown(notice("payment_failed", {"amount": "32.26", "reason": reason}), "en")
    assert why in text and buttons == ["Pay now"]


def test_a_payment_waiting_for_authentication_links_to_where_it_is_confirmed() -> None:
    url = "https://pay.example/authenticate?charge=ch_1"
    facts = {"amount": "32.26", "reason": "authentication_required", "action_url": url}
    _, blocks = message(notice("payment_failed", facts), "fr")
    found: list[Any] = dicts(blocks)
    [row] = [b for b in found if b["type"] == "actions"]
    assert [(e["text"]["text"], e.get("url")) for e in row["elements"]] == [
        ("Confirmer le paiement", url),
        ("Payer maintenant", None),
    ]


def test_a_suspension_gives_the_amount_due_with_a_pay_button() -> None:
    text, buttons = shown(notice("suspended_non_payment", {"amount": "132.26"}), "en")
    assert "Balance due: $132.26" in text and buttons == ["Pay now"]


def test_an_issued_invoice_offers_its_pdf_and_csv() -> None:
    _, blocks = message(notice("invoice_issued", {"total": "12.00"}, "INV-000007"), "en")
    found: list[Any] = dicts(blocks)
    pressed = [
        (e["action_id"], e["value"]) for b in found if b["type"] == "actions" for e in b["elements"]
    ]
    assert pressed == [("invoice_pdf", "INV-000007"), ("invoice_csv", "INV-000007")]


def test_the_30_day_renewal_alert_lists_the_unused_seats() -> None:
    found, _ = shown(
        notice(
            "renewal_upcoming",
            {
                "days_left": 30,
                "term_end": "2027-01-23",
                "unassigned": 3,
                "reclaim": ["U2", "ex@acme.example"],
            },
        ),
        "en",
    )
    assert "3 licences are not assigned to anyone." in found
    assert "Held by people who left: <@U2> and ex@acme.example." in found


def test_seat_alerts_offer_to_buy_for_their_subscription() -> None:
    _, blocks = message(notice("seats_low", {"used": 23, "licences": 25}), "en")
    found: list[Any] = dicts(blocks)
    assert found[0]["text"]["text"].startswith("*:chair: chrome: 23 of 25 licences are assigned*")
    (button,) = [e for b in found if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == ("open:add_licences", "subscription=chrome")
    title, _ = message(notice("seats_exhausted", {"used": 25, "licences": 25}), "fr")
    assert title == ":warning: chrome\u00a0: les 25 licences sont toutes attribuées"


def test_card_entry_alerts_say_what_happened_and_offer_the_secure_page_in_both_languages() -> None:
    card = {"card": "visa •••• 4242 (2030-12)"}
    saved, _ = message(notice("card_saved", card), "en")
    assert (
        saved
        == ":credit_card: The card visa •••• 4242 (12/2030) is saved: automatic payments use it"
    )
    saved_fr, _ = message(notice("card_saved", card), "fr")
    assert saved_fr == (
        ":credit_card: La carte visa •••• 4242 (12/2030) est enregistrée\u00a0:"
        " les paiements automatiques l’utilisent"
    )
    title, blocks = message(notice("card_reentry_needed", card), "fr")
    assert title == ":warning: La carte visa •••• 4242 (12/2030) doit être saisie à nouveau"
    [button] = [e for b in blocks if b.type == "actions" for e in b.elements]
    assert (button.action_id, button.text.text) == ("open:card", "Saisir à nouveau la carte")
