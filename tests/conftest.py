from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from services.billing import Billing
from services.charging import sandbox_charger
from storage.db import make_engine
from storage.models import Base
from storage.store import SqlStore
from tests.support import DATABASE_URL, ON_POSTGRES, fresh_database


@pytest.fixture
def engine() -> Iterator[Engine]:
    with fresh_database() as engine:
        yield engine


@pytest.fixture
def store(engine: Engine) -> SqlStore:
    return SqlStore(engine)


@pytest.fixture
def billing(store: SqlStore) -> Billing:
    return Billing(store, charges=sandbox_charger(store))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A database other threads and processes can open too (a file, for SQLite): its URL
    and an engine on it."""
    if ON_POSTGRES:
        with fresh_database() as engine:
            yield DATABASE_URL, engine
        return
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield url, engine
    engine.dispose()


@pytest.fixture
def shared_engine(database: tuple[str, Engine]) -> Engine:
    """A database several threads can use at once."""
    return database[1]


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[Engine]:
    """A database built by the Alembic migrations alone (a private schema on PostgreSQL)."""
    if ON_POSTGRES:
        admin = make_engine(DATABASE_URL)
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            connection.execute(text("CREATE SCHEMA migration_check"))
        engine = make_engine(
            DATABASE_URL, connect_args={"options": "-c search_path=migration_check"}
        )
        yield engine
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA migration_check CASCADE"))
        admin.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
        yield engine
        engine.dispose()
