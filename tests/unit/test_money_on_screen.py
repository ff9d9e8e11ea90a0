"""French money and numbers in one style (issue "An app an admin enjoys"): every amount is
Babel's, "10,00 $US" in French and "$10.00" in English, never "10.00 USD" beside it.
Expected strings are written by hand."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from services.forms import FormContext
from services.orders import ORDERS
from views.kit import dicts
from views.replies import help_blocks

NBSP = "\u00a0"


def text(blocks: list) -> str:  # type: ignore[type-arg]
    return json.dumps(dicts(blocks), ensure_ascii=False)


# ---- 2. money ------------------------------------------------------------------------------


def test_help_says_the_minimum_payment_as_money() -> None:
    assert "Pay the balance due (at least $10.00)." in text(help_blocks("en"))
    assert f"Régler le solde restant dû (au moins 10,00{NBSP}$US)." in text(help_blocks("fr"))
    assert "USD" not in text(help_blocks("fr"))


@pytest.mark.parametrize(
    ("lang", "label", "hint"),
    [
        ("en", "Amount ($)", "At least $10.00."),
        ("fr", "Montant ($US)", f"Au moins 10,00{NBSP}$US."),
    ],
)
def test_the_pay_form_writes_money_as_the_reader_does(lang: str, label: str, hint: str) -> None:
    from views.forms import form

    entry = ORDERS.named("pay")
    assert entry is not None
    shown = text(list(form(lang, entry, FormContext(balance_due=Decimal("21.29"))).blocks))
    assert f'"text": "{label}"' in shown and f'"text": "{hint}"' in shown
    assert "USD" not in shown


def test_counts_are_written_the_readers_way_not_with_str() -> None:
    from views.audit import changes
    from views.i18n import tn
    from views.replies import USERS

    assert tn("en", USERS, 1200) == "1,200 users"
    assert tn("fr", USERS, 1200) == "1\u202f200 utilisateurs"
    assert changes("fr", {"licences": 25}, {"licences": 1200}) == "licences 25 → 1\u202f200"
