"""``flask walkin backup`` and ``restore`` through the real commands: back up demo data, wipe
every table, restore, and find every table's rows as they were (SQLite's online backup API;
pg_dump and pg_restore on PostgreSQL)."""

from __future__ import annotations

import shutil

import pytest
from flask_security import hash_password
from sqlalchemy import MetaData, Table, func, insert, inspect, select

from admin_app.data.invoicing import Invoice, InvoiceLine
from admin_app.data.models import Role, RoleName, User
from admin_app.extensions import db, security
from tests.conftest import World

Snapshot = dict[str, list[tuple]]


@pytest.fixture
def postgres_tools(app) -> None:
    with app.app_context():
        on_postgresql = db.engine.dialect.name == "postgresql"
    missing = [name for name in ("pg_dump", "pg_restore") if shutil.which(name) is None]
    if on_postgresql and missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian: postgresql-client)")


def run(app, *arguments: str, **options):
    return app.test_cli_runner().invoke(args=["walkin", *arguments], **options)


def snapshot(app) -> Snapshot:
    """Every row of every table the database holds (read back from the database itself,
    migrations' revision included), in primary key order."""
    with app.app_context(), db.engine.connect() as connection:
        names = sorted(inspect(connection).get_table_names())
        rows = {}
        for name in names:
            table = Table(name, MetaData(), autoload_with=connection)
            order = list(table.primary_key.columns) or list(table.columns)
            rows[name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
        return rows


def wipe(app) -> None:
    """Empty every table of the app's models (as a lost or damaged database would be)."""
    with app.app_context():
        db.session.execute(InvoiceLine.__table__.delete())
        db.session.execute(
            Invoice.__table__.delete().where(Invoice.credits_invoice_id.is_not(None))
        )
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def demo(app, world: World) -> Snapshot:
    """The demo's accounts, shops, clients, missions, messages and profiles, and the test
    world's; what every table holds then."""
    assert run(app, "demo").exit_code == 0
    before = snapshot(app)
    assert all(before[name] for name in ("user", "walk_in_client", "walk_in_mission"))
    assert before["outbox_message"] and before["alembic_version"]
    return before


@pytest.mark.usefixtures("postgres_tools")
def test_backup_wipe_restore_gives_back_every_row_of_every_table(app, demo, tmp_path):
    backup = tmp_path / "walkin.backup"

    made = run(app, "backup", str(backup))
    wipe(app)
    assert snapshot(app)["walk_in_client"] == []
    restored = run(app, "restore", str(backup), "--yes")

    assert made.exit_code == 0 and "backed up" in made.output
    assert restored.exit_code == 0, restored.output
    assert "restored" in restored.output and "db upgrade" not in restored.output
    after = snapshot(app)
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in demo.items()
    }
    assert after == demo


@pytest.mark.usefixtures("postgres_tools")
def test_a_restored_database_takes_new_rows(app, demo, tmp_path):
    """Sequences (PostgreSQL) and autoincrement counters come back with the rows."""
    backup = tmp_path / "walkin.backup"
    with app.app_context():
        highest = db.session.scalar(select(func.max(User.id)))
    assert run(app, "backup", str(backup)).exit_code == 0
    wipe(app)
    assert run(app, "restore", str(backup), "--yes").exit_code == 0

    with app.app_context():
        user = security.datastore.create_user(
            email="after.restore@walkin.example.com",
            password=hash_password("a long enough password"),
            roles=[RoleName.PARTNER.value],
        )
        db.session.commit()
        assert user.id > highest


@pytest.mark.usefixtures("postgres_tools")
def test_restore_asks_first_and_without_a_yes_changes_nothing(app, demo, tmp_path):
    backup = tmp_path / "walkin.backup"
    assert run(app, "backup", str(backup)).exit_code == 0
    wipe(app)

    refused = run(app, "restore", str(backup), input="n\n")

    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert snapshot(app)["walk_in_client"] == []


def test_backup_never_overwrites_a_file(app, world, tmp_path):
    existing = tmp_path / "older.backup"
    existing.write_bytes(b"an older backup")

    refused = run(app, "backup", str(existing))

    assert refused.exit_code == 1 and "exists already" in refused.output
    assert existing.read_bytes() == b"an older backup"
    assert [path.name for path in tmp_path.iterdir()] == ["older.backup"]


@pytest.mark.usefixtures("postgres_tools")
def test_restoring_a_file_that_is_no_backup_changes_nothing(app, demo, tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("these are not the rows you are looking for\n" * 100)

    refused = run(app, "restore", str(not_a_backup), "--yes")

    assert refused.exit_code == 1 and "Nothing restored" in refused.output
    assert snapshot(app) == demo


@pytest.mark.usefixtures("postgres_tools")
def test_a_backup_is_made_while_another_transaction_writes_and_holds_what_was_committed(
    app, demo, tmp_path
):
    """Online: a write under way on another connection neither stops the backup nor gets
    into it."""
    backup = tmp_path / "walkin.backup"
    with app.app_context():
        writing = db.engine.connect()
        writing.execute(insert(Role.__table__).values(name="half-written"))
        try:
            made = run(app, "backup", str(backup))
        finally:
            writing.rollback()
            writing.close()
    wipe(app)
    assert run(app, "restore", str(backup), "--yes").exit_code == 0

    assert made.exit_code == 0, made.output
    assert snapshot(app) == demo
