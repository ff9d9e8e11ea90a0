"""Hand-computed acceptance tests for the billing arithmetic of SPEC.md.

Every expected amount below is worked out by hand from the lines of "Billing arithmetic
(normative)" and "Billing arithmetic — settled details" of docs/SPEC.md (quoted as
"line N" and "detail N"), never copied from the code's output. The arithmetic sits in a
comment above each assertion so that a reviewer can redo it on paper.

Shorthands: P = flexible monthly price per user, A = annual price per licence,
L = licences, D(M) = days in month M; "x -> y" is rounding half-up to the cent (line 1).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.timeline import TimelineError
from tests.support import alerts_of, lines_of, run, setup_card, signup, step, timeline


def invoices_issued_at(result: dict[str, Any], at: str) -> list[dict[str, Any]]:
    return [inv for inv in result["invoices"] if inv["issued_at"] == at]


def invoice_for(result: dict[str, Any], period: str) -> dict[str, Any]:
    (invoice,) = [inv for inv in result["invoices"] if inv["period"] == period]
    return invoice


def transactions(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(at, kind, amount) of every transaction, sorted (the order within an instant is free)."""
    return sorted((tx["at"], tx["kind"], tx["amount"]) for tx in result["transactions"])


def subscription(result: dict[str, Any], key: str) -> dict[str, Any]:
    (sub,) = [sub for sub in result["subscriptions"] if sub["subscription"] == key]
    return sub


def alert_set(result: dict[str, Any], kind: str) -> set[tuple[str, str, str | None]]:
    return set(alerts_of(result, kind))


# 1 ------------------------------------------------------------------------------------------


def test_trial_ending_mid_month_prorates_first_month_flexible_and_annual() -> None:
    """Line 3: 14-day trial, sign-up day is day 1, paid from day 15; rule 3 / lines 6-7: the
    first, partly paid month is prorated by days; a full month costs the full monthly price."""
    result = run(
        timeline(
            # ci: day 1 = May 20, day 14 = Jun 2, paid from Jun 3.
            signup("2026-05-20T10:00:00-07:00", "ci", "flexible", 7, "4.00"),
            # Billing set up before either trial ends, so both convert (line 3).
            setup_card("2026-05-21T09:00:00-07:00"),
            # chrome: day 1 = Jun 4, day 14 = Jun 17, paid from Jun 18.
            signup("2026-06-04T10:00:00-07:00", "chrome", "annual", 25, "60.00"),
            until="2026-08-01T00:00:00-07:00",
        )
    )
    # May: no paid day at all -> no invoice for 2026-05 (line 8: no empty invoice).
    assert [inv["period"] for inv in result["invoices"]] == ["2026-06", "2026-07"]
    # June (D = 30):
    #   ci: Jun 3..30 = 28 days x 7 = 196 user-days; 4.00 x 196 / 30 = 26.133... -> 26.13
    #   chrome: Jun 18..30 = 13 days x 25 = 325 licence-days; (60/12) x 325 / 30 = 54.166... -> 54.17
    assert lines_of(result, "2026-06") == {"ci": (196, "26.13"), "chrome": (325, "54.17")}
    june = invoice_for(result, "2026-06")
    # 26.13 + 54.17 = 80.30, issued 00:00 Pacific Jul 1 (daylight time, -07:00), card charged.
    assert (june["issued_at"], june["total"], june["status"]) == (
        "2026-07-01T00:00:00-07:00",
        "80.30",
        "paid",
    )
    # July (D = 31), full months: ci 31 x 7 = 217; 4.00 x 217 / 31 = 28.00 (= 7 x 4.00)
    #   chrome 31 x 25 = 775; 5 x 775 / 31 = 125.00 (= 25 x 60 / 12); total 153.00
    assert lines_of(result, "2026-07") == {"ci": (217, "28.00"), "chrome": (775, "125.00")}
    assert invoice_for(result, "2026-07")["total"] == "153.00"
    # Detail 12: trial_ending at 00:00 Pacific 7, 3 and 1 days before the last trial day.
    #   ci: last trial day Jun 2 -> May 26, May 30, Jun 1; chrome: Jun 17 -> Jun 10, 14, 16.
    assert alert_set(result, "trial_ending") == {
        ("2026-05-26T00:00:00-07:00", "trial_ending", "ci"),
        ("2026-05-30T00:00:00-07:00", "trial_ending", "ci"),
        ("2026-06-01T00:00:00-07:00", "trial_ending", "ci"),
        ("2026-06-10T00:00:00-07:00", "trial_ending", "chrome"),
        ("2026-06-14T00:00:00-07:00", "trial_ending", "chrome"),
        ("2026-06-16T00:00:00-07:00", "trial_ending", "chrome"),
    }
    # Detail 12: trial_converted at 00:00 of day 15.
    assert alert_set(result, "trial_converted") == {
        ("2026-06-03T00:00:00-07:00", "trial_converted", "ci"),
        ("2026-06-18T00:00:00-07:00", "trial_converted", "chrome"),
    }
    # Line 7: term = 12 months from the first paid day Jun 18, 2026 -> last day Jun 17, 2027.
    assert subscription(result, "chrome")["term_end"] == "2027-06-17"
    assert subscription(result, "chrome")["status"] == "active"
    assert subscription(result, "ci")["status"] == "active"


# 2 ------------------------------------------------------------------------------------------


def test_flexible_removal_counts_from_next_day_and_same_day_peak_counts() -> None:
    """Line 4: q(d) is the largest count held at any moment of day d; additions count from
    their own day, removals from the next day; up then down on one day bills the peak."""
    result = run(
        timeline(
            # Day 1 = Dec 1, 2025; paid from Dec 15, 2025.
            signup("2025-12-01T09:00:00-08:00", "ci", "flexible", 10, "6.00"),
            setup_card("2025-12-02T09:00:00-08:00"),
            # Removal on Feb 10: q(Feb 10) = 10, 6 from Feb 11.
            step("2026-02-10T12:00:00-08:00", "set_users", subscription="ci", count=6),
            # Addition on Feb 20: 9 from Feb 20 itself.
            step("2026-02-20T09:00:00-08:00", "set_users", subscription="ci", count=9),
            # Up to 14 then down to 8 on Feb 25: q(Feb 25) = 14, 8 from Feb 26.
            step("2026-02-25T09:00:00-08:00", "set_users", subscription="ci", count=14),
            step("2026-02-25T15:00:00-08:00", "set_users", subscription="ci", count=8),
            until="2026-03-01T00:00:00-08:00",
        )
    )
    # Feb (D = 28): Feb 1..10: 10 x 10 = 100; Feb 11..19: 9 x 6 = 54; Feb 20..24: 5 x 9 = 45;
    #   Feb 25: 14; Feb 26..28: 3 x 8 = 24 -> 100 + 54 + 45 + 14 + 24 = 237 user-days;
    #   6.00 x 237 / 28 = 50.785... -> 50.79
    assert lines_of(result, "2026-02") == {"ci": (237, "50.79")}
    assert subscription(result, "ci")["licences"] == 8


# 3 ------------------------------------------------------------------------------------------


def test_pacific_day_decides_when_utc_and_pacific_disagree() -> None:
    """Line 2 / rule 4: an event belongs to the Pacific day containing its instant, even
    when the UTC date is a day later."""
    result = run(
        timeline(
            # 2026-03-01T07:30Z = Feb 28, 23:30 PST: day 1 = Feb 28, day 14 = Mar 13,
            # paid from Mar 14 (from Mar 15 if the UTC date were used).
            signup("2026-03-01T07:30:00Z", "ci", "flexible", 10, "6.00"),
            signup("2026-03-01T07:30:00Z", "chrome", "annual", 12, "60.00"),
            setup_card("2026-03-02T10:00:00-08:00"),
            # 2026-04-01T06:30Z = Mar 31, 23:30 PDT: the addition counts on Mar 31, and it is
            # before the April 1 invoice run (00:00 PDT = 07:00Z).
            step("2026-04-01T06:30:00Z", "set_users", subscription="ci", count=20),
            until="2026-05-01T00:00:00-07:00",
        )
    )
    # March (D = 31): paid Mar 14..31 = 18 days.
    #   ci: Mar 14..30 = 17 x 10 = 170, Mar 31 = 20 -> 190; 6.00 x 190 / 31 = 36.774... -> 36.77
    #   chrome: 18 x 12 = 216; (60/12) x 216 / 31 = 34.838... -> 34.84
    assert lines_of(result, "2026-03") == {"ci": (190, "36.77"), "chrome": (216, "34.84")}
    # April (D = 30): ci 30 x 20 = 600; 6.00 x 600 / 30 = 120.00;
    #   chrome 30 x 12 = 360; 5 x 360 / 30 = 60.00
    assert lines_of(result, "2026-04") == {"ci": (600, "120.00"), "chrome": (360, "60.00")}
    # Day 15 = Mar 14, 00:00 PDT (DST began Mar 8).
    assert alert_set(result, "trial_converted") == {
        ("2026-03-14T00:00:00-07:00", "trial_converted", "ci"),
        ("2026-03-14T00:00:00-07:00", "trial_converted", "chrome"),
    }
    # Last trial day Mar 13: 7 / 3 / 1 days before = Mar 6 (PST), Mar 10, Mar 12 (PDT).
    assert {at for at, _, _ in alerts_of(result, "trial_ending")} == {
        "2026-03-06T00:00:00-08:00",
        "2026-03-10T00:00:00-07:00",
        "2026-03-12T00:00:00-07:00",
    }
    # Line 7: first paid day Mar 14, 2026 -> term ends Mar 13, 2027.
    assert subscription(result, "chrome")["term_end"] == "2027-03-13"


# 4 ------------------------------------------------------------------------------------------


def test_dst_months_keep_calendar_days_and_offsets() -> None:
    """Detail 1: 00:00 Pacific carries the offset in force at that instant; D(M) counts
    calendar days, so the 23-hour Mar 8 and the 25-hour Nov 1 are one day each."""
    result = run(
        timeline(
            # Day 1 = Jan 5, paid from Jan 19.
            signup("2026-01-05T09:00:00-08:00", "ci", "flexible", 10, "6.00"),
            setup_card("2026-01-06T09:00:00-08:00"),
            # On the DST-start day (23 hours): 15 users from Mar 8.
            step("2026-03-08T12:00:00-07:00", "set_users", subscription="ci", count=15),
            # On the DST-end day, after the clocks went back (01:30 PST, second 01:30):
            # removal counts from Nov 2; q(Nov 1) = 15.
            step("2026-11-01T01:30:00-08:00", "set_users", subscription="ci", count=7),
            until="2026-12-01T00:00:00-08:00",
        )
    )
    issued = {inv["period"]: inv["issued_at"] for inv in result["invoices"]}
    # Mar 1 00:00 is still PST; Apr 1 00:00 is PDT; Nov 1 00:00 is PDT (clocks go back at
    # 02:00); Dec 1 00:00 is PST.
    assert issued["2026-02"] == "2026-03-01T00:00:00-08:00"
    assert issued["2026-03"] == "2026-04-01T00:00:00-07:00"
    assert issued["2026-10"] == "2026-11-01T00:00:00-07:00"
    assert issued["2026-11"] == "2026-12-01T00:00:00-08:00"
    # March (D = 31, not 743 hours / 24): Mar 1..7 = 7 x 10 = 70; Mar 8..31 = 24 x 15 = 360
    #   -> 430; 6.00 x 430 / 31 = 83.225... -> 83.23
    assert lines_of(result, "2026-03") == {"ci": (430, "83.23")}
    # October (D = 31): 31 x 15 = 465; 6.00 x 465 / 31 = 90.00
    assert lines_of(result, "2026-10") == {"ci": (465, "90.00")}
    # November (D = 30): Nov 1 = 15; Nov 2..30 = 29 x 7 = 203 -> 218;
    #   6.00 x 218 / 30 = 43.60
    assert lines_of(result, "2026-11") == {"ci": (218, "43.60")}


# 5 ------------------------------------------------------------------------------------------


def test_leap_february_2028_and_a_31_day_month() -> None:
    """Line 2: D(Feb 2028) = 29 (leap year) and D(Mar 2028) = 31 are the divisors of lines
    6 and 7."""
    result = run(
        timeline(
            # ci: day 1 = Dec 1, 2027, paid from Dec 15, 2027.
            signup("2027-12-01T09:00:00-08:00", "ci", "flexible", 10, "6.00"),
            setup_card("2027-12-02T09:00:00-08:00"),
            # chrome: day 1 = Jan 27, 2028, day 14 = Feb 9, paid from Feb 10, 2028.
            signup("2028-01-27T09:00:00-08:00", "chrome", "annual", 12, "60.00"),
            # Addition on the leap day itself.
            step("2028-02-29T12:00:00-08:00", "set_users", subscription="ci", count=13),
            # Removal on Mar 16 (DST began Mar 12, 2028): 11 from Mar 17.
            step("2028-03-16T12:00:00-07:00", "set_users", subscription="ci", count=11),
            until="2028-04-01T00:00:00-07:00",
        )
    )
    # Feb 2028 (D = 29):
    #   ci: Feb 1..28 = 28 x 10 = 280, Feb 29 = 13 -> 293; 6.00 x 293 / 29 = 60.620... -> 60.62
    #   chrome: Feb 10..29 = 20 x 12 = 240; (60/12) x 240 / 29 = 41.379... -> 41.38
    assert lines_of(result, "2028-02") == {"ci": (293, "60.62"), "chrome": (240, "41.38")}
    assert invoice_for(result, "2028-02")["total"] == "102.00"  # 60.62 + 41.38
    # Mar 2028 (D = 31):
    #   ci: Mar 1..16 = 16 x 13 = 208; Mar 17..31 = 15 x 11 = 165 -> 373;
    #       6.00 x 373 / 31 = 72.193... -> 72.19
    #   chrome: 31 x 12 = 372; 5 x 372 / 31 = 60.00
    assert lines_of(result, "2028-03") == {"ci": (373, "72.19"), "chrome": (372, "60.00")}
    # Line 7: first paid day Feb 10, 2028 -> last day Feb 9, 2029.
    assert subscription(result, "chrome")["term_end"] == "2029-02-09"


# 6 ------------------------------------------------------------------------------------------


def test_annual_licences_added_mid_month_are_additional() -> None:
    """Orders rule 1 and line 4: add_licences gives the additional count (25 + 25 = 50),
    counted from the day of the addition."""
    result = run(
        timeline(
            # Day 1 = Jan 10, paid from Jan 24.
            signup("2026-01-10T09:00:00-08:00", "chrome", "annual", 25, "60.00"),
            setup_card("2026-01-15T08:00:00-08:00"),
            step("2026-02-10T12:00:00-08:00", "add_licences", subscription="chrome", count=25),
            step("2026-03-20T12:00:00-07:00", "add_licences", subscription="chrome", count=10),
            until="2026-04-01T00:00:00-07:00",
        )
    )
    # Feb (D = 28): Feb 1..9 = 9 x 25 = 225; Feb 10..28 = 19 x 50 = 950 -> 1175;
    #   (60/12) x 1175 / 28 = 209.821... -> 209.82
    assert lines_of(result, "2026-02") == {"chrome": (1175, "209.82")}
    # Mar (D = 31): Mar 1..19 = 19 x 50 = 950; Mar 20..31 = 12 x 60 = 720 -> 1670;
    #   5 x 1670 / 31 = 269.354... -> 269.35
    assert lines_of(result, "2026-03") == {"chrome": (1670, "269.35")}
    # 25 + 25 + 10 = 60 licences held.
    assert subscription(result, "chrome")["licences"] == 60


# 7 ------------------------------------------------------------------------------------------


def test_annual_cancel_now_bills_remainder_at_once_and_trial_cancel_is_free() -> None:
    """Line 14 / detail 8: cancel now ends service at the end of the cancel day (billed on the
    next monthly invoice); the rest of the commitment is invoiced at once, alone; term_end
    becomes the cancel day. Cancelling during the trial costs nothing."""
    result = run(
        timeline(
            # Day 1 = Mar 2, paid from Mar 16, 2026; term Mar 16, 2026 - Mar 15, 2027.
            signup("2026-03-02T10:00:00-08:00", "chrome", "annual", 20, "60.00"),
            setup_card("2026-03-03T09:00:00-08:00"),
            # A second subscription cancelled while still in its trial (May 10 - May 23).
            signup("2026-05-10T10:00:00-07:00", "trial", "annual", 40, "60.00"),
            step("2026-05-15T10:00:00-07:00", "cancel", subscription="trial", when="now"),
            step(
                "2026-05-20T15:00:00-07:00",
                "cancel",
                subscription="chrome",
                when="now",
                reason="too_expensive",
            ),
            until="2026-07-01T00:00:00-07:00",
        )
    )
    cancel_at = "2026-05-20T15:00:00-07:00"
    (remainder,) = invoices_issued_at(result, cancel_at)
    # Remainder, days May 21, 2026 .. Mar 15, 2027:
    #   May 21..31 = 11/31; Jun..Feb = 9 full months = 9; Mar 1..15 = 15/31
    #   sum of 1/D = 9 + 26/31 = 305/31
    #   (60/12) x 20 x 305/31 = 30500/31 = 983.870... -> 983.87
    assert [line["amount"] for line in remainder["lines"]] == ["983.87"]
    # A one-off invoice covering exactly the remainder days.
    assert remainder["period"] == "2026-05-21/2027-03-15"
    assert [line["subscription"] for line in remainder["lines"]] == ["chrome"]
    assert (remainder["total"], remainder["status"]) == ("983.87", "paid")
    # March (D = 31): Mar 16..31 = 16 x 20 = 320; 5 x 320 / 31 = 51.612... -> 51.61
    assert lines_of(result, "2026-03") == {"chrome": (320, "51.61")}
    # April: 30 x 20 = 600; 5 x 600 / 30 = 100.00
    assert lines_of(result, "2026-04") == {"chrome": (600, "100.00")}
    # May (D = 31): May 1..20 (cancel day billable) = 20 x 20 = 400; 5 x 400 / 31 = 64.516...
    #   -> 64.52; the trial subscription has no line at all.
    assert lines_of(result, "2026-05") == {"chrome": (400, "64.52")}
    # Nothing is left to bill in June: no June invoice (no empty invoice).
    assert "2026-06" not in [inv["period"] for inv in result["invoices"]]
    # Exactly four invoices: Mar, Apr, May and the remainder; no charge for the trial.
    assert len(result["invoices"]) == 4
    assert all(
        line["subscription"] != "trial" for inv in result["invoices"] for line in inv["lines"]
    )
    # The remainder is charged at the cancel instant, on the card.
    assert ("2026-05-20T15:00:00-07:00", "charge", "983.87") in transactions(result)
    assert ("2026-05-20T15:00:00-07:00", "payment", "983.87") in transactions(result)
    assert subscription(result, "chrome")["status"] == "cancelled"
    assert subscription(result, "chrome")["term_end"] == "2026-05-20"
    assert subscription(result, "trial")["status"] == "cancelled"
    assert alert_set(result, "cancelled") == {
        ("2026-05-15T10:00:00-07:00", "cancelled", "trial"),
        (cancel_at, "cancelled", "chrome"),
    }


# 8 ------------------------------------------------------------------------------------------


def test_expired_card_suspension_and_manual_payment_reactivates_at_once() -> None:
    """Line 9 / detail 6: a card past its expiry month fails (payment_failed); unpaid at 00:00
    on the 8th -> suspended. Line 11 / detail 7: a payment clearing the overdue amount
    reactivates at once. Line 5: flexible days suspended start to end are not billed; the
    annual commitment keeps accruing."""
    result = run(
        timeline(
            # Day 1 = Jan 5, paid from Jan 19.
            signup("2026-01-05T09:00:00-08:00", "ci", "flexible", 10, "6.00"),
            signup("2026-01-05T09:00:00-08:00", "chrome", "annual", 24, "60.00"),
            # Good through January 2026 only.
            setup_card("2026-01-06T09:00:00-08:00", expires="2026-01"),
            step("2026-02-10T10:00:00-08:00", "update_card", expires="2027-05"),
            step("2026-02-10T11:00:00-08:00", "pay", amount="75.48"),
            until="2026-03-01T00:00:00-08:00",
        )
    )
    # January (D = 31): Jan 19..31 = 13 days.
    #   ci: 13 x 10 = 130; 6.00 x 130 / 31 = 25.161... -> 25.16
    #   chrome: 13 x 24 = 312; (60/12) x 312 / 31 = 50.322... -> 50.32; total 75.48
    assert lines_of(result, "2026-01") == {"ci": (130, "25.16"), "chrome": (312, "50.32")}
    january = invoice_for(result, "2026-01")
    assert (january["total"], january["status"]) == ("75.48", "paid")
    # One failed attempt at the Feb 1 invoice (account-wide alert, subscription null).
    assert alerts_of(result, "payment_failed") == [
        ("2026-02-01T00:00:00-08:00", "payment_failed", None)
    ]
    # Still unpaid at 00:00 Pacific on Feb 1 + 7 days = Feb 8.
    assert alert_set(result, "suspended_non_payment") == {
        ("2026-02-08T00:00:00-08:00", "suspended_non_payment", "ci"),
        ("2026-02-08T00:00:00-08:00", "suspended_non_payment", "chrome"),
    }
    # Reactivated at the instant of the payment that cleared 75.48, not 4 hours later.
    assert alert_set(result, "reactivated") == {
        ("2026-02-10T11:00:00-08:00", "reactivated", "ci"),
        ("2026-02-10T11:00:00-08:00", "reactivated", "chrome"),
    }
    # February (D = 28): Feb 8 and Feb 9 were suspended from start to end; Feb 10 is
    # billable (reactivated during the day, detail 2).
    #   ci: 26 x 10 = 260; 6.00 x 260 / 28 = 55.714... -> 55.71
    #   chrome keeps accruing: 28 x 24 = 672; 5 x 672 / 28 = 120.00; total 175.71
    assert lines_of(result, "2026-02") == {"ci": (260, "55.71"), "chrome": (672, "120.00")}
    assert invoice_for(result, "2026-02")["total"] == "175.71"
    # The payment covered the invoice exactly: no credit; the 4-hour retry finds nothing due.
    assert transactions(result) == [
        ("2026-02-01T00:00:00-08:00", "charge", "75.48"),
        ("2026-02-10T11:00:00-08:00", "payment", "75.48"),
        ("2026-03-01T00:00:00-08:00", "charge", "175.71"),
        ("2026-03-01T00:00:00-08:00", "payment", "175.71"),
    ]
    assert subscription(result, "ci")["status"] == "active"
    assert subscription(result, "chrome")["status"] == "active"


# 9 ------------------------------------------------------------------------------------------


def test_card_fix_without_paying_retries_four_hours_later_and_reactivates_then() -> None:
    """Line 11 / details 5 and 7: fixing the payment method without paying retries the charge
    4 hours after the update; the service is reactivated at that retry."""
    result = run(
        timeline(
            # Day 1 = Jan 7, day 14 = Jan 20, paid from Jan 21.
            signup("2026-01-07T09:00:00-08:00", "ci", "flexible", 10, "6.00"),
            setup_card("2026-01-08T09:00:00-08:00", expires="2026-01"),
            step("2026-02-12T09:30:00-08:00", "update_card", expires="2027-05"),
            until="2026-03-01T00:00:00-08:00",
        )
    )
    # January (D = 31): Jan 21..31 = 11 x 10 = 110; 6.00 x 110 / 31 = 21.290... -> 21.29
    assert lines_of(result, "2026-01") == {"ci": (110, "21.29")}
    assert alerts_of(result, "payment_failed") == [
        ("2026-02-01T00:00:00-08:00", "payment_failed", None)
    ]
    assert alerts_of(result, "suspended_non_payment") == [
        ("2026-02-08T00:00:00-08:00", "suspended_non_payment", "ci")
    ]
    # Card updated 09:30 -> retried at 13:30, which pays 21.29 and reactivates.
    assert alerts_of(result, "reactivated") == [("2026-02-12T13:30:00-08:00", "reactivated", "ci")]
    # February (D = 28): Feb 8, 9, 10, 11 suspended start to end; Feb 12 billable
    #   -> 24 x 10 = 240; 6.00 x 240 / 28 = 51.428... -> 51.43
    assert lines_of(result, "2026-02") == {"ci": (240, "51.43")}
    assert transactions(result) == [
        ("2026-02-01T00:00:00-08:00", "charge", "21.29"),
        ("2026-02-12T13:30:00-08:00", "payment", "21.29"),
        ("2026-03-01T00:00:00-08:00", "charge", "51.43"),
        ("2026-03-01T00:00:00-08:00", "payment", "51.43"),
    ]
    assert all(inv["status"] == "paid" for inv in result["invoices"])
    assert subscription(result, "ci")["status"] == "active"


# 10 -----------------------------------------------------------------------------------------


def test_duplicate_payment_becomes_credit_applied_next_invoice_then_refunded() -> None:
    """Lines 11-12 / detail 7: a manual payment when nothing is due is all credit; the next
    automatic charge deducts it (credit_applied); refund_credit pays back what is left."""
    result = run(
        timeline(
            # Day 1 = Jan 7, paid from Jan 21.
            signup("2026-01-07T09:00:00-08:00", "ci", "flexible", 10, "6.00"),
            setup_card("2026-01-08T09:00:00-08:00"),
            # The Feb 1 invoice (21.29) is paid automatically; the admin pays it again.
            step("2026-02-03T10:00:00-08:00", "pay", amount="21.29"),
            step("2026-02-20T10:00:00-08:00", "pay", amount="50.00"),
            step("2026-03-05T10:00:00-08:00", "refund_credit"),
            until="2026-03-05T12:00:00-08:00",
        )
    )
    # January: 11 x 10 = 110; 6.00 x 110 / 31 -> 21.29. February: 28 x 10 = 280;
    #   6.00 x 280 / 28 = 60.00
    assert lines_of(result, "2026-01") == {"ci": (110, "21.29")}
    assert lines_of(result, "2026-02") == {"ci": (280, "60.00")}
    # Credit 21.29 + 50.00 = 71.29; Mar 1: 60.00 applied, nothing taken from the card;
    #   71.29 - 60.00 = 11.29 refunded on Mar 5.
    assert transactions(result) == [
        ("2026-02-01T00:00:00-08:00", "charge", "21.29"),
        ("2026-02-01T00:00:00-08:00", "payment", "21.29"),
        ("2026-02-03T10:00:00-08:00", "credit", "21.29"),
        ("2026-02-03T10:00:00-08:00", "payment", "21.29"),
        ("2026-02-20T10:00:00-08:00", "credit", "50.00"),
        ("2026-02-20T10:00:00-08:00", "payment", "50.00"),
        ("2026-03-01T00:00:00-08:00", "charge", "60.00"),
        ("2026-03-01T00:00:00-08:00", "credit_applied", "60.00"),
        ("2026-03-05T10:00:00-08:00", "refund", "11.29"),
    ]
    assert all(inv["status"] == "paid" for inv in result["invoices"])
    # Balance at Mar 5 12:00: current cycle Mar 1..5 = 5 x 10 = 50; 6.00 x 50 / 31 = 9.677...
    #   -> 9.68; nothing due, no credit left; total 9.68
    assert result["balance"] == {
        "current_cycle": "9.68",
        "balance_due": "0.00",
        "credit": "0.00",
        "total": "9.68",
    }


# 11 -----------------------------------------------------------------------------------------


def test_domain_registration_invoiced_at_once_and_on_each_anniversary() -> None:
    """Rule 7 / line 15: the yearly domain price is invoiced at once, alone, and again at
    00:00 Pacific on the anniversary, with domain_renewal_upcoming 30 days before."""
    result = run(
        timeline(
            setup_card("2026-01-10T09:10:00-08:00"),
            step("2026-01-10T09:30:00-08:00", "register_domain", price="12.00"),
            until="2027-01-10T12:00:00-08:00",
        )
    )
    # Bought Jan 10, 2026 09:30: invoiced at that instant, one line of 12.00, charged at once.
    (bought,) = invoices_issued_at(result, "2026-01-10T09:30:00-08:00")
    # One-off for the registration year Jan 10, 2026 .. Jan 9, 2027.
    assert bought["period"] == "2026-01-10/2027-01-09"
    assert [line["amount"] for line in bought["lines"]] == ["12.00"]
    assert (bought["total"], bought["status"]) == ("12.00", "paid")
    # Anniversary: same date a year later, 00:00 Pacific (PST).
    (renewed,) = invoices_issued_at(result, "2027-01-10T00:00:00-08:00")
    assert renewed["period"] == "2027-01-10/2028-01-09"
    assert [line["amount"] for line in renewed["lines"]] == ["12.00"]
    assert (renewed["total"], renewed["status"]) == ("12.00", "paid")
    assert len(result["invoices"]) == 2
    # 30 days before Jan 10, 2027 00:00: Jan 10 -> Dec 31 is 10 days, 20 more -> Dec 11, 2026.
    assert [at for at, _, _ in alerts_of(result, "domain_renewal_upcoming")] == [
        "2026-12-11T00:00:00-08:00"
    ]
    assert transactions(result) == [
        ("2026-01-10T09:30:00-08:00", "charge", "12.00"),
        ("2026-01-10T09:30:00-08:00", "payment", "12.00"),
        ("2027-01-10T00:00:00-08:00", "charge", "12.00"),
        ("2027-01-10T00:00:00-08:00", "payment", "12.00"),
    ]


def test_domain_price_with_more_decimals_is_rounded_half_up_on_the_line() -> None:
    """Line 1 (with line 15): the domain line is rounded once, half-up, to the cent."""
    result = run(
        timeline(
            setup_card("2026-01-10T09:10:00-08:00"),
            step("2026-01-10T09:30:00-08:00", "register_domain", price="12.005"),
            until="2026-01-10T12:00:00-08:00",
        )
    )
    # 12.005 -> 12.01 (half-up; half-even would give 12.00).
    (bought,) = invoices_issued_at(result, "2026-01-10T09:30:00-08:00")
    assert [line["amount"] for line in bought["lines"]] == ["12.01"]
    assert (bought["total"], bought["status"]) == ("12.01", "paid")


# 12 -----------------------------------------------------------------------------------------

TRANSFER_STEPS = (
    # Day 1 = Mar 2, paid from Mar 16.
    signup("2026-03-02T10:00:00-08:00", "ci", "flexible", 7, "6.00"),
    signup("2026-03-02T10:05:00-08:00", "chrome", "annual", 25, "60.00"),
    setup_card("2026-03-03T09:00:00-08:00"),
    step("2026-06-11T12:00:00-07:00", "transfer", reseller="Acme Partners", token="ABC123"),
)


def test_transfer_to_reseller_issues_final_invoice_and_ends_direct_billing() -> None:
    """Line 16 / orders rules 2 and 4: a transfer moves all subscriptions, invoices the usage
    through the transfer day at once, and nothing is billed here afterwards."""
    result = run(timeline(*TRANSFER_STEPS, until="2026-08-01T00:00:00-07:00"))
    transfer_at = "2026-06-11T12:00:00-07:00"
    # May (D = 31): ci 31 x 7 = 217; 6.00 x 217 / 31 = 42.00;
    #   chrome 31 x 25 = 775; 5 x 775 / 31 = 125.00
    assert lines_of(result, "2026-05") == {"ci": (217, "42.00"), "chrome": (775, "125.00")}
    # Final invoice at the transfer instant, June 1..11 (transfer day included), D = 30:
    #   ci: 11 x 7 = 77; 6.00 x 77 / 30 = 15.40
    #   chrome: 11 x 25 = 275; (60/12) x 275 / 30 = 45.833... -> 45.83; total 61.23
    (final,) = invoices_issued_at(result, transfer_at)
    assert final["period"] == "2026-06-01/2026-06-11"
    assert {
        line["subscription"]: (line["quantity_days"], line["amount"]) for line in final["lines"]
    } == {"ci": (77, "15.40"), "chrome": (275, "45.83")}
    assert (final["total"], final["status"]) == ("61.23", "paid")
    # No monthly invoice afterwards (Jul 1 and Aug 1 runs bill nothing).
    assert [inv["issued_at"] for inv in result["invoices"] if inv["issued_at"] > transfer_at] == []
    assert [inv for inv in result["invoices"] if inv["period"] in ("2026-06", "2026-07")] == []
    assert {sub["subscription"]: sub["status"] for sub in result["subscriptions"]} == {
        "ci": "transferred",
        "chrome": "transferred",
    }
    assert {at for at, _, _ in alerts_of(result, "transferred")} == {transfer_at}
    # A change after the transfer is refused, naming the reseller to contact.
    with pytest.raises(TimelineError, match="Acme Partners"):
        run(
            timeline(
                *TRANSFER_STEPS,
                step("2026-06-20T10:00:00-07:00", "set_users", subscription="ci", count=8),
                until="2026-07-01T00:00:00-07:00",
            )
        )


def test_a_transfers_final_invoice_takes_the_usage_of_subscriptions_ended_this_month() -> None:
    """Settled detail 15: the final invoice takes every subscription's usage not yet invoiced,
    ended ones included, through the transfer day, and nothing is invoiced after it."""
    result = run(
        timeline(
            *TRANSFER_STEPS[:2],
            signup("2026-03-02T10:10:00-08:00", "old", "flexible", 3, "6.00"),
            TRANSFER_STEPS[2],
            step("2026-06-05T09:00:00-07:00", "cancel", subscription="old", when="now"),
            TRANSFER_STEPS[3],
            until="2026-08-01T00:00:00-07:00",
        )
    )
    # Final invoice, June 1..11, D = 30: ci 15.40 and chrome 45.83 as above;
    #   old (cancelled Jun 5, that day billable): 5 x 3 = 15; 6.00 x 15 / 30 = 3.00
    (final,) = invoices_issued_at(result, "2026-06-11T12:00:00-07:00")
    assert {
        line["subscription"]: (line["quantity_days"], line["amount"]) for line in final["lines"]
    } == {"ci": (77, "15.40"), "chrome": (275, "45.83"), "old": (15, "3.00")}
    assert final["total"] == "64.23"
    after = [inv for inv in result["invoices"] if inv["issued_at"] > "2026-06-11T12:00:00-07:00"]
    assert after == []


def test_a_transfers_final_invoice_leaves_out_lines_of_nothing() -> None:
    """Line 8: a subscription still in its trial on the transfer day has no 0.00 line."""
    result = run(
        timeline(
            *TRANSFER_STEPS[:3],
            signup("2026-06-08T10:00:00-07:00", "new", "flexible", 4, "6.00"),
            TRANSFER_STEPS[3],
            until="2026-07-01T00:00:00-07:00",
        )
    )
    (final,) = invoices_issued_at(result, "2026-06-11T12:00:00-07:00")
    assert sorted(line["subscription"] for line in final["lines"]) == ["chrome", "ci"]
    assert final["total"] == "61.23"


# 13 -----------------------------------------------------------------------------------------


def test_renewal_modes_at_term_end() -> None:
    """Line 13: auto-renew starts a new 12-month term with the scheduled (reduced) count on
    its first day; manual without renewing expires at term end; manual renewed by hand
    continues; cancel at expiry ends at term end. Alerts: renewal_upcoming 30 and 7 days
    before term_end."""
    result = run(
        timeline(
            setup_card("2026-01-01T09:00:00-08:00"),
            # All four: day 1 = Jan 1, paid from Jan 15, 2026; term ends Jan 14, 2027.
            signup("2026-01-01T10:00:00-08:00", "auto", "annual", 30, "60.00"),
            signup("2026-01-01T10:00:00-08:00", "manual", "annual", 10, "60.00"),
            signup("2026-01-01T10:00:00-08:00", "renewed", "annual", 12, "60.00"),
            signup("2026-01-01T10:00:00-08:00", "leaving", "annual", 5, "72.00"),
            step(
                "2026-11-01T09:00:00-08:00",
                "renewal",
                subscription="auto",
                mode="auto",
                licences=20,
            ),
            step("2026-11-01T09:00:00-08:00", "renewal", subscription="manual", mode="manual"),
            step("2026-11-01T09:00:00-08:00", "renewal", subscription="renewed", mode="manual"),
            step(
                "2026-11-01T09:00:00-08:00",
                "renewal",
                subscription="leaving",
                mode="cancel_at_expiry",
            ),
            # Renewed by hand (after both reminders) with 8 licences for the new term.
            step("2027-01-10T10:00:00-08:00", "renew", subscription="renewed", licences=8),
            until="2027-03-01T00:00:00-08:00",
        )
    )
    # January 2027 (D = 31): old term Jan 1..14 (14 days), new term from Jan 15 (17 days).
    #   auto: 14 x 30 + 17 x 20 = 420 + 340 = 760; (60/12) x 760 / 31 = 122.580... -> 122.58
    #   manual: 14 x 10 = 140; 5 x 140 / 31 = 22.580... -> 22.58
    #   renewed: 14 x 12 + 17 x 8 = 168 + 136 = 304; 5 x 304 / 31 = 49.032... -> 49.03
    #   leaving: 14 x 5 = 70; (72/12) x 70 / 31 = 13.548... -> 13.55
    assert lines_of(result, "2027-01") == {
        "auto": (760, "122.58"),
        "manual": (140, "22.58"),
        "renewed": (304, "49.03"),
        "leaving": (70, "13.55"),
    }
    # February 2027 (D = 28): only the renewed terms.
    #   auto: 28 x 20 = 560; 5 x 560 / 28 = 100.00; renewed: 28 x 8 = 224; 5 x 224 / 28 = 40.00
    assert lines_of(result, "2027-02") == {"auto": (560, "100.00"), "renewed": (224, "40.00")}
    state = {
        sub["subscription"]: (sub["status"], sub["licences"], sub["term_end"])
        for sub in result["subscriptions"]
    }
    # New terms Jan 15, 2027 - Jan 14, 2028.
    assert state == {
        "auto": ("active", 20, "2028-01-14"),
        "manual": ("expired", 10, "2027-01-14"),
        "renewed": ("active", 8, "2028-01-14"),
        "leaving": ("cancelled", 5, "2027-01-14"),
    }
    # term_end Jan 14, 2027: 30 days before = Dec 15, 2026; 7 days before = Jan 7, 2027
    # (00:00 Pacific, PST).
    upcoming = alert_set(result, "renewal_upcoming")
    for key in ("auto", "manual", "renewed"):
        assert {(at, sub) for at, _, sub in upcoming if sub == key} == {
            ("2026-12-15T00:00:00-08:00", key),
            ("2027-01-07T00:00:00-08:00", key),
        }


# 14 -----------------------------------------------------------------------------------------


def test_trial_without_billing_is_suspended_then_setup_reactivates_four_hours_later() -> None:
    """Rule/orders 8 and line 3: without billing, suspended at 00:00 Pacific on day 15 (no
    paid day). Line 11: setting up billing reactivates 4 hours later; paid service (and the
    annual 12-month term) starts that day."""
    result = run(
        timeline(
            # Day 1 = Apr 6, day 14 = Apr 19, suspended at Apr 20 00:00 PDT.
            signup("2026-04-06T10:00:00-07:00", "ci", "flexible", 11, "5.00"),
            signup("2026-04-06T10:00:00-07:00", "chrome", "annual", 13, "60.00"),
            setup_card("2026-04-23T15:00:00-07:00"),
            until="2026-06-01T00:00:00-07:00",
        )
    )
    assert alert_set(result, "trial_ended_suspended") == {
        ("2026-04-20T00:00:00-07:00", "trial_ended_suspended", "ci"),
        ("2026-04-20T00:00:00-07:00", "trial_ended_suspended", "chrome"),
    }
    # Detail 12: trial_ending goes out whether or not billing is set up: Apr 12, 16, 18.
    assert {at for at, _, _ in alerts_of(result, "trial_ending")} == {
        "2026-04-12T00:00:00-07:00",
        "2026-04-16T00:00:00-07:00",
        "2026-04-18T00:00:00-07:00",
    }
    # No paid day on day 15: the trial did not convert then.
    assert [a for a in alerts_of(result, "trial_converted") if a[0] < "2026-04-23"] == []
    # Billing set up at 15:00 -> reactivated at 19:00 the same day.
    assert alert_set(result, "reactivated") == {
        ("2026-04-23T19:00:00-07:00", "reactivated", "ci"),
        ("2026-04-23T19:00:00-07:00", "reactivated", "chrome"),
    }
    # April (D = 30): paid Apr 23..30 = 8 days (none from Apr 20..22).
    #   ci: 8 x 11 = 88; 5.00 x 88 / 30 = 14.666... -> 14.67
    #   chrome: 8 x 13 = 104; (60/12) x 104 / 30 = 17.333... -> 17.33; total 32.00
    assert lines_of(result, "2026-04") == {"ci": (88, "14.67"), "chrome": (104, "17.33")}
    assert invoice_for(result, "2026-04")["total"] == "32.00"
    # May (D = 31): ci 31 x 11 = 341; 5.00 x 341 / 31 = 55.00;
    #   chrome 31 x 13 = 403; 5 x 403 / 31 = 65.00
    assert lines_of(result, "2026-05") == {"ci": (341, "55.00"), "chrome": (403, "65.00")}
    # Line 7: the term runs 12 months from the first paid day Apr 23, 2026 -> Apr 22, 2027.
    assert subscription(result, "chrome")["term_end"] == "2027-04-22"
    assert subscription(result, "chrome")["status"] == "active"
    assert subscription(result, "ci")["status"] == "active"


# 15 -----------------------------------------------------------------------------------------


def test_balance_at_until_current_cycle_due_and_credit() -> None:
    """Line 10 / details 4 and 11: current_cycle is this Pacific month's usage through the
    Pacific day containing `until`; balance_due is issued unpaid invoices; credit is unapplied
    credit; total = current_cycle + balance_due - credit."""

    def account(*extra: dict[str, Any], expires: str) -> dict[str, Any]:
        return run(
            timeline(
                # Day 1 = Jan 7, paid from Jan 21.
                signup("2026-01-07T09:00:00-08:00", "ci", "flexible", 10, "6.00"),
                signup("2026-01-07T09:00:00-08:00", "chrome", "annual", 28, "60.00"),
                setup_card("2026-01-08T09:00:00-08:00", expires=expires),
                *extra,
                # Feb 6, 03:00 UTC is Feb 5, 19:00 PST: the current cycle is Feb 1..5.
                until="2026-02-06T03:00:00Z",
            )
        )

    # January (D = 31): Jan 21..31 = 11 days.
    #   ci: 110; 6.00 x 110 / 31 = 21.290... -> 21.29
    #   chrome: 11 x 28 = 308; (60/12) x 308 / 31 = 49.677... -> 49.68; total 70.97
    # Current cycle Feb 1..5 (D = 28):
    #   ci: 5 x 10 = 50; 6.00 x 50 / 28 = 10.714... -> 10.71
    #   chrome: 5 x 28 = 140; 5 x 140 / 28 = 25.00  -> 35.71 (rounded per line or in total)

    # a) The card expired in January: the Feb 1 invoice is unpaid (not yet suspended).
    unpaid = account(expires="2026-01")
    assert lines_of(unpaid, "2026-01") == {"ci": (110, "21.29"), "chrome": (308, "49.68")}
    assert invoice_for(unpaid, "2026-01")["status"] == "unpaid"
    # total = 35.71 + 70.97 - 0 = 106.68
    assert unpaid["balance"] == {
        "current_cycle": "35.71",
        "balance_due": "70.97",
        "credit": "0.00",
        "total": "106.68",
    }

    # b) A valid card paid Feb 1 automatically; 100.00 paid by hand on Feb 3 is all credit.
    credited = account(step("2026-02-03T10:00:00-08:00", "pay", amount="100.00"), expires="2030-12")
    assert invoice_for(credited, "2026-01")["status"] == "paid"
    # total = 35.71 + 0.00 - 100.00 = -64.29 (a credit)
    assert credited["balance"] == {
        "current_cycle": "35.71",
        "balance_due": "0.00",
        "credit": "100.00",
        "total": "-64.29",
    }
