"""Migration 0011 on a database that holds rows of the schema before it: emails lower-cased,
the duplicate check's indexes built on each database, rows kept both ways."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from admin_app import create_app
from admin_app.data.models import User
from admin_app.domain.duplicates import likely_duplicates
from admin_app.extensions import db
from tests.conftest import settings_for_tests
from tests.databases import fresh_database

DUPLICATE_INDEXES = {
    "ix_walk_in_client_partner_email": ["partner_id", "email"],
    "ix_walk_in_client_partner_phone": ["partner_id", "phone"],
    "ix_walk_in_client_partner_city_last_first": [
        "partner_id", "city_key", "last_name_key", "first_name_key", "id",
    ],
    "ix_walk_in_client_partner_city_first_last": [
        "partner_id", "city_key", "first_name_key", "last_name_key", "id",
    ],
}  # fmt: skip


def insert_rows_of_revision_0008() -> None:
    now = {"now": "2026-01-01 00:00:00"}
    statements = (
        'INSERT INTO "user" (id, email, active, fs_uniquifier, create_datetime, update_datetime)'
        " VALUES (1, 'p@walkin.example.com', true, 'u1', :now, :now)",
        "INSERT INTO role (id, name) VALUES (1, 'partner')",
        "INSERT INTO roles_users (user_id, role_id) VALUES (1, 1)",
        "INSERT INTO walk_in_client (id, first_name, last_name, email, phone, city, created_at,"
        " updated_at, partner_id, first_name_key, last_name_key, city_key) VALUES"
        " ('c', 'Élodie', 'Durand', 'Elodie@Example.COM', '+33612345678', 'Paris', :now, :now,"
        " 1, 'elodie', 'durand', 'paris')",
        "INSERT INTO walk_in_mission (id, client_id, partner_id, status, created_at, updated_at)"
        " VALUES ('m', 'c', 1, 'pending', :now, :now)",
        "INSERT INTO mission_event (mission_id, actor_id, to_status, at)"
        " VALUES ('m', 1, 'pending', :now)",
    )
    for statement in statements:
        db.session.execute(text(statement), now)
    db.session.commit()


def client_rows() -> list[tuple]:
    with db.engine.connect() as connection:
        query = text("SELECT c.id, c.email FROM walk_in_client c JOIN walk_in_mission m ON m.client_id"
                     " = c.id")  # fmt: skip
        return [tuple(row) for row in connection.execute(query)]


def indexes() -> dict[str, list[str]]:
    found = inspect(db.engine).get_indexes("walk_in_client")
    return {index["name"]: index["column_names"] for index in found}


def test_migration_0011_lowercases_emails_and_builds_the_duplicate_check_indexes(tmp_path):
    with fresh_database(tmp_path, "duplicates") as url:
        app = create_app(settings_for_tests(url))
        with app.app_context():
            upgrade(revision="0008")
            insert_rows_of_revision_0008()
            upgrade()

            assert client_rows() == [("c", "elodie@example.com")]
            assert DUPLICATE_INDEXES.items() <= indexes().items()
            assert "mission_merge" in inspect(db.engine).get_table_names()
            partner = db.session.get_one(User, 1)
            found = likely_duplicates(partner, {"email": "ELODIE@example.com"})
            assert [duplicate.client.id for duplicate in found] == ["c"]
            db.session.remove()

            downgrade(revision="0008")
            assert client_rows() == [("c", "elodie@example.com")]
            assert "ix_walk_in_client_partner_city_last_first" not in indexes()
            upgrade()
            assert DUPLICATE_INDEXES.items() <= indexes().items()
            db.session.remove()
            db.engine.dispose()
