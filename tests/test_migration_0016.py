"""Migration 0016 fills the all-partners report days from the partners' rows."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from admin_app import create_app
from admin_app.extensions import db
from tests.conftest import settings_for_tests
from tests.databases import fresh_database


def insert_report_days_of_two_partners() -> None:
    now = {"now": "2026-01-01 00:00:00"}
    statements = (
        'INSERT INTO "user" (id, email, active, fs_uniquifier, create_datetime, update_datetime)'
        " VALUES (1, 'p1@walkin.example.com', true, 'u1', :now, :now),"
        " (2, 'p2@walkin.example.com', true, 'u2', :now, :now)",
        "INSERT INTO report_day (partner_id, day, service_type_id, opened, completed, revenue,"
        " handle_b3) VALUES (1, '2026-03-01', 0, 2, 1, 12.50, 1),"
        " (2, '2026-03-01', 0, 3, 2, 7.25, 2), (2, '2026-03-02', 5, 1, 0, 0, 0)",
    )
    for statement in statements:
        db.session.execute(text(statement), now)
    db.session.commit()


def all_partner_days() -> list[tuple]:
    query = text(
        "SELECT day, service_type_id, opened, completed, revenue, handle_b3 FROM report_day_all"
        " ORDER BY day, service_type_id"
    )
    with db.engine.connect() as connection:
        return [
            (str(day), service, opened, completed, f"{revenue:.2f}", bucket)
            for day, service, opened, completed, revenue, bucket in connection.execute(query)
        ]


def test_migration_0016_sums_the_partners_days_per_day_and_service_type(tmp_path):
    with fresh_database(tmp_path, "all_partner_days") as url:
        app = create_app(settings_for_tests(url))
        with app.app_context():
            upgrade(revision="0015")
            insert_report_days_of_two_partners()
            upgrade()

            assert all_partner_days() == [
                ("2026-03-01", 0, 5, 3, "19.75", 3),
                ("2026-03-02", 5, 1, 0, "0.00", 0),
            ]

            downgrade(revision="0015")
            assert "report_day_all" not in inspect(db.engine).get_table_names()
            db.session.remove()
            db.engine.dispose()
