from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from billing.service import Billing
from storage.db import make_engine
from storage.models import Base
from storage.store import SqlStore
from tests.support import ON_POSTGRES, fresh_database


@pytest.fixture
def engine() -> Iterator[Engine]:
    with fresh_database() as engine:
        yield engine


@pytest.fixture
def store(engine: Engine) -> SqlStore:
    return SqlStore(engine)


@pytest.fixture
def billing(store: SqlStore) -> Billing:
    return Billing(store)


@pytest.fixture
def shared_engine(tmp_path: Path) -> Iterator[Engine]:
    """A database several threads can use at once (a file, for SQLite)."""
    if ON_POSTGRES:
        with fresh_database() as engine:
            yield engine
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
