"""The audit log's page, for admins: actions and details in words (English and French), the
account each event concerns, filters by action and account through the indexes, times with
their zone named, and the same capped list as clients and missions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from admin_app.admin.audit import ACTION_WORDS
from admin_app.data.models import AuditEvent
from admin_app.extensions import db
from admin_app.platform.audit import record
from tests.conftest import Account, attempt_login, log_in, post_with_csrf

ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
TAG = re.compile(r"<[^>]+>")
#: An action recorded by name, or chosen by name for ``record`` (``authn._outcome``).
RECORDED_ACTION = re.compile(r"\brecord\(\s*\"([^\"]+)\"|\breturn \"([a-z_]+\.[a-z_]+)\"")


def log_rows(client, url: str = "/admin/audit/", **headers: str) -> list[str]:
    """The text of each row of the audit list at ``url`` (tags removed, spaces collapsed)."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    start = page.index("model-list")
    table = page[start : page.index("</table>", start)]
    return [" ".join(TAG.sub(" ", row).split()) for row in ROW.findall(table)[1:]]


def record_at(app, action: str, at: datetime, **fields) -> None:
    with app.app_context():
        record(action, **fields)
        db.session.execute(update(AuditEvent).where(AuditEvent.action == action).values(at=at))
        db.session.commit()


@pytest.fixture
def admin_client(app, world):
    admin = app.test_client()
    log_in(admin, world.admin)
    return admin


def test_every_action_the_code_records_has_words_in_the_log():
    sources = Path(__file__).parents[1].joinpath("admin_app").rglob("*.py")
    recorded = {
        code
        for path in sources
        for codes in RECORDED_ACTION.findall(path.read_text())
        for code in codes
        if code
    }

    assert "login.failure" in recorded and "account.update" in recorded
    assert recorded - set(ACTION_WORDS) == set()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Login refused", "Step: password", "Account changed", "Roles: Support",
                "Active: no", "Logged in"]),
        ("fr", ["Connexion refusée", "Étape : mot de passe", "Compte modifié",
                "Rôles : Support", "Actif : non", "Connecté"]),
    ],
)  # fmt: skip
def test_actions_and_details_read_in_words(app, world, admin_client, language, words):
    attempt_login(app.test_client(), Account(0, world.partner_a.email, "not-the-password"))
    post_with_csrf(
        admin_client, f"/admin/accounts/edit/?id={world.support.id}", {"roles": ["support"]}
    )

    rows = " | ".join(log_rows(admin_client, **{"Accept-Language": language}))

    for word in words:
        assert word in rows
    assert "login.failure" not in rows and '"step"' not in rows and "{" not in rows


def test_an_action_the_log_has_no_words_for_shows_its_code(app, admin_client):
    with app.app_context():
        record("login.throttled", details={"email": "a@example.com", "tries": [1, 2]})

    newest = log_rows(admin_client)[0]

    assert "login.throttled" in newest and "a@example.com" in newest and "tries: 1, 2" in newest


def test_details_that_are_not_an_object_show_as_they_are_escaped(app, admin_client):
    with app.app_context():
        db.session.add(AuditEvent(at=datetime.now(UTC), action="export", details="<b>not json</b>"))
        db.session.commit()

    page = admin_client.get("/admin/audit/").get_data(as_text=True)

    assert "&lt;b&gt;not json&lt;/b&gt;" in page and "<b>not json</b>" not in page


def test_every_event_names_the_account_and_the_log_filters_by_it(app, world, admin_client):
    attempt_login(app.test_client(), Account(0, world.partner_a.email.upper(), "wrong-one-1"))
    log_in(app.test_client(), world.partner_b)
    post_with_csrf(
        admin_client, f"/admin/accounts/edit/?id={world.support.id}", {"roles": ["support"]}
    )

    everything = log_rows(admin_client)
    of_a = log_rows(admin_client, f"/admin/audit/?flt0_1={world.partner_a.email.title()}")

    assert all("@walkin.example.com" in row for row in everything)
    changed = next(row for row in everything if "Account changed" in row)
    assert changed.index(world.support.email) < changed.index(world.admin.email)
    assert len(of_a) == 1 and "Login refused" in of_a[0] and world.partner_a.email in of_a[0]
    link = f'href="/admin/audit/?flt0_1={world.partner_a.email}"'
    assert link in admin_client.get("/admin/audit/").get_data(as_text=True)


def test_the_action_filter_offers_the_actions_in_words_and_keeps_only_that_one(
    app, world, admin_client
):
    attempt_login(app.test_client(), Account(0, world.partner_a.email, "wrong-one-1"))
    log_in(app.test_client(), world.partner_b)

    page = admin_client.get("/admin/audit/", headers={"Accept-Language": "fr"})
    failures = log_rows(admin_client, "/admin/audit/?flt0_0=login.failure")
    unknown = admin_client.get("/admin/audit/?flt0_0=login.nothing").get_data(as_text=True)

    assert '["login.failure", "Connexion refus' in page.get_data(as_text=True)
    assert len(failures) == 1 and "Login refused" in failures[0]
    assert "Invalid Filter Value" in unknown


@pytest.mark.parametrize(
    ("zone", "at", "shown"),
    [
        ("Europe/Paris", datetime(2026, 1, 12, 20, 5, tzinfo=UTC), "9:05 PM CET"),
        ("Europe/Paris", datetime(2026, 7, 12, 20, 5, tzinfo=UTC), "10:05 PM CEST"),
        ("America/New_York", datetime(2026, 1, 12, 20, 5, tzinfo=UTC), "3:05 PM EST"),
        (None, datetime(2026, 1, 12, 20, 5, tzinfo=UTC), "8:05 PM UTC"),
    ],
)
def test_times_in_the_log_name_their_zone(app, admin_client, zone, at, shown):
    if zone:
        admin_client.set_cookie("tz", zone)
    record_at(app, "export", at, details={"type": "csv"})

    assert shown in log_rows(admin_client, "/admin/audit/?flt0_0=export")[0]


def test_the_log_counts_up_to_the_cap_like_the_other_lists(app, admin_client, monkeypatch):
    monkeypatch.setitem(app.config, "LIST_COUNT_CAP", 5)
    with app.app_context():
        for _ in range(8):
            record("export", details={"type": "csv"})

    page = admin_client.get("/admin/audit/?flt0_0=export").get_data(as_text=True)

    assert "List (5+)" in page
    assert len(log_rows(admin_client, "/admin/audit/?flt0_0=export")) == 8


def page_statement(app, client, url: str) -> tuple[str, object]:
    """The statement that reads the page's rows of the audit list at ``url``."""
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM audit_event" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert len(seen) == 1, seen
    return seen[0]


def query_plan(app, statement: str, parameters: object) -> str:
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in rows)
        # A few rows: without this PostgreSQL reads the whole table, whatever its indexes.
        connection.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(
            row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        )


@pytest.mark.parametrize(
    ("url", "index"),
    [
        ("/admin/audit/", "ix_audit_event_at"),
        ("/admin/audit/?flt0_0=export", "ix_audit_event_action"),
        ("/admin/audit/?flt0_0=export&flt0_4=2026-01-01", "ix_audit_event_action"),
        ("/admin/audit/?flt0_1=u1@walkin.example.com", "ix_audit_event_account"),
        ("/admin/audit/?flt0_2=10.0.0.1", "ix_audit_event_address"),
    ],
)
def test_the_log_reads_a_page_through_the_index_of_its_order_or_filter(
    app, admin_client, url, index
):
    with app.app_context():
        for number in range(30):
            record("export", details={"email": f"u{number % 3}@walkin.example.com"})

    plan = query_plan(app, *page_statement(app, admin_client, url))

    assert index in plan, plan
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Only the page's own rows are sorted; their ids come from the index in order.
        assert plan.count("TEMP B-TREE") == 1, plan


def test_an_events_own_page_reads_in_words_too(app, world, admin_client):
    attempt_login(app.test_client(), Account(0, world.partner_a.email, "not-the-password"))
    with app.app_context():
        failure = db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "login.failure")
        ).one()

    page = admin_client.get(
        f"/admin/audit/details/?id={failure}", headers={"Accept-Language": "fr"}
    )

    text = " ".join(TAG.sub(" ", page.get_data(as_text=True)).split())
    assert page.status_code == 200
    assert "Connexion refusée" in text and "Étape : mot de passe" in text
    assert world.partner_a.email in text
