"""Times in one format (issue "An app an admin enjoys"): an instant is a Slack date token,
which Slack shows in each reader's own time zone, with a readable fallback; a billing day
(a trial's last day, a term's end, an invoice's month or due date) is a Pacific calendar
date in the reader's language. No "PT" and no ISO dates on screen. Expected strings are
written by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from billing.calendar import PACIFIC
from billing.history import LedgerEntry, Notice
from billing.model import Invoice, InvoiceKind, InvoiceLine
from views.alerts import message
from views.i18n import billing_day, billing_period, instant, period
from views.kit import dicts
from views.replies import invoices_blocks, transactions_blocks
from views.warnings import warnings

AT = datetime(2026, 12, 1, 9, 0, tzinfo=PACIFIC)
"""17:00 UTC, 18:00 in Paris."""
TS = 1796144400
NNBSP, NBSP, THIN = "\u202f", "\u00a0", "\u2009"


def text(blocks: list) -> str:  # type: ignore[type-arg]
    return json.dumps(dicts(blocks), ensure_ascii=False)


# ---- 1. times -------------------------------------------------------------------------------


def test_an_instant_is_a_slack_date_token_with_a_readable_fallback() -> None:
    assert instant(AT, "en") == (
        f"<!date^{TS}^{{date_short_pretty}} at {{time}}|Dec 1, 2026 at 5:00{NNBSP}PM UTC>"
    )
    assert instant(AT, "fr", "Europe/Paris") == (
        f"<!date^{TS}^{{date_short_pretty}} à {{time}}|1 déc. 2026 à 18:00 UTC+1>"
    )
    assert instant(AT, "en", "America/Los_Angeles").endswith(
        f"|Dec 1, 2026 at 9:00{NNBSP}AM UTC-8>"
    )
    assert instant(AT, "en", "Asia/Kolkata").endswith(f"at 10:30{NNBSP}PM UTC+5:30>")


def test_a_billing_day_is_the_pacific_calendar_date_in_the_readers_language() -> None:
    assert billing_day(date(2026, 12, 1), "en") == "Dec 1, 2026"
    assert billing_day(date(2026, 12, 1), "fr") == "1 déc. 2026"
    late = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)  # 23:30 on Dec 1 in Pacific time
    assert billing_day(late, "fr") == "1 déc. 2026"
    assert (
        billing_period(date(2026, 5, 15), date(2027, 1, 9), "fr")
        == f"15 mai 2026{THIN}–{THIN}9 janv. 2027"
    )


def notice(kind: str, facts: dict[str, object]) -> Notice:
    return Notice(
        1,
        1,
        kind,
        datetime(2026, 1, 11, tzinfo=PACIFIC),
        0,
        "acme.example",
        "chrome",
        "Chrome Enterprise Upgrade",
        None,
        None,
        facts,
        None,
    )


def test_an_alert_says_when_as_a_token_and_its_billing_days_as_dates_never_pt() -> None:
    trial = notice("trial_ending", {"days_left": 7, "last_day": "2026-01-18"})
    en, fr = text(message(trial, "en")[1]), text(message(trial, "fr")[1])
    # Jan 11 00:00 Pacific is 08:00 UTC.
    assert "acme.example · <!date^1768118400^{date_short_pretty} at {time}|Jan 11, 2026 at " in en
    assert f"8:00{NNBSP}AM UTC>" in en
    assert "<!date^1768118400^{date_short_pretty} à {time}|11 janv. 2026 à 08:00 UTC>" in fr
    assert "Last trial day: Jan 18, 2026" in en
    assert "PT" not in en and "PT" not in fr
    card = text(
        message(notice("card_expiring", {"card": "visa 4242", "expires": "2026-02"}), "fr")[1]
    )
    assert f"Expiration de la carte{NBSP}: 02/2026" in card


def invoice(*lines: InvoiceLine) -> Invoice:
    return Invoice(
        1,
        InvoiceKind.MONTHLY,
        "2026-01",
        date(2026, 1, 1),
        date(2026, 1, 31),
        datetime(2026, 2, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 2, 8, 8, 0, tzinfo=UTC),
        list(lines),
        id=1,
    )


FLEXIBLE = InvoiceLine(
    "Cloud Identity Premium, flexible plan, 2026-01", Decimal("37.74"), 195, 1, "ci"
)


def test_invoices_show_the_billing_month_and_when_they_were_issued() -> None:
    at = datetime(2026, 2, 2, tzinfo=PACIFIC)
    en = text(invoices_blocks("en", [invoice(FLEXIBLE)], at, tz="America/New_York"))
    assert "*INV-000001* · January 2026 · $37.74 · unpaid" in en
    # Feb 1 00:00 Pacific = 08:00 UTC = 03:00 in New York.
    assert (
        f"Issued <!date^1769932800^{{date_short_pretty}} at {{time}}|Feb 1, 2026 at 3:00{NNBSP}AM UTC-5>"
        in en
    )
    fr = text(invoices_blocks("fr", [invoice(FLEXIBLE)], at))
    assert "*INV-000001* · janvier 2026 · 37,74" in fr
    assert "2026-01" not in fr
    assert period(invoice(), "en") == "January 2026"


def test_transactions_say_when_as_a_token() -> None:
    rows = [
        LedgerEntry(
            datetime(2026, 2, 1, 8, 0, tzinfo=UTC), "charge", Decimal("37.74"), "INV-000001"
        )
    ]
    shown = text(transactions_blocks("en", rows))
    assert "<!date^1769932800^{date_short_pretty} at {time}|Feb 1, 2026 at 8:00" in shown
    assert "$37.74 · INV-000001" in shown


def test_a_card_expiring_says_the_last_day_it_works() -> None:
    from billing.model import Card, Plan, RenewalMode, Status, Subscription

    sub = Subscription(
        1, "ci", "Cloud Identity Premium", Plan.FLEXIBLE, Decimal("6"),
        datetime(2026, 1, 5, tzinfo=PACIFIC), Status.ACTIVE, RenewalMode.AUTO,
    )  # fmt: skip
    card = Card("visa", "4242", 2026, 2, 1)
    [block] = warnings("fr", [sub], card, date(2026, 2, 10))
    assert (
        f"La carte visa •••• 4242 (02/2026) fonctionne jusqu'au 28 févr. 2026{NBSP}: mettez-la"
        in text([block])
    )
