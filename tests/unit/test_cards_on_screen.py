"""A card is shown for people, in one style wherever it appears (issue "An app an admin
enjoys"): its expiry month first, the year in full, "12/2030", in English and French, never
the stored "2030-12", whether the screen has the card itself (App Home, a warning), a
reference kept in an alert's facts or a refusal, or an audit row's before and after.
Expected strings are written by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.errors import PaymentDeclined
from billing.history import AuditPage, AuditRecord, Notice
from billing.model import (
    Balance,
    Card,
    Change,
    Customer,
    Plan,
    RenewalMode,
    Status,
    Subscription,
)
from services.billing import Overview
from views.alerts import message
from views.audit import audit_blocks
from views.home import home
from views.i18n import card_expiry, card_text, refusal
from views.kit import dicts
from views.quotes import aftermath, describe
from views.warnings import warnings

NBSP = "\u00a0"
CARD = Card("visa", "4242", 2030, 12, 1)


def text(blocks: list[Any]) -> str:
    return json.dumps(dicts(blocks), ensure_ascii=False)


def test_a_card_reads_month_then_year_in_every_language() -> None:
    assert CARD.describe() == "visa •••• 4242 (12/2030)"
    assert Card("amex", "0005", 2027, 3).describe() == "amex •••• 0005 (03/2027)"
    assert card_expiry("2030-12") == "12/2030"
    assert card_expiry("2030-13") == "2030-13"  # not an expiry: shown as it is


def test_a_reference_stored_by_an_older_release_is_shown_in_the_same_style() -> None:
    assert card_text("visa •••• 4242 (2030-12)") == "visa •••• 4242 (12/2030)"
    assert card_text("visa •••• 4242 (12/2030)") == "visa •••• 4242 (12/2030)"


@pytest.mark.parametrize(
    ("lang", "title", "expires"),
    [
        ("en", "The card visa •••• 4242 (12/2030) expires soon", "Card expires: 12/2030"),
        (
            "fr",
            "La carte visa •••• 4242 (12/2030) expire bientôt",
            f"Expiration de la carte{NBSP}: 12/2030",
        ),
    ],
)
def test_the_card_alert_shows_the_card_and_its_expiry(lang: str, title: str, expires: str) -> None:
    notice = Notice(
        1,
        1,
        "card_expiring",
        datetime(2030, 12, 1, tzinfo=PACIFIC),
        0,
        "acme.example",
        None,
        None,
        None,
        None,
        {"card": "visa •••• 4242 (2030-12)", "expires": "2030-12"},  # as older releases kept it
        None,
    )
    said, blocks = message(notice, lang)
    assert title in said
    assert expires in text(blocks) and "2030-12" not in text(blocks)


def test_a_refusal_about_a_card_shows_it_for_people() -> None:
    expired = PaymentDeclined(
        "the card {card} has expired: update it first", card="visa •••• 4242 (2025-01)"
    )
    assert (
        refusal("en", expired) == "the card visa •••• 4242 (01/2025) has expired: update it first"
    )
    assert refusal("fr", expired) == (
        f"la carte visa •••• 4242 (01/2025) a expiré{NBSP}: mettez-la d'abord à jour"
    )
    past = PaymentDeclined("this card expired at the end of {expires}", expires="2025-12")
    assert refusal("en", past) == "this card expired at the end of 12/2025"


def _overview(card: Card) -> Overview:
    sub = Subscription(
        1, "ci", "Cloud Identity Premium", Plan.FLEXIBLE, Decimal("6"),
        datetime(2026, 1, 5, tzinfo=PACIFIC), Status.ACTIVE, RenewalMode.AUTO,
    )  # fmt: skip
    zero = Decimal("0.00")
    customer = Customer(1, "acme.example", "USD", datetime(2026, 1, 1, tzinfo=UTC))
    return Overview(Balance(zero, zero, zero), zero, [sub], card, customer, [])


def test_app_home_shows_the_card_on_file_in_one_style() -> None:
    en = text(home("en", _overview(CARD), [], True).blocks)
    assert "Card on file: visa •••• 4242 (12/2030)" in en
    fr = text(home("fr", _overview(CARD), [], True).blocks)
    assert f"Carte enregistrée{NBSP}: visa •••• 4242 (12/2030)" in fr


def test_a_card_about_to_expire_warns_with_the_last_day_it_works() -> None:
    card = Card("visa", "4242", 2026, 2, 1)
    sub = _overview(card).subscriptions
    [en] = warnings("en", sub, card, date(2026, 2, 10))
    assert (
        ":warning: The card visa •••• 4242 (02/2026) works until Feb 28, 2026: update it before"
        " then."
    ) in text([en])
    [fr] = warnings("fr", sub, card, date(2026, 2, 10))
    assert (
        f":warning: La carte visa •••• 4242 (02/2026) fonctionne jusqu'au 28 févr. 2026{NBSP}:"
        " mettez-la à jour d'ici là."
    ) in text([fr])


def test_an_order_and_its_result_show_the_card_in_one_style() -> None:
    order = cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2030-12"))
    assert describe("en", order) == "Set up billing with visa •••• 4242, expiring 12/2030"
    assert describe("fr", order) == (
        "Configurer la facturation avec visa •••• 4242, expiration 12/2030"
    )
    assert describe("en", cmd.UpdateCard(expires="2031-05")) == "Update the card (expiry 05/2031)"
    before = {"brand": "visa", "last4": "4242", "expires": "2026-01"}
    after = {"brand": "visa", "last4": "4242", "expires": "2030-12"}
    change = Change("update_card", "acme.example", before, after)
    now = datetime(2026, 1, 20, tzinfo=UTC)
    assert aftermath("en", change, now) == (
        "Card: visa •••• 4242 (01/2026) → visa •••• 4242 (12/2030)."
    )
    assert aftermath("fr", change, now) == (
        f"Carte{NBSP}: visa •••• 4242 (01/2026) → visa •••• 4242 (12/2030)."
    )


def test_the_audit_trail_shows_a_card_change_before_and_after() -> None:
    at = datetime(2026, 1, 20, 17, 0, tzinfo=UTC)
    rows = [
        AuditRecord(
            at,
            Actor.slack("USUPER"),
            "update_card",
            "acme.example",
            {"brand": "visa", "last4": "4242", "expires": "2026-01"},
            {
                "brand": "visa",
                "last4": "4242",
                "expires": "2030-12",
                "charged_again_at": "2026-01-20T21:00:00+00:00",
            },
            id=2,
        ),
        AuditRecord(
            at,
            Actor.slack("USUPER"),
            "setup_billing",
            "acme.example",
            None,
            {"brand": "visa", "last4": "4242", "expires": "2026-01"},
            id=1,
        ),
    ]
    en = text(audit_blocks("en", rows, AuditPage()))
    assert (
        "changed the card · acme.example\\n      card visa •••• 4242 (01/2026) → visa •••• 4242 (12/2030)"
        in en
    )
    assert "set up billing · acme.example\\n      card visa •••• 4242 (01/2026)" in en
    fr = text(audit_blocks("fr", rows, AuditPage()))
    assert (
        "a modifié la carte · acme.example\\n      carte visa •••• 4242 (01/2026) → visa •••• 4242 (12/2030)"
        in fr
    )
    assert "2026-01" not in en.replace("2026-01-20", "") and "2030-12" not in fr
