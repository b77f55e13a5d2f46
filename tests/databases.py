"""Throw-away test databases: a SQLite file, or a database created on a PostgreSQL server.

``TEST_DATABASE_URL`` names a PostgreSQL server (any database on it: it is only used to connect);
the suite then creates databases of its own there and drops them at the end.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from admin_app.config import database_url, sqlite_file
from admin_app.extensions import db
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


def app_database(app: Flask) -> URL:
    with app.app_context():
        return db.engine.url


class database_outage:
    """Make the app's database unreachable for a moment, for real: its SQLite file moved away,
    or its PostgreSQL database refusing connections, those open cut."""

    def __init__(self, app: Flask, scratch: Path, *, drop_pool: bool = True) -> None:
        self.app, self.url, self.scratch = app, app_database(app), scratch
        self.file = sqlite_file(self.url)
        self.drop_pool = drop_pool

    def __enter__(self) -> None:
        if self.drop_pool:
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.file is not None:
            shutil.move(self.file, self.scratch / "away.sqlite3")
        else:
            allow_connections(self.url, False)

    def __exit__(self, *exc_info: object) -> None:
        if self.file is not None:
            shutil.move(self.scratch / "away.sqlite3", self.file)
        else:
            allow_connections(self.url, True)


def allow_connections(url: URL, allowed: bool) -> None:
    """Let clients connect to the database at ``url`` or not; refusing also cuts those open."""
    with server_connection(url) as connection:
        connection.execute(
            text(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        )
    if not allowed:
        cut_connections(url)


def cut_connections(url: URL) -> int:
    """Terminate every connection open to the database at ``url`` (a proxy cutting them)."""
    with server_connection(url) as connection:
        return len(
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": url.database},
            ).all()
        )


@contextmanager
def server_connection(url: URL) -> Iterator[Any]:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            yield connection
    finally:
        admin.dispose()
