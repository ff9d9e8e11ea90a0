"""Ten thousand hostile requests, signed and unsigned, over HTTP like Slack's: commands, clicks,
view submissions, events, junk JSON and forms, and raw bytes, with fields missing, of the
wrong type, huge, or full of control characters and card numbers. Not one is answered with a
5xx, nothing is logged as an error (the last-resort handlers log one when they are reached),
no log message is over 1 KB, and the database is as it was: every request here is invalid,
unsigned, or from someone who may not change anything.

Examples are derived deterministically (derandomize), so a run is repeatable."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.slack.bot import ADMIN, PLAIN, SECRET, SUPER, Running
from tests.slack.flows import card_on_file, sign_up, snapshot
from tests.support import ON_POSTGRES

HOSTILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=10_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
CARD = "4000 0566 5566 5556"
ANSWERS = {"url": "http://127.0.0.1:9/unset"}
"""Where answers go: the stand-in's response_url, set when the test starts."""
READS = ["help", "status", "balance", "invoices", "transactions", "audit 3", "admins", "plan"]

HUGE = ["a" * 5000, "\x00" * 1500, ("\u2028" + CARD) * 200, "é" * 3000]
junk_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "\x00", "a\nb", CARD, "٤٠٠٠٠٥٦٦٥٥٦٦٥٥٥٦", "cvv 123", "<!channel>"]),
    st.sampled_from(HUGE),
)
scalars = st.one_of(junk_text, st.integers(), st.none(), st.booleans(), st.floats())
junk = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
users = st.sampled_from([PLAIN, "UNOBODY", "", "U" + "9" * 30])
"""No one here may change anything: a member, a stranger, no one at all."""


def user_field() -> st.SearchStrategy[Any]:
    return st.one_of(st.fixed_dictionaries({"id": users}), junk)


@st.composite
def command(draw: st.DrawFn) -> tuple[bytes, str]:
    reader = draw(st.sampled_from([SUPER, ADMIN]))
    read_only = st.fixed_dictionaries({"user_id": st.just(reader), "text": st.sampled_from(READS)})
    anything = st.fixed_dictionaries({"user_id": users, "text": junk_text})
    fields = draw(st.one_of(read_only, anything))
    base = {
        "command": "/license",
        "team_id": "T1",
        "trigger_id": "1.2.t",
        "response_url": ANSWERS["url"],
    }
    extra = draw(st.dictionaries(st.sampled_from(list(base)), junk_text, max_size=2))
    return urlencode({**base, **fields, **extra}).encode(), FORM


@st.composite
def interaction(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(
        st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut", "x"])
    )
    payload: dict[str, Any] = {"type": kind, "user": draw(user_field()), "team": {"id": "T1"}}
    if kind == "block_actions":
        action = {
            "action_id": draw(
                st.one_of(
                    st.sampled_from(
                        [
                            "approval_approve",
                            "approval_deny",
                            "open:pay",
                            "open_buy",
                            "invoice_pdf",
                            "nope",
                        ]
                    ),
                    junk_text,
                )
            ),
            "value": draw(junk_text),
        }
        payload["actions"] = draw(st.one_of(st.just([action]), junk))
        payload["response_url"] = draw(st.sampled_from(["", ANSWERS["url"]]))
        payload["container"] = draw(junk)
    if kind in ("view_submission", "view_closed"):
        payload["view"] = draw(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "id": st.one_of(st.just("V1"), junk_text),
                        "callback_id": st.sampled_from(
                            ["signup", "pay", "confirm", "transfer", "x"]
                        ),
                        "private_metadata": junk_text,
                        "state": st.one_of(
                            st.just(
                                {
                                    "values": {
                                        "amount": {
                                            "value": {"type": "plain_text_input", "value": CARD}
                                        }
                                    }
                                }
                            ),
                            junk,
                        ),
                    }
                ),
                junk,
            )
        )
    payload.update(
        draw(
            st.dictionaries(st.sampled_from(["trigger_id", "team", "api_app_id"]), junk, max_size=2)
        )
    )
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


@st.composite
def event(draw: st.DrawFn) -> tuple[bytes, str]:
    body = {
        "type": draw(st.sampled_from(["event_callback", "url_verification", "mystery"])),
        "team_id": "T1",
        "event": draw(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(["app_home_opened", "app_mention", "x"]),
                        "user": users,
                        "tab": junk_text,
                    }
                ),
                junk,
            )
        ),
        "event_id": draw(junk_text),
        "challenge": draw(junk),
    }
    return json.dumps(body).encode(), JSON


@st.composite
def junk_body(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(
        st.sampled_from([FORM, JSON, "text/plain", "", "application/json; charset=latin-1"])
    )
    text = draw(
        st.one_of(
            junk_text.map(str.encode),
            st.binary(max_size=200),
            junk.map(lambda j: json.dumps(j).encode()),
        )
    )
    return text, kind


def signed(body: bytes, content_type: str, age: int = 0) -> dict[str, str]:
    stamp = int(time.time()) - age
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    body, content_type = draw(st.one_of(command(), interaction(), event(), junk_body()))
    how = draw(st.sampled_from(["signed"] * 6 + ["unsigned", "stale", "forged", "odd headers"]))
    if how == "signed":
        return body, signed(body, content_type)
    if how == "stale":
        return body, signed(body, content_type, age=400)
    if how == "forged":
        return body, {**signed(body, content_type), "X-Slack-Signature": "v0=" + "0" * 64}
    if how == "odd headers":
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": draw(st.sampled_from(["", "12e3", "-5", "9" * 40, "1.5"])),
            "X-Slack-Signature": draw(st.sampled_from(["", "v0=", "x" * 500])),
        }
        return body, headers
    return body, {"Content-Type": content_type}


@pytest.fixture
def messages() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


statuses: list[int] = []


class Client:
    """One kept-alive connection, as a load balancer keeps to the bot; opened again when the
    bot closes it (after a refusal, say)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "", parts.port or 80, parts.path
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        for attempt in range(2):
            try:
                self.connection.request("POST", self.path, body=body, headers=headers)
                response = self.connection.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                return response.status
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
                if attempt:
                    raise
        raise AssertionError("unreachable")


@HOSTILE
@given(request=requests())
def hostile(client: Client, request: tuple[bytes, dict[str, str]]) -> None:
    body, headers = request
    statuses.append(client.post(body, headers))


@pytest.mark.skipif(ON_POSTGRES, reason="the edge is the same whatever the database: run once")
def test_ten_thousand_hostile_requests_get_no_5xx_and_change_nothing(
    bot: Running, messages: list[logging.LogRecord]
) -> None:
    sign_up(bot, "chrome")
    card_on_file(bot)
    ANSWERS["url"] = bot.slack.response_url("hostile")
    before = snapshot(bot.store.engine)
    statuses.clear()
    hostile(Client(bot.url))
    time.sleep(0.5)  # the answers after the acks
    assert len(statuses) >= 10_000
    assert [s for s in statuses if s >= 500] == []
    assert {s for s in statuses} <= {200, 400, 401, 405, 411, 413, 415}, set(statuses)
    assert snapshot(bot.store.engine) == before
    errors = [f"{r.name}: {r.getMessage()[:300]}" for r in messages if r.levelno >= logging.ERROR]
    assert errors == []
    assert max(len(r.getMessage()) for r in messages) <= 1024
    assert not [r for r in messages if r.exc_info], "no traceback"
