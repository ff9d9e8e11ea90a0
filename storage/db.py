"""Engines and sessions for SQLite (default, a file) and PostgreSQL (`DATABASE_URL`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///licensebot.sqlite3"
MEMORY_URL = "sqlite://"
READS = "licensebot_reads"
"""Execution option of connections that only read. On SQLite they take no write lock, so a
screen never waits for the invoice run: "snapshot" reads in a deferred transaction (WAL
readers see one consistent state), "statement" runs each statement on its own."""


def reading(engine: Engine, how: str = "statement") -> Engine:
    """The same engine and pool, for connections that only read."""
    return engine.execution_options(**{READS: how})


def normalise_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str = DEFAULT_URL, **options: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **options)
    # Sessions in UTC: timestamps then arrive already in the zone they are kept in.
    connect_args = {"options": "-c timezone=UTC", **options.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **options)


def _sqlite_engine(url: str, **options: Any) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    if memory:
        options.setdefault("poolclass", StaticPool)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **options)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below start transactions, so that every unit of
        # work takes SQLite's write lock up front (BEGIN IMMEDIATE) and never deadlocks
        # upgrading a read lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        reads = connection.get_execution_options().get(READS)
        if reads == "statement":
            return  # a single read is its own transaction
        connection.exec_driver_sql("BEGIN" if reads == "snapshot" else "BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
