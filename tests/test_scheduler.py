"""The billing clock and the alert outbox: every alert once, on time, across restarts,
retries and replicas; Slack's rate limits honoured; failures recorded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC, day_start, pacific_day
from bot.sandbox.slack_api import SlackApi
from scheduler.delivery import MAX_ATTEMPTS, Deliverer
from scheduler.destinations import OneWorkspace
from storage.models import AlertRow, AuditRow
from storage.outbox import Outbox
from storage.store import SqlStore
from tests.slack.bot import Clock
from tests.support import billing_of, runner_of

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=PACIFIC)
TEST = Actor.system("test")
CHANNEL = "CBILLING"


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApi]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with SlackApi() as stand_in:
        yield stand_in


def deliverer(store: SqlStore, slack: SlackApi, clock: Clock) -> Deliverer:
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    return Deliverer(Outbox(store), OneWorkspace(client, CHANNEL, "en"), clock)


Step = tuple[datetime, str, Any]
# The late-payment timeline: a card valid through January 2026 only.
LATE_PAYMENT: list[Step] = [
    (
        T0,
        "signup",
        cmd.Signup(
            subscription="ci",
            product="Cloud Identity Premium",
            plan="flexible",
            licences=10,
            price="6.00",
        ),
    ),
    (
        T0 + timedelta(days=1),
        "setup_billing",
        cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2026-01")),
    ),
    (datetime(2026, 2, 10, 10, tzinfo=PACIFIC), "update_card", cmd.UpdateCard(expires="2027-05")),
    (datetime(2026, 2, 10, 11, tzinfo=PACIFIC), "pay", cmd.Pay(amount="50.00")),
]
# Signed up Jan 5 (day 1): last trial day Jan 18 -> reminders Jan 11, 15, 17; paid from Jan 19.
# The card expires end of January: saved Jan 6, within 30 days of Feb 1 -> warned at once.
# Feb 1: invoice, failed charge; Feb 8 00:00: suspended; Feb 10 10:00 card fixed (retry
# scheduled 14:00); 11:00 payment clears everything -> reactivated at once; Mar 1: invoice,
# paid from credit and card.
EXPECTED = [
    ("2026-01-06T09:00:00-08:00", "card_expiring"),
    ("2026-01-11T00:00:00-08:00", "trial_ending"),
    ("2026-01-15T00:00:00-08:00", "trial_ending"),
    ("2026-01-17T00:00:00-08:00", "trial_ending"),
    ("2026-01-19T00:00:00-08:00", "trial_converted"),
    ("2026-02-01T00:00:00-08:00", "invoice_issued"),
    ("2026-02-01T00:00:00-08:00", "payment_failed"),
    ("2026-02-08T00:00:00-08:00", "suspended_non_payment"),
    ("2026-02-10T11:00:00-08:00", "payment_succeeded"),
    ("2026-02-10T11:00:00-08:00", "reactivated"),
    ("2026-03-01T00:00:00-08:00", "invoice_issued"),
    ("2026-03-01T00:00:00-08:00", "payment_succeeded"),
]


def instants(start: datetime, until: datetime, steps: list[Step]) -> list[datetime]:
    """Every midnight (and a minute after, when delivery runs), and every step."""
    moments = {at for at, _, _ in steps}
    day = pacific_day(start)
    while day_start(day) <= until:
        moments.add(day_start(day) + timedelta(minutes=1))
        day += timedelta(days=1)
    return sorted(m for m in moments if m <= until)


def drive(
    engine: Engine,
    slack: SlackApi,
    steps: list[Step],
    until: datetime,
    restart_at: datetime | None = None,
) -> Clock:
    """Move the clock over the timeline: steps as they come, the runner and the delivery
    at every moment; with `restart_at`, a new runner and deliverer take over there."""
    clock = Clock(T0)
    store = SqlStore(engine)
    billing = billing_of(store)
    customer = billing.open_account("late.example", T0)
    runner, sender = runner_of(store, T0, now=clock), deliverer(store, slack, clock)
    pending = list(steps)
    for moment in instants(T0, until, steps):
        clock.set(moment)
        if restart_at is not None and moment >= restart_at:
            store = SqlStore(engine)  # a new process over the same database
            runner, sender, restart_at = (
                runner_of(store, T0, now=clock),
                deliverer(store, slack, clock),
                None,
            )
        runner.run_until(moment)
        while pending and pending[0][0] <= moment:
            at, method, order = pending.pop(0)
            billing.order(customer.id, order, at=at, actor=TEST, key=f"{method}@{at}")
        sender.sweep()
    return clock


def sent(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AlertRow.at, AlertRow.kind, AlertRow.status).order_by(AlertRow.at, AlertRow.id)
        ).all()
    assert {status for *_, status in rows} <= {"sent"}, rows
    return [(at.astimezone(PACIFIC).isoformat(), kind) for at, kind, _ in rows]


def test_a_test_clock_drives_months_of_jobs_and_delivers_each_alert_once(
    engine: Engine, slack: SlackApi
) -> None:
    drive(engine, slack, LATE_PAYMENT, datetime(2026, 3, 2, tzinfo=PACIFIC))
    assert sent(engine) == EXPECTED
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == len(EXPECTED)
    assert all(post["channel"] == CHANNEL for post in posts)
    assert "Payment received" in posts[-1]["text"]


def test_a_restart_in_the_middle_loses_nothing_and_repeats_nothing(
    engine: Engine, slack: SlackApi
) -> None:
    drive(
        engine,
        slack,
        LATE_PAYMENT,
        datetime(2026, 3, 2, tzinfo=PACIFIC),
        restart_at=datetime(2026, 2, 3, tzinfo=PACIFIC),
    )
    assert sent(engine) == EXPECTED
    assert len(slack.calls_to("chat.postMessage")) == len(EXPECTED)


def test_alerts_missed_while_down_are_posted_once_when_back(
    engine: Engine, slack: SlackApi
) -> None:
    store = SqlStore(engine)
    billing = billing_of(store)
    customer = billing.open_account("down.example", T0)
    for at, method, order in LATE_PAYMENT[:2]:
        billing.order(customer.id, order, at=at, actor=TEST, key=method)
    clock = Clock(datetime(2026, 2, 9, 12, tzinfo=PACIFIC))  # down from Jan 6 to Feb 9
    runner_of(store, T0, now=clock).run_until(clock())
    deliverer(store, slack, clock).sweep()
    assert sent(engine) == EXPECTED[:8]
    assert len(slack.calls_to("chat.postMessage")) == 8


def test_two_schedulers_in_parallel_post_each_alert_once(
    shared_engine: Engine, slack: SlackApi
) -> None:
    engine = shared_engine
    store = SqlStore(engine)
    billing = billing_of(store)
    customer = billing.open_account("twins.example", T0)
    for at, method, order in LATE_PAYMENT[:2]:
        billing.order(customer.id, order, at=at, actor=TEST, key=method)
    clock = Clock(datetime(2026, 2, 9, 12, tzinfo=PACIFIC))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def replica() -> None:
        try:
            own = SqlStore(engine)
            barrier.wait()
            runner_of(own, T0, now=clock).run_until(clock())
            deliverer(own, slack, clock).sweep()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    runner_of(store, T0, now=clock).run_until(clock())  # whatever a lock made one replica skip
    deliverer(store, slack, clock).sweep()
    assert sent(engine) == EXPECTED[:8]
    assert len(slack.calls_to("chat.postMessage")) == 8


def one_alert(engine: Engine) -> tuple[SqlStore, Clock]:
    store = SqlStore(engine)
    billing = billing_of(store)
    customer = billing.open_account("one.example", T0)
    billing.order(customer.id, LATE_PAYMENT[1][2], at=T0, actor=TEST)  # card_expiring, at once
    return store, Clock(T0)


def test_a_429_is_honoured_with_retry_after_and_then_delivered(
    engine: Engine, slack: SlackApi
) -> None:
    store, clock = one_alert(engine)
    slack.fail("chat.postMessage", status=429, retry_after=7, times=1)
    sender = deliverer(store, slack, clock)
    first = sender.sweep()
    assert first.sent == 0 and first.paused_until == T0 + timedelta(seconds=7)
    clock.advance(seconds=3)
    assert sender.sweep().sent == 0  # still paused: nothing is even tried
    assert len(slack.calls_to("chat.postMessage")) == 1
    clock.advance(seconds=4)
    assert sender.sweep().sent == 1
    assert len(slack.calls_to("chat.postMessage")) == 2  # the refused attempt, then the post


def test_a_delivery_failing_until_the_end_is_recorded_as_failed_and_audited(
    engine: Engine, slack: SlackApi
) -> None:
    store, clock = one_alert(engine)
    slack.fail("chat.postMessage", status=500, times=10**9)
    sender = deliverer(store, slack, clock)
    for _ in range(MAX_ATTEMPTS + 2):
        sender.sweep()
        clock.advance(hours=2)  # past any backoff
    with engine.connect() as connection:
        status, attempts = connection.execute(select(AlertRow.status, AlertRow.attempts)).one()
        audit = (
            connection.execute(select(AuditRow.action).where(AuditRow.action == "alert_failed"))
            .scalars()
            .all()
        )
    assert (status, attempts) == ("failed", MAX_ATTEMPTS)
    assert audit == ["alert_failed"]
    assert len(slack.calls_to("chat.postMessage")) == MAX_ATTEMPTS


def test_a_crash_between_sending_and_marking_gives_exactly_one_duplicate(
    engine: Engine, slack: SlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Delivery is at least once: the post reached Slack but the mark was lost with the
    process, so the restarted sweep posts it again, once; the alert is then marked."""
    from storage.outbox import Claim

    store, clock = one_alert(engine)

    def crash(self: Claim, at: datetime) -> None:
        raise SystemExit("killed after posting, before marking")

    with monkeypatch.context() as patched:
        patched.setattr(Claim, "sent", crash)
        with pytest.raises(SystemExit):
            deliverer(store, slack, clock).sweep()
    assert deliverer(SqlStore(engine), slack, clock).sweep().sent == 1
    assert deliverer(SqlStore(engine), slack, clock).sweep().sent == 0
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert sent(engine) == [("2026-01-05T09:00:00-08:00", "card_expiring")]


def test_the_apscheduler_wiring_runs_the_jobs_and_delivers(engine: Engine, slack: SlackApi) -> None:
    """`licensebot run` starts APScheduler: back after downtime, it catches up at once and
    delivers what was missed."""
    from bot.app import services, web_client
    from scheduler.service import start_scheduler
    from tests.slack.bot import settings_for

    clock = Clock(datetime(2026, 2, 9, 12, tzinfo=PACIFIC))
    settings = settings_for(slack)
    store = SqlStore(engine)
    found = services(settings, store, clock)
    customer = found.billing.open_account("wired.example", T0)
    for at, method, order in LATE_PAYMENT[:2]:
        found.billing.order(customer.id, order, at=at, actor=TEST, key=method)
    runner_of(store, T0).run_until(T0 + timedelta(days=1))  # it ran on Jan 5, then went down
    scheduler = start_scheduler(found, store, web_client(settings, retries=False))
    try:
        slack.wait_for_call("chat.postMessage", count=8, timeout=15)
    finally:
        scheduler.shutdown(wait=True)
    assert sent(engine) == EXPECTED[:8]


def test_the_same_alert_about_several_subscriptions_at_one_instant_is_one_message(
    engine: Engine, slack: SlackApi
) -> None:
    """Two subscriptions signed up together have their trial reminders at the same instants
    (day 1 = Jan 5: Jan 11, 15, 17) and convert together on Jan 19: one message each time,
    naming both; every alert row is marked sent."""
    store, clock = SqlStore(engine), Clock(T0)
    billing = billing_of(store)
    customer = billing.open_account("pair.example", T0)
    for key in ("ci", "ci2"):
        signup = cmd.Signup(
            subscription=key,
            product="Cloud Identity Premium",
            plan="flexible",  # type: ignore[arg-type]
            licences=10,
            price="6.00",  # type: ignore[arg-type]
        )
        billing.order(customer.id, signup, at=T0, actor=TEST, key=key)
    card = cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2030-12"))
    billing.order(customer.id, card, at=T0, actor=TEST, key="card")
    until = datetime(2026, 1, 19, 1, 0, tzinfo=PACIFIC)
    runner_of(store, T0, now=clock).run_until(until)
    clock.set(until)
    assert deliverer(store, slack, clock).sweep().sent == 8
    posted = [call["text"] for call in slack.calls_to("chat.postMessage")]
    assert posted == [
        ":hourglass: The free trials of ci and ci2 end in 7 days",
        ":hourglass: The free trials of ci and ci2 end in 3 days",
        ":hourglass: The free trials of ci and ci2 end in 1 day",
        ":white_check_mark: ci and ci2: the trials are over, paid service has started",
    ]
    with engine.connect() as connection:
        statuses = connection.execute(select(AlertRow.status)).scalars().all()
    assert statuses == ["sent"] * 8
