from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from billing.service import Billing
from storage.store import SqlStore
from tests.support import fresh_database


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
