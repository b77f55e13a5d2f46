"""Throw-away test databases: a SQLite file, or a database created on a PostgreSQL server.

``TEST_DATABASE_URL`` names a PostgreSQL server (any database on it: it is only used to connect);
the suite then creates databases of its own there and drops them at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from admin_app.config import database_url


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
    name = f"walkin_test_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
