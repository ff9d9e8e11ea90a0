"""Schema migrations with Alembic: `licensebot migrate`, and a check at start-up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from storage.db import DEFAULT_URL, make_engine

INI = Path(__file__).with_name("alembic.ini")


def _config(engine: Engine) -> Config:
    config = Config(str(INI))
    config.set_main_option("script_location", str(INI.with_name("migrations")))
    config.attributes["engine"] = engine
    return config


def upgrade(url: str | None = None, engine: Engine | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` (the latest by default; an earlier one for the tests
    that upgrade a database an older release filled)."""
    engine = engine or make_engine(url or os.environ.get("DATABASE_URL", DEFAULT_URL))
    config = _config(engine)
    with (
        engine.connect() as connection,
        _foreign_keys_checked_at_the_end(connection),
        connection.begin(),
    ):
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        _check_foreign_keys(connection)


@contextmanager
def _foreign_keys_checked_at_the_end(connection: Connection) -> Iterator[None]:
    """SQLite changes a table's constraints by copying it, and dropping the old copy of a table
    others refer to (customers) fails while foreign keys are enforced: they are switched off on
    this connection for the migration (SQLite allows it only outside a transaction) and every
    row is checked before it commits, as SQLite's documented procedure does."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"the migration broke {len(broken)} reference(s), first {broken[0]}")


def pending(engine: Engine) -> bool:
    """True when the database is behind the latest migration."""
    head = ScriptDirectory.from_config(_config(engine)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() != head
