"""Alembic environment: the engine comes from the caller (storage.migrate) or DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from storage.db import DEFAULT_URL, make_engine
from storage.models import Base

config = context.config
connection = config.attributes.get("connection")


def _migrate(conn: Connection) -> None:
    """One configuration, typed, for the caller's connection and for our own."""
    context.configure(
        connection=conn, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(os.environ.get("DATABASE_URL", DEFAULT_URL))
    with engine.connect() as conn:
        _migrate(conn)


run()
