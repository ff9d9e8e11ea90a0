"""The alerts of refunds, disputes and reconciliation read in English and French."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from billing.calendar import PACIFIC
from billing.history import Notice
from views.alerts import message

AT = datetime(2026, 3, 3, 0, 0, tzinfo=PACIFIC)


def notice(kind: str, **facts: Any) -> Notice:
    return Notice(1, 1, kind, AT, 0, "example.com", None, None, None, None, facts, None)


DIFFERENCES = [
    {
        "what": "amount_differs",
        "kind": "payment",
        "id": "pi_1",
        "ledger": "20.00",
        "processor": "21.00",
    },
    {
        "what": "missing_in_ledger",
        "kind": "refund",
        "id": "pi_2",
        "ledger": "0.00",
        "processor": "5.00",
    },
]


@pytest.mark.parametrize(
    ("kind", "facts", "english", "french"),
    [
        (
            "refund_failed",
            {"amount": "10.00", "reason": "charge_disputed"},
            ["The refund of $10.00 failed: the credit is back", "Why: charge_disputed"],
            [
                "Le remboursement de 10,00\u00a0$US a échoué\u00a0: le crédit est rétabli",
                "Pourquoi\u00a0: charge_disputed",
            ],
        ),
        (
            "payment_disputed",
            {"amount": "30.00", "reason": "fraudulent"},
            ["A payment of $30.00 is disputed", "Reason given: fraudulent"],
            ["Un paiement de 30,00\u00a0$US est contesté", "Motif invoqué\u00a0: fraudulent"],
        ),
        (
            "reconciliation_difference",
            {"day": "2026-03-02", "differences": DIFFERENCES},
            [
                "payment pi_1: $20.00 in the books, $21.00 at the processor",
                "Missing in the books: refund pi_2 ($5.00)",
            ],
            [
                "paiement pi_1\u00a0: 20,00\u00a0$US dans les comptes",
                "Absent des comptes\u00a0: remboursement pi_2 (5,00\u00a0$US)",
            ],
        ),
    ],
)
def test_the_alert_reads_in_both_languages(
    kind: str, facts: dict[str, Any], english: list[str], french: list[str]
) -> None:
    for lang, says in (("en", english), ("fr", french)):
        title, blocks = message(notice(kind, **facts), lang)
        text = title + json.dumps([b.to_dict() for b in blocks], ensure_ascii=False)
        for part in says:
            assert part in text, (lang, part, text)
