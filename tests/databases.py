"""Throw-away test databases: a SQLite file, or a database created on a PostgreSQL server.

``TEST_DATABASE_URL`` names a PostgreSQL server (any database on it: it is only used to connect);
the suite then creates databases of its own there and drops them at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from admin_app.config import database_url
from bench.conflict_load import fresh_postgres


def server_url() -> str | None:
    """The PostgreSQL server the suite runs on, or None for SQLite."""
    raw = os.environ.get("TEST_DATABASE_URL")
    return database_url(raw, "") if raw else None


def postgres_problem(url: str) -> str | None:
    """Why the server at ``url`` cannot be used, or None when it answers."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        return str(error.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


@contextmanager
def fresh_database(directory: Path, label: str) -> Iterator[str]:
    """Yield the URL of a new, empty database, and remove it afterwards."""
    server = server_url()
    if server is None:
        yield f"sqlite:///{directory / f'{label}.sqlite3'}"
        return
    with fresh_postgres(server, prefix=f"walkin_test_{label}") as url:
        yield url
