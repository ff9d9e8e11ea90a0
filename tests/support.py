"""Test databases: in-memory SQLite by default, PostgreSQL when DATABASE_URL points at it.

PostgreSQL tests share one schema, emptied between tests (TRUNCATE is far quicker than
recreating fourteen tables), so the suite stays fast on both databases.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bot.simulate import simulate
from bot.timeline import read_timeline
from scheduler.runner import Runner
from services.billing import Billing
from services.charging import sandbox_charger
from storage.db import MEMORY_URL, make_engine
from storage.models import Base
from storage.store import SqlStore

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith("postgres")
_shared: Engine | None = None


def _postgres() -> Engine:
    global _shared
    if _shared is None:
        _shared = make_engine(DATABASE_URL)
        with _shared.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        Base.metadata.create_all(_shared)
    return _shared


def empty_postgres(engine: Engine) -> None:
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@contextmanager
def fresh_database() -> Iterator[Engine]:
    """An empty database with the current schema."""
    if ON_POSTGRES:
        engine = _postgres()
        empty_postgres(engine)
        yield engine
        return
    engine = make_engine(MEMORY_URL)
    Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def run(document: dict[str, Any]) -> dict[str, Any]:
    """Replay a timeline document (as it would be read from YAML) on a fresh database."""
    with fresh_database() as engine:
        return simulate(read_timeline(document), engine)


def timeline(*steps: dict[str, Any], until: str, domain: str = "example.com") -> dict[str, Any]:
    return {"customer": {"domain": domain}, "steps": list(steps), "until": until}


def lines_of(result: dict[str, Any], period: str) -> dict[str | None, tuple[int, str]]:
    """{subscription: (quantity_days, amount)} of the invoice for `period`."""
    (invoice,) = [inv for inv in result["invoices"] if inv["period"] == period]
    return {
        line["subscription"]: (line["quantity_days"], line["amount"]) for line in invoice["lines"]
    }


def alerts_of(result: dict[str, Any], kind: str | None = None) -> list[tuple[str, str, str | None]]:
    return [
        (alert["at"], alert["kind"], alert["subscription"])
        for alert in result["alerts"]
        if kind is None or alert["kind"] == kind
    ]


PRODUCTS = {"annual": "Chrome Enterprise Upgrade", "flexible": "Cloud Identity Premium"}


def step(at: str, action: str, **fields: Any) -> dict[str, Any]:
    return {"at": at, action: fields}


def signup(at: str, key: str, plan: str, licences: int, price: str, **extra: Any) -> dict[str, Any]:
    return step(
        at,
        "signup",
        subscription=key,
        product=PRODUCTS[plan],
        plan=plan,
        licences=licences,
        price=price,
        **extra,
    )


def setup_card(at: str, expires: str = "2030-12", last4: str = "4242") -> dict[str, Any]:
    return step(at, "setup_billing", card={"brand": "visa", "last4": last4, "expires": expires})


def billing_of(store: SqlStore) -> Billing:
    """The billing service as the bot builds it: charges sent to the sandbox gateway as soon
    as the order that records them commits."""
    return Billing(store, charges=sandbox_charger(store))


def runner_of(
    store: SqlStore, origin: datetime, now: Callable[[], datetime] | None = None
) -> Runner:
    """The scheduler's runner with the charge worker after each occurrence, as the bot runs it."""
    charger = sandbox_charger(store)
    return Runner(store, origin, now=now, settle=lambda at: charger.run(at))
