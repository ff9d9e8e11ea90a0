"""Schema migrations with Alembic: `licensebot migrate`, and a check at start-up."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

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
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def pending(engine: Engine) -> bool:
    """True when the database is behind the latest migration."""
    head = ScriptDirectory.from_config(_config(engine)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() != head
