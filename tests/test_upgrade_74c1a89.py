"""Upgrading from release 74c1a89 (migrations 0001-0007) loses nothing: every row that
release left keeps its values, each customer keeps its team_id and domain, this code reports
the figures that release reported, and the bot, as one workspace ("T1", acme.example) with
the settings that release ran with, still serves that customer's own data.

The fixture, tests/fixtures/release_74c1a89.json, was made as the earlier ones were (their
scripts are not in the tree; neither is this one): by release 74c1a89's own code, in a
checkout of that release, on a SQLite file built by its own migrations (catalogue seeded),
then dumped raw, table by table. The recipe:

- `legacy.example` (customer 1, no team_id, as accounts from before workspaces are),
  opened through the billing service on 2026-01-05: Cloud Identity flexible, 5 users; a card
  saved by reference (visa 4242, before there was a processor); a domain registered
  (12.00); on 2026-03-01 its card replaced by visa 0002, which the sandbox declines, so
  its March invoice (INV-000007, 5 x 6.00 = 30.00) is unpaid and its payment_failed alert
  pending.
- `acme.example` (customer 2, team_id T1), through the running bot (tests/slack/bot.py
  running_bot, its Slack stand-in, signed requests): USUPER signs up chrome (annual, 25)
  in the sign-up modal on 2026-01-10; UADMIN asks for ci (flexible, 10), approved by
  USUPER and applied; UADMIN asks for ci-annual, denied; `/license billing` gives a card
  link, completed on the sandbox card page (visa 4242, 12/2030; card_entries used), and a
  second link from `/license card` is never used; seats assigned (3 on chrome, 2 on ci,
  bob@gmail.com released again); chrome +5 licences (30) and ci set to 12 users in
  February; a 30.00 payment (charge through the sandbox gateway), 10.00 of its credit
  refunded through the gateway; the January invoice's charge disputed (processor events
  evt_dispute_opened, evt_dispute_closed, won); on 2026-04-03 UADMIN asks for ci-more,
  left pending.
- The scheduler's jobs (tests/support.py runner_of's Runner, the bot's sandbox charge
  worker settling at each occurrence) ran from 2026-01-05 to 2026-04-03 09:00 PT; the
  bot's outbox delivered the alerts due on 2026-01-20 and 2026-03-01 (status sent), the
  later ones stay pending.
- Then, at 2026-04-03 12:00 PT, what the release reported was kept under `reports`:
  bot.simulate.report for each customer, and for acme.example the text of the bot's
  answers to `/license status`, `/license balance` and `/license invoices`. `types` and
  `keys` are that release's column types and primary keys (storage/models.py), which say
  what each raw value means: Money in cents, Price in 1/10000, UTCDateTime a UTC instant
  kept without its zone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.sandbox.slack_api import SlackApi
from bot.simulate import report
from services.approvals import Approvals
from services.billing import Billing
from storage.migrate import upgrade
from storage.models import Base
from storage.store import SqlStore
from tests.slack.bot import SUPER, USERS, running_bot
from tests.slack.flows import ask, view_text
from tests.test_upgrade import FIXTURES, load_release

FIXTURE = FIXTURES / "release_74c1a89.json"
DUMP: dict[str, Any] = json.loads(Path(FIXTURE).read_text(encoding="utf-8"))
REPORTS: dict[str, Any] = DUMP["reports"]
UNTIL = datetime.fromisoformat(REPORTS["acme.example"]["until"])
TEAM, DOMAIN, LEGACY = "T1", "acme.example", "legacy.example"


@pytest.fixture
def upgraded(migrated: Engine) -> Iterator[Engine]:
    """The fixture's rows at 0007, then this code's migrations to head."""
    load_release(migrated, FIXTURE, "0007")
    upgrade(engine=migrated)
    yield migrated


def meant(kind: str, raw: Any) -> Any:
    """A raw value of release 74c1a89 as that release read it (its column type `kind`)."""
    if raw is None:
        return None
    if kind == "Money":
        return Decimal(raw).scaleb(-2).quantize(Decimal("0.01"))
    if kind == "Price":
        return Decimal(raw).scaleb(-4).quantize(Decimal("0.0001"))
    if kind == "UTCDateTime":
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    if kind == "Date":
        return date.fromisoformat(raw)
    return raw


def test_every_row_of_every_table_keeps_its_values(upgraded: Engine) -> None:
    """Compared by the fixture's tables and columns: tables or columns a later migration
    adds are not looked at; one it drops or renames fails here."""
    assert set(DUMP["tables"]) <= set(Base.metadata.tables), "a table of 74c1a89 is gone"
    empty = [name for name, rows in DUMP["tables"].items() if not rows]
    assert empty == ["charge_retries", "suspensions"], "the fixture fills every other table"
    for name, rows in DUMP["tables"].items():
        table = Base.metadata.tables[name]  # this code's types: Money, UTCDateTime...
        types, keys = DUMP["types"][name], DUMP["keys"][name]
        columns = list(types)
        assert not rows or set(rows[0]) == set(columns), name
        with upgraded.connect() as connection:
            found = connection.execute(select(*(table.c[c] for c in columns))).mappings()
            now = {tuple(row[k] for k in keys): dict(row) for row in found}
        was = {
            tuple(row[k] for k in keys): {c: meant(types[c], row[c]) for c in columns}
            for row in rows
        }
        assert now.keys() == was.keys(), name
        for key, row in was.items():
            assert now[key] == row, (name, key)
        for c, kind in types.items():
            values = [row[c] for row in now.values() if row[c] is not None]
            if kind in ("Money", "Price"):
                assert all(isinstance(v, Decimal) for v in values), (name, c)
            if kind == "UTCDateTime":
                assert all(v.utcoffset() is not None and not v.utcoffset() for v in values)


def test_each_customer_keeps_its_workspace_and_domain(upgraded: Engine) -> None:
    table = Base.metadata.tables["customers"]
    with upgraded.connect() as connection:
        found = connection.execute(
            select(table.c.id, table.c.domain, table.c.team_id).order_by(table.c.id)
        ).all()
    assert [tuple(row) for row in found] == [(1, LEGACY, None), (2, DOMAIN, TEAM)]


def within(was: Any, now: Any, where: str = "") -> None:
    """`now` says all `was` said: the same values, lists as long; keys `now` adds are new."""
    if isinstance(was, dict):
        assert isinstance(now, dict), where
        for key, value in was.items():
            assert key in now, f"{where}.{key}"
            within(value, now[key], f"{where}.{key}")
    elif isinstance(was, list):
        assert isinstance(now, list) and len(now) == len(was), where
        for n, (a, b) in enumerate(zip(was, now, strict=True)):
            within(a, b, f"{where}[{n}]")
    else:
        assert now == was, where


def test_this_code_reports_what_the_release_reported(upgraded: Engine) -> None:
    store = SqlStore(upgraded, workers=0)
    billing = Billing(store)
    assert sorted(REPORTS) == [DOMAIN, LEGACY]
    for domain, entry in REPORTS.items():
        now = report(store, billing, entry["customer_id"], datetime.fromisoformat(entry["until"]))
        within(entry["report"], json.loads(json.dumps(now, default=str)), domain)
    # By hand, at 2026-04-03 12:00 PT. acme.example's March invoice: chrome 30 licences x
    # 50.00 / 12 = 125.00, ci 12 users x 6.00 = 72.00, 197.00 in all, paid by card; the April
    # cycle so far, 3 of 30 days of 197.00 = 19.70; nothing due, no credit (the 30.00
    # payment's 20.00 left after the 10.00 refund paid part of March: 197.00 - 20.00 = 177.00
    # charged to the card).
    acme = billing.balance(2, UNTIL)
    assert (acme.current_cycle, acme.balance_due, acme.credit, acme.total) == (
        Decimal("19.70"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("19.70"),
    )
    march = next(inv for inv in store.invoices(2) if inv.number == "INV-000008")
    assert march.total == Decimal("197.00") and march.unpaid == 0
    paid = [(t.kind, t.amount) for t in store.ledger(2) if t.invoice == "INV-000008"]
    assert sorted(paid) == [
        ("charge", Decimal("197.00")),
        ("credit_applied", Decimal("20.00")),
        ("payment", Decimal("177.00")),
    ]
    # legacy.example: its March invoice (INV-000007), 5 users x 6.00 = 30.00, declined,
    # still due; April so far 3/30 of 30.00 = 3.00.
    legacy = billing.balance(1, UNTIL)
    assert (legacy.balance_due, legacy.current_cycle, legacy.total) == (
        Decimal("30.00"),
        Decimal("3.00"),
        Decimal("33.00"),
    )
    ledger = store.ledger(2)
    assert [t.kind for t in ledger if t.kind in ("refund", "dispute", "dispute_won")] == [
        "refund",
        "dispute",
        "dispute_won",
    ]


def test_the_applied_and_decided_requests_are_not_applied_again(upgraded: Engine) -> None:
    store = SqlStore(upgraded, workers=0)
    approvals = Approvals(store, store, Billing(store))
    assert approvals.finish_interrupted(UNTIL) == []
    statuses = [(a["id"], a["status"]) for a in DUMP["tables"]["approvals"]]
    assert statuses == [(1, "applied"), (2, "denied"), (3, "pending")]
    pending = store.approval(2, 3)
    assert pending is not None and pending.status.value == "pending"


NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApi]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)  # slack_sdk would send 127.0.0.1 through one
    with SlackApi(USERS) as stand_in:
        yield stand_in


def test_the_bot_still_serves_the_workspace_its_data(upgraded: Engine, slack: SlackApi) -> None:
    """As one workspace, T1 on acme.example: the same customer, and its status, balance and
    invoices with every figure the release's own answers showed, in the same order."""
    told = {k: v for k, v in REPORTS[DOMAIN]["slack"].items() if k != "until"}
    with running_bot(slack, upgraded, now=UNTIL) as bot:
        assert bot.customer_id == REPORTS[DOMAIN]["customer_id"] == 2
        shown = {command: view_text(ask(bot, SUPER, command)) for command in told}
    for command, text in shown.items():
        assert NUMBER.findall(text) == NUMBER.findall(told[command]), command
    for number, total in (("INV-000008", "197.00"), ("INV-000005", "183.23")):
        assert f"*{number}*" in shown["invoices"] and f"${total}" in shown["invoices"]
    assert "INV-000007" not in shown["invoices"], "the legacy account's invoice is not T1's"
    assert "30 licences held" in shown["status"] and "3 assigned" in shown["status"]
    assert "$19.70" in shown["balance"]
