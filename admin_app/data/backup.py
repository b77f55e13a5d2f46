"""The whole database copied to a file, and back (``flask walkin backup`` / ``restore``).

SQLite: sqlite3's online backup API copies the database page by page into a new file while the
app goes on serving, and the copy is checked (``PRAGMA quick_check``) before it takes its name;
a restore copies a checked backup back into the app's file the same way (its connections then
see the restored data). PostgreSQL: ``pg_dump`` (custom format) and ``pg_restore`` in one
transaction, ``--clean``: a restore that fails changes nothing. The password is passed in
``PGPASSWORD``, never on a command line others can read.

A backup holds the database only: attachments kept in a directory
(``ATTACHMENT_STORAGE=directory``) and the instance folder's secrets are copied apart.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, make_url, text
from sqlalchemy.engine import URL

from ..config import create_sqlite_file, sqlite_file


class BackupRefused(Exception):
    """Nothing was written: the message says why, in words for the command line."""


def backup_database(engine: Engine, target: Path) -> None:
    """Copy the database into ``target``, a new file."""
    if target.exists():
        raise BackupRefused(f"{target} exists already: name a new file.")
    if not target.parent.is_dir():
        raise BackupRefused(f"{target.parent} is not a folder.")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if sqlite_file(engine.url) is not None:
            _sqlite_backup(engine, partial)
        else:
            _run("pg_dump", "--format=custom", f"--file={partial}", url=engine.url)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(target)


def restore_database(engine: Engine, source: Path) -> str | None:
    """Replace every row of the database with those of the backup ``source``; returns the
    migration revision the restored database is at."""
    if not source.is_file():
        raise BackupRefused(f"{source} is not a file.")
    engine.dispose()
    if sqlite_file(engine.url) is not None:
        _sqlite_restore(engine, source)
    else:
        _run(
            "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            "--exit-on-error", str(source), url=engine.url,
        )  # fmt: skip
    engine.dispose()
    with engine.connect() as connection:
        return connection.scalar(text("SELECT version_num FROM alembic_version"))


def _sqlite_backup(engine: Engine, partial: Path) -> None:
    live = engine.raw_connection()
    try:
        copy = sqlite3.connect(partial)
        try:
            live.driver_connection.backup(copy)  # type: ignore[union-attr]
            _check(copy, partial)
        finally:
            copy.close()
    finally:
        live.close()


def _sqlite_restore(engine: Engine, source: Path) -> None:
    try:
        backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupRefused(f"{source} cannot be read: {error}.") from error
    try:
        _check(backup, source)
        create_sqlite_file(engine.url)
        live = engine.raw_connection()
        try:
            backup.backup(live.driver_connection)  # type: ignore[arg-type]
        finally:
            live.close()
    finally:
        backup.close()


def _check(connection: sqlite3.Connection, path: Path) -> None:
    """``path`` is a sound SQLite database that Alembic migrated (a Walk-in database)."""
    try:
        sound = connection.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        migrated = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{path} is not a SQLite database: {error}.") from error
    if not sound:
        raise BackupRefused(f"{path} is damaged (PRAGMA quick_check).")
    if not migrated:
        raise BackupRefused(f"{path} is not a Walk-in database (no migration revision).")


def _run(program: str, *arguments: str, url: URL) -> None:
    """Run a PostgreSQL client program on the database at ``url``."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupRefused(f"{program} is not installed (Debian: postgresql-client).")
    libpq_url = make_url(url).set(drivername="postgresql", password=None)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    done = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [executable, *arguments, f"--dbname={libpq_url.render_as_string(hide_password=False)}"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BackupRefused(f"{program} failed: {last_line}")
