"""Licence seats (SPEC "Licence seats"), through `simulate` and the real services: invoices
of flexible plans driven by assignments and releases, computed by hand from SPEC's lines;
annual commitments; alerts once per crossing; people who leave."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from billing import commands as cmd
from billing.actors import TIMELINE
from billing.errors import BillingError
from bot.simulate import simulate
from bot.timeline import TimelineError, read_timeline
from services.billing import Billing
from storage.store import SqlStore
from tests.support import billing_of, fresh_database, runner_of

SIGNUP_CI = {
    "at": "2026-01-10T09:00:00-08:00",
    "signup": {
        "subscription": "ci",
        "product": "Cloud Identity",
        "plan": "flexible",
        "licences": 2,
        "price": "6.00",
    },
}
CARD = {
    "at": "2026-01-11T09:00:00-08:00",
    "setup_billing": {"card": {"brand": "visa", "last4": "4242", "expires": "2030-12"}},
}


def run(steps: list[dict[str, Any]], until: str = "2026-04-01T00:00:00-07:00") -> dict[str, Any]:
    timeline = read_timeline({"customer": {"domain": "acme.com"}, "steps": steps, "until": until})
    with fresh_database() as engine:
        return simulate(timeline, engine)


def lines_of(result: dict[str, Any], sub: str) -> list[str]:
    return [
        line["amount"]
        for invoice in result["invoices"]
        for line in invoice["lines"]
        if line["subscription"] == sub
    ]


def test_flexible_invoices_follow_assignments_and_releases() -> None:
    result = run(
        [
            SIGNUP_CI,
            CARD,
            # 2 users, none named: U1 and U2 name them (no count change), U3 adds a user from Feb 10
            {
                "at": "2026-02-10T12:00:00-08:00",
                "assign": {"subscription": "ci", "to": ["U1", "U2", "U3"]},
            },
            # a device with a built-in perpetual licence: listed, never counted
            {
                "at": "2026-02-10T13:00:00-08:00",
                "assign": {"subscription": "ci", "to": "device:SN-1", "perpetual": True},
            },
            # a release removes a user from the next day: 2 from Feb 21
            {"at": "2026-02-20T12:00:00-08:00", "release": {"subscription": "ci", "to": "U1"}},
            # naming a holder the same day as a release: all named, so a user is added (3 on Mar 5)
            {
                "at": "2026-03-05T08:00:00-08:00",
                "assign": {"subscription": "ci", "to": "ana@acme.com"},
            },
            {
                "at": "2026-03-05T09:00:00-08:00",
                "release": {"subscription": "ci", "to": "ANA@acme.com"},
            },
            # a release on the last day of a month: still held that day, 1 user from Apr 1
            {"at": "2026-03-31T20:00:00-07:00", "release": {"subscription": "ci", "to": "U2"}},
        ]
    )
    # Jan: paid from Jan 24 (day 15), 8 days x 2 users = 16; 6 x 16 / 31 = 3.0967 -> 3.10
    # Feb: Feb 1-9 2 users (18), Feb 10-20 3 (33), Feb 21-28 2 (16) = 67; 6 x 67 / 28 = 14.3571 -> 14.36
    # Mar: Mar 1-4 2 (8), Mar 5 3 (the peak of the day), Mar 6-31 2 (52) = 63; 6 x 63 / 31 = 12.1935 -> 12.19
    assert lines_of(result, "ci") == ["3.10", "14.36", "12.19"]
    (sub,) = result["subscriptions"]
    assert (sub["licences"], sub["seats_used"]) == (1, 1)  # U3; the device is not a paid seat


def test_annual_seats_never_exceed_the_commitment_and_billing_is_unchanged() -> None:
    chrome = {
        "at": "2026-01-10T09:00:00-08:00",
        "signup": {
            "subscription": "chrome",
            "product": "Chrome",
            "plan": "annual",
            "licences": 3,
            "price": "60.00",
        },
    }
    assign = {
        "at": "2026-02-03T09:00:00-08:00",
        "assign": {"subscription": "chrome", "to": ["U1", "U2", "U3"]},
    }
    result = run([chrome, CARD, assign], until="2026-03-01T00:00:00-08:00")
    # Jan 24-31: 8 days x 3 = 24; 60/12 x 24 / 31 = 3.8709 -> 3.87. Feb: 28 x 3 = 84; 5 x 84 / 28 = 15.00
    assert lines_of(result, "chrome") == ["3.87", "15.00"]
    past = {"at": "2026-02-04T09:00:00-08:00", "assign": {"subscription": "chrome", "to": "U4"}}
    with pytest.raises(TimelineError) as refused:
        run([chrome, CARD, assign, past])
    assert str(refused.value) == (
        "step 3 (assign): to: chrome has no licence left for these: 3 of 3 are assigned. Buy 1 more."
    )


@pytest.mark.parametrize(
    ("step", "said"),
    [
        (
            {"release": {"subscription": "ci", "to": "U9"}},
            "step 2 (release): to: U9 holds no licence of ci",
        ),
        (
            {"assign": {"subscription": "ci", "to": ["U1", "<@U1|ana>"]}},
            "step 2 (assign): to: U1 is named twice",
        ),
        (
            {"assign": {"subscription": "ci", "to": "device:4242424242424242"}},
            "step 2 (assign): to: looks like a card number: never type one in Slack",
        ),
        (
            {"assign": {"subscription": "ci", "to": "U5", "perpetual": True}},
            "step 2 (assign): perpetual: only a device has a built-in perpetual licence, not U5",
        ),
    ],
)
def test_a_bad_seat_step_is_one_line_naming_the_step_and_field(
    step: dict[str, Any], said: str
) -> None:
    first = {"at": "2026-01-12T09:00:00-08:00", "assign": {"subscription": "ci", "to": "U1"}}
    with pytest.raises(TimelineError) as refused:
        run([SIGNUP_CI, first, {"at": "2026-01-13T09:00:00-08:00", **step}])
    assert str(refused.value).replace("steps.2.", "") == said


def test_a_15_digit_imei_is_a_device_serial() -> None:
    imei = "device:490154203237518"  # passes the Luhn check, as every IMEI does
    result = run(
        [
            SIGNUP_CI,
            {"at": "2026-01-12T09:00:00-08:00", "assign": {"subscription": "ci", "to": imei}},
        ]
    )
    assert result["subscriptions"][0]["seats_used"] == 1


# ---- the same invoices from the counts SPEC's rule 3 derives --------------------------

DAYS = st.lists(
    st.tuples(st.integers(1, 28), st.sampled_from(["assign", "release"]), st.integers(0, 4)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DAYS)
def test_a_flexible_line_equals_the_line_of_the_counts_rule_3_gives(
    events: list[tuple[int, str, int]],
) -> None:
    """For any sequence of assignments and releases in February, the invoices equal those of
    the same subscription told the counts by set_users, the counts derived here by rule 3:
    a new holder when every user is named adds one, otherwise names one; a release removes one."""
    count, named = 3, set[str]()
    seat_steps, count_steps = [], []
    for n, (day, action, who) in enumerate(sorted(events, key=lambda e: e[0])):
        at = f"2026-02-{day:02d}T{8 + n:02d}:00:00-08:00"
        holder = f"U{who}"
        if action == "assign" and holder not in named:
            if len(named) == count:
                count += 1
            named.add(holder)
        elif action == "release" and holder in named:
            named.remove(holder)
            count -= 1
        else:
            continue
        assume(count >= 1)
        seat_steps.append({"at": at, action: {"subscription": "ci", "to": holder}})
        count_steps.append({"at": at, "set_users": {"subscription": "ci", "count": count}})
    signup = {**SIGNUP_CI, "signup": {**SIGNUP_CI["signup"], "licences": 3}}  # type: ignore[dict-item]
    until = "2026-03-01T00:00:00-08:00"
    by_seats = run([signup, CARD, *seat_steps], until)
    by_counts = run([signup, CARD, *count_steps], until)
    assert by_seats["invoices"] == by_counts["invoices"]
    assert by_seats["subscriptions"][0]["licences"] == count


# ---- alerts, renewals and people who leave, through the services ----------------------

START = datetime(2026, 1, 10, 17, tzinfo=UTC)


@contextmanager
def account() -> Iterator[tuple[SqlStore, Billing, int]]:
    """A fresh database, the services on it, and one customer opened on Jan 10."""
    with fresh_database() as engine:
        store = SqlStore(engine, workers=0)
        billing = billing_of(store)
        yield store, billing, billing.open_account("acme.com", START).id


def _annual(billing: Billing, customer: int, licences: int) -> None:
    at = datetime(2026, 1, 10, 17, tzinfo=UTC)
    billing.order(
        customer,
        cmd.Signup(
            subscription="chrome", product="Chrome", plan="annual", licences=licences, price="60.00"
        ),
        at=at,
        actor=TIMELINE,
    )


def _kinds(store: SqlStore, customer: int) -> list[tuple[str, int]]:
    return [
        (str(alert.kind), alert.facts["used"])
        for alert in store.alerts(customer)
        if str(alert.kind).startswith("seats")
    ]


def test_seat_alerts_come_once_per_crossing() -> None:
    with account() as (store, billing, customer):
        _annual(billing, customer, 25)
        at = datetime(2026, 1, 12, 17, tzinfo=UTC)

        def assign(*names: str, key: str) -> None:
            billing.order(
                customer,
                cmd.Assign(subscription="chrome", to=list(names)),
                at=at,
                actor=TIMELINE,
                key=key,
            )

        assign(*(f"U{n}" for n in range(22)), key="a")  # 22 of 25: below 90 %
        assign("U22", key="b")  # 23 of 25: seats_low
        assign("U22B", "U23", key="c")  # 25: seats_exhausted
        assign("U22B", "U23", key="c")  # a retry: replayed, no alert
        billing.order(
            customer,
            cmd.Release(subscription="chrome", to=["U0", "U1", "U2"]),
            at=at,
            actor=TIMELINE,
        )
        assign("W1", "W2", "W3", key="d")  # 22 -> 25 crosses both: only seats_exhausted
        assert _kinds(store, customer) == [
            ("seats_low", 23),
            ("seats_exhausted", 25),
            ("seats_exhausted", 25),
        ]
        with pytest.raises(BillingError) as refused:
            assign("W4", key="e")
        assert refused.value.params["shortfall"] == 1


def test_someone_who_leaves_is_released_on_flexible_plans_and_flagged_on_annual_ones() -> None:
    with account() as (_store, billing, customer):
        start = START
        _annual(billing, customer, 5)
        billing.order(
            customer,
            cmd.Signup(subscription="ci", product="CI", plan="flexible", licences=2, price="6.00"),
            at=start,
            actor=TIMELINE,
        )
        at = datetime(2026, 1, 12, 17, tzinfo=UTC)
        for sub in ("chrome", "ci"):
            billing.order(
                customer, cmd.Assign(subscription=sub, to=["U1", "U2"]), at=at, actor=TIMELINE
            )
        left = datetime(2026, 1, 13, 17, tzinfo=UTC)
        change = billing.order(
            customer, cmd.HolderLeft(holder="U1"), at=left, actor=TIMELINE, key="gone"
        )
        assert change.after == {"released": ["ci"], "flagged": ["chrome"]}
        again = billing.order(
            customer, cmd.HolderLeft(holder="U1"), at=left, actor=TIMELINE, key="gone2"
        )
        assert again.after == {"released": [], "flagged": []}
        subs = {s.key: s for s in billing.overview(customer, left).subscriptions}
        assert (subs["ci"].licences, subs["ci"].seats_used) == (1, 1)
        assert subs["chrome"].seats_used == 2  # flagged for reclaim: still used until released
        assert [s.holder for s in subs["chrome"].seats if s.reclaim_since] == ["U1"]
        with pytest.raises(BillingError):
            billing.order(
                customer,
                cmd.SetUsers(subscription="ci", count=1, perpetual=1),
                at=left,
                actor=TIMELINE,
            )


def test_the_30_day_renewal_alert_lists_unused_seats() -> None:
    with account() as (store, billing, customer):
        start = START
        _annual(billing, customer, 5)
        billing.order(
            customer,
            cmd.SetupBilling.model_validate(CARD["setup_billing"]),
            at=start,
            actor=TIMELINE,
        )
        billing.order(
            customer, cmd.Assign(subscription="chrome", to=["U1", "U2"]), at=start, actor=TIMELINE
        )
        billing.order(customer, cmd.HolderLeft(holder="U2"), at=start, actor=TIMELINE)
        # paid from Jan 24, 2026: the term's last day is Jan 23, 2027; 30 days before: Dec 24, 2026
        runner_of(store, start).run_until(datetime(2026, 12, 24, 8, 0, tzinfo=UTC))
        (alert,) = [a for a in store.alerts(customer) if str(a.kind) == "renewal_upcoming"]
        assert (alert.facts["days_left"], alert.facts["unassigned"], alert.facts["reclaim"]) == (
            30,
            3,
            ["U2"],
        )


def test_a_flexible_invoice_after_someone_left() -> None:
    with account() as (store, billing, customer):
        start = START
        signup = cmd.Signup(
            subscription="ci", product="CI", plan="flexible", licences=2, price="6.00"
        )
        billing.order(customer, signup, at=start, actor=TIMELINE)
        billing.order(
            customer,
            cmd.SetupBilling.model_validate(CARD["setup_billing"]),
            at=start,
            actor=TIMELINE,
        )
        billing.order(
            customer, cmd.Assign(subscription="ci", to=["U1", "U2"]), at=start, actor=TIMELINE
        )
        left = datetime(2026, 2, 10, 20, tzinfo=UTC)  # Feb 10, 12:00 Pacific
        runner_of(store, start).run_until(left)
        billing.order(customer, cmd.HolderLeft(holder="U1"), at=left, actor=TIMELINE, key="left")
        runner_of(store, left).run_until(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
        amounts = [str(line.amount) for inv in store.invoices(customer) for line in inv.lines]
        # Jan 24-31: 8 days x 2 = 16; 6 x 16 / 31 = 3.0967 -> 3.10
        # Feb 1-10: 2 users (20, still held on the day they left), Feb 11-28: 1 (18) = 38;
        # 6 x 38 / 28 = 8.1428 -> 8.14
        assert amounts == ["3.10", "8.14"]
