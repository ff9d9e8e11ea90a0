"""Upgrading loses nothing: a database release 1f2cbf2 filled (tests/fixtures, made by that
release's own code on its own migrations) is upgraded by this release's migrations and keeps
every row's meaning; the requests it approved but never applied are applied when this release
starts, once, and the one it had applied is not applied again."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Engine, Integer, MetaData, Table, select, text

from billing.approvals import ApprovalStatus
from bot.simulate import report
from services.approvals import Approvals
from services.billing import Billing
from storage.migrate import upgrade
from storage.store import SqlStore
from storage.types import Money, Price
from tests.support import ON_POSTGRES
from views.i18n import refusal

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE = FIXTURES / "release_1f2cbf2.json"
PREVIOUS = FIXTURES / "release_0d7b366.json"
"""Release 0d7b366 (migrations 0001-0003), with what it reported for each customer."""
MONEY = {
    ("transactions", "amount"),
    ("allocations", "amount"),
    ("invoice_lines", "amount"),
}
PRICES = {
    ("products", "annual_price"),
    ("products", "flexible_price"),
    ("subscriptions", "price"),
    ("domain_registrations", "price"),
}
AT = datetime.fromisoformat("2026-03-03T12:00:00+00:00")


def _raw(table: Table, name: str, value: Any) -> Any:
    """A value as release 1f2cbf2 stored it: money in minor units, instants and dates typed."""
    if value is None or isinstance(value, int):
        return value  # minor units already (a dump of the raw table)
    if (table.name, name) in MONEY:
        return Money().process_bind_param(Decimal(value), None)  # type: ignore[arg-type]
    if (table.name, name) in PRICES:
        return Price().process_bind_param(Decimal(value), None)  # type: ignore[arg-type]
    kind = table.c[name].type
    if isinstance(kind, DateTime):  # dumped as the database kept it: UTC, without a zone
        found = datetime.fromisoformat(value)
        return found.replace(tzinfo=UTC) if found.tzinfo is None else found
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, JSON) and isinstance(value, str):
        return json.loads(value)
    return value


def load_release(
    engine: Engine, fixture: Path = FIXTURE, revision: str = "0002"
) -> dict[str, list[dict[str, Any]]]:
    """Migrate to that release's schema and put its rows back, as they were."""
    dump = json.loads(fixture.read_text(encoding="utf-8"))
    assert dump["revision"] == revision
    upgrade(engine=engine, revision=revision)
    tables = MetaData()
    tables.reflect(engine)
    order = [t for t in tables.sorted_tables if t.name in dump["tables"]]
    with engine.begin() as connection:
        for table in reversed(order):
            connection.execute(table.delete())
        for table in order:
            rows = [
                {name: _raw(table, name, value) for name, value in row.items()}
                for row in dump["tables"][table.name]
            ]
            if rows:
                connection.execute(table.insert(), rows)
            if ON_POSTGRES and rows and "id" in table.c and isinstance(table.c.id.type, Integer):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
    return dict(dump["tables"])


def rows_of(engine: Engine, name: str) -> list[dict[str, Any]]:
    table = Table(name, MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        return [
            dict(row) for row in connection.execute(select(table).order_by(table.c.id)).mappings()
        ]


def test_every_row_of_the_previous_release_keeps_its_meaning(migrated: Engine) -> None:
    before = load_release(migrated)
    upgrade(engine=migrated)
    for name, rows in before.items():
        if name in ("alembic_version",):
            continue
        assert len(rows_of(migrated, name)) == len(rows), name
    alerts = rows_of(migrated, "alerts")
    told = [a for a in alerts if a["notify_user"] is not None]
    assert [(a["kind"], a["notify_user"]) for a in told] == [("payment_succeeded", "USUPER")]
    assert all("actor" not in (a["facts"] or {}) for a in alerts)
    assert [a["facts"] for a in alerts if a["id"] != told[0]["id"]] == [
        a["facts"] for a in before["alerts"] if a["id"] != told[0]["id"]
    ]
    approvals = {a["id"]: a for a in rows_of(migrated, "approvals")}
    assert [approvals[n]["action"] for n in sorted(approvals)] == [
        "add_licences",
        "refund_credit",
        "set_users",
        "signup",
        "refund_credit",
        "renewal",
    ]
    store = SqlStore(migrated, workers=0)
    failed = store.approval(1, 4)
    assert failed is not None and failed.status is ApprovalStatus.FAILED
    assert failed.failure is not None
    said = "un abonnement nommé « chrome » existe déjà"
    assert refusal("fr", failed.failure) == refusal("en", failed.failure) == said
    ledger = before["transactions"]
    credit = sum(
        (Decimal(t["amount"]) * (1 if t["kind"] == "credit" else -1))
        for t in ledger
        if t["kind"] in ("credit", "credit_applied", "refund") and t["customer_id"] == 1
    )
    assert Billing(store).balance(1, AT).credit == credit == Decimal("25.00")


def test_requests_approved_but_never_applied_are_applied_once_when_this_release_starts(
    migrated: Engine,
) -> None:
    load_release(migrated)
    upgrade(engine=migrated)
    store = SqlStore(migrated, workers=0)
    billing = Billing(store)
    approvals = Approvals(store, store, billing)
    audit_before = rows_of(migrated, "audit_log")
    finished = approvals.finish_interrupted(AT)
    assert sorted(a.id for a in finished if a.id) == [5, 6]
    status = {a.id: a.status for a in finished}
    # Request 5 refunds all the credit. That credit (25.00) came from payments that release
    # took before there was a payment processor: no processor charge stands behind it, so it
    # cannot be paid back through the gateway (SPEC "Payments through a processor" 8). The
    # request fails, saying why, and the credit stays; no refund row is written.
    assert status == {5: ApprovalStatus.FAILED, 6: ApprovalStatus.APPLIED}
    refused = next(a for a in finished if a.id == 5).failure
    assert refused is not None
    assert refusal("en", refused) == (
        "none of the credit came from a card payment that can be paid back"
    )
    refunds = [entry.amount for entry in store.ledger(1) if entry.kind == "refund"]
    assert refunds == []
    # That release audited both decisions already; nothing was applied, so no new row (and
    # the renewal it had applied is not applied again).
    assert rows_of(migrated, "audit_log")[len(audit_before) :] == []
    assert approvals.finish_interrupted(AT) == []
    assert billing.balance(1, AT).credit == Decimal("25.00")


def test_the_previous_release_upgrades_to_seats_with_every_figure_it_reported(
    migrated: Engine,
) -> None:
    """0003 → 0004: every row kept, no seat named, and each customer's invoices, ledger,
    balance, subscriptions and alerts read as release 0d7b366 reported them (seats_used 0)."""
    before = load_release(migrated, PREVIOUS, "0003")
    upgrade(engine=migrated)
    for name, rows in before.items():
        assert len(rows_of(migrated, name)) == len(rows), name
    assert rows_of(migrated, "seats") == []
    store = SqlStore(migrated, workers=0)
    billing = Billing(store)
    reports = json.loads(PREVIOUS.read_text(encoding="utf-8"))["reports"]
    assert len(reports) == 2
    for entry in reports.values():
        until = datetime.fromisoformat(entry["until"])
        now = report(store, billing, entry["customer_id"], until)
        for sub in now["subscriptions"]:
            assert sub.pop("seats_used") == 0
        assert json.loads(json.dumps(now, default=str)) == entry["report"]
