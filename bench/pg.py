"""The benchmarks' own PostgreSQL database, so a benchmark never wipes the tests' one."""

from __future__ import annotations

import os

import psycopg

SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
NAME = "licensebot_bench"
URL = os.environ.get(
    "BENCH_DATABASE_URL", f"postgresql+psycopg://{SERVER.split('://', 1)[1]}/{NAME}"
)


def ensure_database() -> str:
    """Create the benchmark database if needed; returns its SQLAlchemy URL."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (NAME,)
        ).fetchone()
        if not exists:
            connection.execute(f"CREATE DATABASE {NAME}")
    return URL


def raw_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def empty_schema(url: str) -> None:
    """The benchmark database emptied and given the current tables."""
    from sqlalchemy import text

    from storage.db import make_engine
    from storage.models import Base

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    engine.dispose()
