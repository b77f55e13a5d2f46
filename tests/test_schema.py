"""The migrations build exactly the models' schema, and the database enforces its rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from admin_app import SQLITE_MMAP_BYTES, create_app
from admin_app.config import sqlite_file
from admin_app.data.models import RoleName, made_on
from admin_app.domain.missions import register_walk_in_client
from admin_app.extensions import db
from tests.conftest import csrf_token, settings_for_tests
from tests.databases import fresh_database

APP_TABLES = {
    "user", "role", "roles_users", "walk_in_client", "walk_in_mission", "mission_event",
    "mission_note",
}  # fmt: skip


def schema_differences() -> list:
    with db.engine.connect() as connection:
        dialect = connection.dialect.name

        def on_this_database(item, name, type_, reflected, compare_to) -> bool:
            return reflected or made_on(item, dialect)

        options = {"include_object": on_this_database}
        return compare_metadata(MigrationContext.configure(connection, opts=options), db.metadata)


def test_migrated_schema_matches_the_models(ctx):
    assert schema_differences() == []


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    with fresh_database(tmp_path, "migrations") as url:
        app = create_app(settings_for_tests(url))
        with app.app_context():
            upgrade()
            assert APP_TABLES <= set(inspect(db.engine).get_table_names())
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            assert not leftover_enum_types()
            upgrade()
            assert schema_differences() == []
            db.engine.dispose()


def leftover_enum_types() -> list[str]:
    if db.engine.dialect.name != "postgresql":
        return []
    with db.engine.connect() as connection:
        return list(connection.execute(text("SELECT typname FROM pg_type WHERE typtype = 'e'")))


def test_expected_indexes_exist(ctx):
    inspector = inspect(db.engine)
    indexed = {
        table: {tuple(index["column_names"]) for index in inspector.get_indexes(table)}
        for table in ("walk_in_client", "walk_in_mission", "audit_event")
    }

    assert {
        ("partner_id", "status", "created_at", "id"),
        ("partner_id", "created_at", "id"),
        ("status", "created_at", "id"),
        ("created_at", "id", "client_id"),
        ("client_id", "created_at", "partner_id", "id"),
    } <= indexed["walk_in_mission"]
    assert {
        ("partner_id", "created_at", "id"),
        ("created_at", "id"),
    } <= indexed["walk_in_client"]
    # The audit log's order, then each of its filters in that order (``admin/audit.py``).
    assert {
        ("at", "id"),
        ("action", "at", "id"),
        ("account_email", "at", "id"),
        ("address", "at", "id"),
    } <= indexed["audit_event"]


def test_search_keys_are_read_through_btrees_in_byte_order(ctx):
    """Both databases answer a search from the same B-trees, compared byte by byte (on
    PostgreSQL too, whatever its collation), so a range of keys is the keys with a prefix."""
    inspector = inspect(db.engine)
    indexed = {tuple(index["column_names"]) for index in inspector.get_indexes("client_search_key")}
    assert {("key", "client_id"), ("partner_id", "key", "client_id")} <= indexed
    primary_key = inspector.get_pk_constraint("client_search_key")["constrained_columns"]
    assert primary_key == ["client_id", "key"]
    if db.engine.dialect.name == "postgresql":
        key = next(c for c in inspector.get_columns("client_search_key") if c["name"] == "key")
        assert key["type"].collation == "C"


def test_sqlite_connections_enforce_foreign_keys_use_wal_and_map_the_file(ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA mmap_size")).scalar() == SQLITE_MMAP_BYTES


def test_database_refuses_a_status_outside_the_enum(make_user):
    partner = make_user(RoleName.PARTNER)
    _, mission = register_walk_in_client(
        partner, first_name="Ana", last_name="Lima", email="a@example.com", phone="+33612345678"
    )

    with pytest.raises((IntegrityError, DBAPIError)):
        db.session.execute(
            text("UPDATE walk_in_mission SET status = 'archived' WHERE id = :id"),
            {"id": mission.id},
        )
        db.session.flush()
    db.session.rollback()


def test_database_refuses_a_client_without_partner(ctx):
    with pytest.raises(IntegrityError):
        db.session.execute(
            text(
                "INSERT INTO walk_in_client (id, first_name, last_name, email, phone, created_at,"
                " updated_at, partner_id) VALUES ('x', 'A', 'B', 'a@b.co', '+1', :now, :now, 999)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )
    db.session.rollback()


def test_migrations_keep_existing_rows(tmp_path):
    """Upgrading and downgrading keep clients, missions and their history (SQLite's batch mode
    recreates tables; it must not cascade-delete the children)."""
    with fresh_database(tmp_path, "keep_rows") as url:
        app = create_app(settings_for_tests(url))
        with app.app_context():
            upgrade(revision="0001")
            insert_rows_of_revision_0001()
            upgrade()
            assert row_counts() == (1, 1, 1)
            assert rows_derived_by_0004() == [("a", "b", 1, 1)]
            downgrade(revision="0001")
            assert row_counts() == (1, 1, 1)
            upgrade()
            assert row_counts() == (1, 1, 1)
            db.session.remove()
            db.engine.dispose()


def insert_rows_of_revision_0001() -> None:
    now = {"now": "2026-01-01 00:00:00"}
    statements = (
        'INSERT INTO "user" (id, email, active, fs_uniquifier, create_datetime, update_datetime)'
        " VALUES (1, 'p@walkin.example.com', true, 'u1', :now, :now)",
        "INSERT INTO walk_in_client (id, first_name, last_name, email, phone, created_at,"
        " updated_at, partner_id) VALUES ('c', 'A', 'B', 'a@b.co', '+1', :now, :now, 1)",
        "INSERT INTO walk_in_mission (id, client_id, partner_id, status, created_at, updated_at)"
        " VALUES ('m', 'c', 1, 'pending', :now, :now)",
        "INSERT INTO mission_event (mission_id, actor_id, to_status, at) VALUES ('m', 1, 'pending', :now)",
    )
    for statement in statements:
        db.session.execute(text(statement), now)
    db.session.commit()


def rows_derived_by_0004() -> list[tuple]:
    """Revision 0004 fills the search keys and the partner totals from existing rows."""
    with db.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT first_name_key, last_name_key, clients, pending FROM walk_in_client"
                    " JOIN partner_tally ON partner_tally.partner_id = walk_in_client.partner_id"
                )
            )
        ]


def row_counts() -> tuple[int, int, int]:
    """Counted in a transaction of its own, so the next migration is not kept waiting."""
    with db.engine.connect() as connection:
        return tuple(
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("walk_in_client", "walk_in_mission", "mission_event")
        )


def test_migration_0006_names_the_account_of_events_already_recorded(tmp_path):
    """The account an event concerns: the email its details name, else its actor's."""
    with fresh_database(tmp_path, "audit_accounts") as url:
        app = create_app(settings_for_tests(url))
        with app.app_context():
            upgrade(revision="0005")
            insert_audit_events_of_revision_0005()
            upgrade()
            assert audit_accounts() == [
                ("login.failure", "tried@example.com"),
                ("login.success", "admin@walkin.example.com"),
                ("account.update", "partner@walkin.example.com"),
                ("login.failure", None),
                ("export", "admin@walkin.example.com"),
            ]
            downgrade(revision="0005")
            upgrade()
            assert len(audit_accounts()) == 5
            db.session.remove()
            db.engine.dispose()


def insert_audit_events_of_revision_0005() -> None:
    admin = "admin@walkin.example.com"
    events = (
        ("login.failure", None, '{"email": " Tried@Example.com", "step": "login"}'),
        ("login.success", admin, None),
        ("account.update", admin, '{"email": "partner@walkin.example.com", "active": true}'),
        ("login.failure", None, '{"email": "", "step": "two_factor_token_validation"}'),
        ("export", admin, '{"type": "csv"}'),
    )
    for action, actor, details in events:
        db.session.execute(
            text(
                "INSERT INTO audit_event (at, actor_email, action, details)"
                " VALUES (:now, :actor, :action, :details)"
            ),
            {"now": "2026-01-01 00:00:00", "actor": actor, "action": action, "details": details},
        )
    db.session.commit()


def audit_accounts() -> list[tuple]:
    with db.engine.connect() as connection:
        query = text("SELECT action, account_email FROM audit_event ORDER BY id")
        return [tuple(row) for row in connection.execute(query)]


def test_only_db_upgrade_creates_a_missing_sqlite_file(tmp_path):
    with fresh_database(tmp_path, "created") as url:
        path = sqlite_file(url)
        if path is None:
            pytest.skip("SQLite only: this run is on PostgreSQL")
        app = create_app(settings_for_tests(url))
        visitor = app.test_client()

        before = visitor.post(
            "/login",
            data={"email": "a@walkin.example.com", "password": "x" * 12,
                  "csrf_token": csrf_token(visitor, "/login")},
        )  # fmt: skip
        created_by_a_request = path.exists()
        upgraded = app.test_cli_runner().invoke(args=["db", "upgrade"])

        assert before.status_code == 503 and not created_by_a_request
        assert upgraded.exit_code == 0, upgraded.output
        assert path.exists() and app.test_client().get("/login").status_code == 200
        with app.app_context():
            db.engine.dispose()


def test_the_database_refuses_two_accounts_whose_emails_differ_only_by_case(ctx):
    def insert_account(email: str) -> None:
        db.session.execute(
            text(
                'INSERT INTO "user" (email, active, fs_uniquifier, create_datetime,'
                " update_datetime) VALUES (:email, true, :uniquifier, :now, :now)"
            ),
            {"email": email, "uniquifier": email, "now": "2026-01-01 00:00:00"},
        )

    insert_account("one.case@walkin.example.com")
    insert_account("another.case@walkin.example.com")
    with pytest.raises(IntegrityError, match="(?i)unique|duplicate"):
        insert_account("One.Case@walkin.example.com")
    db.session.rollback()


def test_migration_0009_fills_started_completed_and_cancelled_times_from_the_history(tmp_path):
    """Each time is the first entry into its status; bulk-loaded rows without history take
    their last change for the status they are in; a pending mission has none."""
    with fresh_database(tmp_path, "mission_times") as url:
        app = create_app(settings_for_tests(url))
        with app.app_context():
            upgrade(revision="0007")
            insert_missions_of_revision_0007()
            upgrade()
            assert mission_times() == MISSION_TIMES_FROM_HISTORY
            assert timeline_notes() == [
                ("done", 1, "p@walkin.example.com", 4, "Paid cash.\nReceipt given."),
                ("started", 1, "p@walkin.example.com", 4, "Wants <b>French</b> forms"),
            ]
            downgrade(revision="0007")
            assert row_counts() == (1, 6, 8)
            assert notes_of_revision_0007() == NOTES_OF_0007
            upgrade()
            assert mission_times() == MISSION_TIMES_FROM_HISTORY
            assert len(timeline_notes()) == 2
            db.session.remove()
            db.engine.dispose()


def test_migration_0010_gives_existing_accounts_no_shop_and_staff_go_with_their_shop(tmp_path):
    """On a database holding rows of revision 0007: every account keeps its rows and has no
    shop; a staff account added after is deleted with its shop (ON DELETE CASCADE)."""
    with fresh_database(tmp_path, "staff_shop") as url:
        app = create_app(settings_for_tests(url))
        with app.app_context():
            upgrade(revision="0007")
            insert_rows_of_revision_0001()
            upgrade()
            assert row_counts() == (1, 1, 1)
            assert shops() == [(1, None)]
            add_staff_account(shop_id=1)
            assert shops() == [(1, None), (2, 1)]
            downgrade(revision="0007")
            assert row_counts() == (1, 1, 1)
            upgrade()
            assert shops() == [(1, None), (2, None)]
            db.session.execute(text('UPDATE "user" SET shop_id = 1 WHERE id = 2'))
            db.session.execute(text("DELETE FROM walk_in_client"))
            db.session.execute(text('DELETE FROM "user" WHERE id = 1'))
            db.session.commit()
            assert shops() == []
            db.session.remove()
            db.engine.dispose()


#: Per mission: its status, then the times it was in each step (hours of 2026-01-01), and the
#: history entries (hour, from, to) it holds at revision 0007.
MISSIONS_OF_0007 = {
    "pending": ("pending", 1, [(1, None, "pending")]),
    "started": ("in_progress", 4, [(1, None, "pending"), (2, "pending", "in_progress")]),
    "done": ("completed", 4, [(1, None, "pending"), (3, "pending", "in_progress"),
                              (4, "in_progress", "completed")]),
    "dropped": ("cancelled", 6, [(1, None, "pending"), (5, "pending", "cancelled")]),
    "bulk_cancelled": ("cancelled", 7, []),
    "bulk_started": ("in_progress", 8, []),
}  # fmt: skip
#: The notes column of revision 0007 (becomes one timeline entry each; empty ones none).
NOTES_OF_0007 = {"started": "Wants <b>French</b> forms", "done": "Paid cash.\nReceipt given."}
MISSION_TIMES_FROM_HISTORY = [
    # id, started, completed, cancelled (hours), cancel reason
    ("bulk_cancelled", None, None, 7, None),
    ("bulk_started", 8, None, None, None),
    ("done", 3, 4, None, None),
    ("dropped", None, None, 5, None),
    ("pending", None, None, None, None),
    ("started", 2, None, None, None),
]


def at_hour(hour: int) -> str:
    return f"2026-01-01 {hour:02d}:00:00"


def insert_missions_of_revision_0007() -> None:
    db.session.execute(
        text(
            'INSERT INTO "user" (id, email, active, fs_uniquifier, create_datetime,'
            " update_datetime) VALUES (1, 'p@walkin.example.com', true, 'u1', :now, :now)"
        ),
        {"now": at_hour(0)},
    )
    db.session.execute(
        text(
            "INSERT INTO walk_in_client (id, first_name, last_name, email, phone, created_at,"
            " updated_at, partner_id) VALUES ('c', 'A', 'B', 'a@b.co', '+1', :now, :now, 1)"
        ),
        {"now": at_hour(0)},
    )
    for mission_id, (status, changed, events) in MISSIONS_OF_0007.items():
        completed = at_hour(changed) if status == "completed" else None
        db.session.execute(
            text(
                "INSERT INTO walk_in_mission (id, client_id, partner_id, status, notes, created_at,"
                " updated_at, completed_at) VALUES (:id, 'c', 1, :status, :notes, :created,"
                " :changed, :completed)"
            ),
            {"id": mission_id, "status": status, "created": at_hour(1), "changed": at_hour(changed),
             "completed": completed, "notes": NOTES_OF_0007.get(mission_id)},
        )  # fmt: skip
        for hour, from_status, to_status in events:
            db.session.execute(
                text(
                    "INSERT INTO mission_event (mission_id, actor_id, from_status, to_status, at)"
                    " VALUES (:id, 1, :from_status, :to_status, :at)"
                ),
                {"id": mission_id, "from_status": from_status, "to_status": to_status,
                 "at": at_hour(hour)},
            )  # fmt: skip
    db.session.commit()


def timeline_notes() -> list[tuple]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT mission_id, author_id, author_email, at, text FROM mission_note"
                " ORDER BY mission_id"
            )
        )
        return [(m, a, e, hour_of(at), t) for m, a, e, at, t in rows]


def notes_of_revision_0007() -> dict[str, str]:
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, notes FROM walk_in_mission"))
        return {mission_id: notes for mission_id, notes in rows if notes is not None}


def hour_of(value: object) -> int | None:
    if value is None:
        return None
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return stamp.astimezone(UTC).hour if stamp.tzinfo else stamp.hour


def mission_times() -> list[tuple]:
    hour = hour_of
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, started_at, completed_at, cancelled_at, cancel_reason"
                " FROM walk_in_mission ORDER BY id"
            )
        )
        return [(id_, hour(s), hour(c), hour(x), reason) for id_, s, c, x, reason in rows]


def add_staff_account(shop_id: int) -> None:
    db.session.execute(
        text(
            'INSERT INTO "user" (id, email, active, fs_uniquifier, create_datetime,'
            " update_datetime, shop_id) VALUES (2, 's@walkin.example.com', true, 'u2', :now,"
            " :now, :shop)"
        ),
        {"now": "2026-01-01 00:00:00", "shop": shop_id},
    )
    db.session.commit()


def shops() -> list[tuple]:
    with db.engine.connect() as connection:
        query = text('SELECT id, shop_id FROM "user" ORDER BY id')
        return [tuple(row) for row in connection.execute(query)]
