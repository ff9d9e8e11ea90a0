"""When the bot cannot keep up it says so at once, instead of answering minutes late: a
command that arrives with too many answers waiting is told "busy" in its ack, and an answer
that waited too long for a thread is replaced by the same message."""

from __future__ import annotations

import threading
import time

import pytest

import handlers.answers
from bot.gate import Lateness
from handlers.answers import AnswerPool
from tests.slack.bot import SUPER, Running
from tests.slack.flows import new_view_id, snapshot


def test_the_pool_counts_the_answers_still_waiting() -> None:
    pool = AnswerPool(threads=1)
    gate = threading.Event()
    try:
        first = pool.submit(gate.wait, 5)
        waiting = [pool.submit(lambda: None) for _ in range(3)]
        time.sleep(0.1)
        assert pool.waiting == 3  # the first one runs, three wait
        gate.set()
        for future in (first, *waiting):
            future.result(timeout=5)
        assert pool.waiting == 0
    finally:
        pool.shutdown(wait=True)


def test_a_command_that_arrives_when_the_bot_is_too_far_behind_is_told_at_once(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers.answers, "BACKLOG", 0)  # as if 300 answers were waiting
    assert bot.customer_id  # the workspace's customer exists before the snapshot
    before = snapshot(bot.store.engine)
    answer = bot.command(SUPER, "status", response_url=bot.slack.response_url("busy"))
    assert answer.status == 200 and answer.json is not None
    assert answer.json["response_type"] == "ephemeral"
    assert "very busy right now" in answer.json["text"]
    time.sleep(0.3)
    assert bot.slack.responses("busy") == [], "no answer after all"
    assert snapshot(bot.store.engine) == before


def test_an_answer_that_waited_too_long_is_replaced_by_the_busy_message(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers.answers, "TOO_LATE", -1.0)  # every answer is already late
    answer = bot.command(SUPER, "status", response_url=bot.slack.response_url("late"))
    assert answer.status == 200 and answer.body == ""
    [reply] = bot.slack.wait_for_response("late")
    assert "very busy right now" in reply["text"]
    assert "Subscriptions" not in str(reply)


def test_lateness_is_measured_from_the_quickest_request_seen() -> None:
    lateness = Lateness(window=60.0)
    assert lateness.of(1000, 1003.4) == 0.0  # the clocks differ by 3.4 s: that is no delay
    assert lateness.of(1001, 1004.0) == 0.0  # quicker still: the new baseline
    assert lateness.of(1002, 1008.0) == pytest.approx(3.0)
    assert lateness.of(1050, 1056.0) == pytest.approx(3.0)
    assert lateness.of(1100, 1105.0) == 0.0  # the baseline has expired: this is the quickest


def test_a_request_that_took_too_long_to_arrive_is_shed_but_a_form_never_is(
    bot: Running,
) -> None:
    assert bot.customer_id
    bot.command(SUPER, "help", response_url=bot.slack.response_url("fresh"))  # the baseline
    before = snapshot(bot.store.engine)
    late = int(time.time()) - 5
    answer = bot.command(
        SUPER, "status", response_url=bot.slack.response_url("old"), timestamp=late
    )
    assert answer.headers.get("x-licensebot-shed") == "late"
    assert answer.json is not None and "very busy right now" in answer.json["text"]
    clicked = bot.sender.block_action(SUPER, "open:add_licences", timestamp=late)
    assert clicked.status == 200 and clicked.headers.get("x-licensebot-shed") == "late"
    time.sleep(0.3)
    assert bot.slack.responses("old") == [] and bot.slack.calls_to("views.open") == []
    assert snapshot(bot.store.engine) == before
    form = {"id": new_view_id(), "callback_id": "signup", "private_metadata": ""}
    submitted = bot.sender.view_submission(SUPER, form, timestamp=late)
    assert "x-licensebot-shed" not in submitted.headers
    assert submitted.json is not None and submitted.json.get("response_action") == "errors"
