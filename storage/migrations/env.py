"""Alembic environment: the engine comes from the caller (storage.migrate) or DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context

from storage.db import DEFAULT_URL, make_engine
from storage.models import Base

config = context.config
connection = config.attributes.get("connection")


def run() -> None:
    options = {"target_metadata": Base.metadata, "render_as_batch": True, "compare_type": True}
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(os.environ.get("DATABASE_URL", DEFAULT_URL))
    with engine.connect() as conn:
        context.configure(connection=conn, **options)
        with context.begin_transaction():
            context.run_migrations()


run()
