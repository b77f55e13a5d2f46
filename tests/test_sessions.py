"""Server-side sessions: copied cookies stop working after logout, password change or
deactivation; new id at login; idle and absolute expiry; cookie flags."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import event, select

from admin_app.data.models import RoleName, WebSession
from admin_app.extensions import db
from admin_app.platform.sessions import MAX_FLASHES
from tests.conftest import csrf_token, log_in, post_with_csrf

COOKIE = "session"


def session_cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def replay(app, value: str) -> int:
    """Status of /admin/ for a new browser that carries a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, value)
    return thief.get("/admin/").status_code


def test_copied_cookie_works_until_logout_and_never_after(app, client, login_as):
    login_as(RoleName.PARTNER)
    copied = session_cookie(client)
    assert replay(app, copied) == 200

    post_with_csrf(client, "/logout")

    assert replay(app, copied) == 302
    assert client.get("/admin/").status_code == 302


def test_copied_cookie_dies_when_the_password_changes(app, client, login_as):
    account = login_as(RoleName.PARTNER)
    other_device = app.test_client()
    log_in(other_device, account)
    copied = session_cookie(client)

    response = client.post(
        "/change",
        data={
            "password": account.password,
            "new_password": "a-completely-new-Passphrase-91",
            "new_password_confirm": "a-completely-new-Passphrase-91",
            "csrf_token": csrf_token(client, "/change"),
        },
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200  # the device that changed it stays in
    assert replay(app, copied) == 302
    assert other_device.get("/admin/").status_code == 302


def test_deactivation_by_an_admin_ends_every_session_of_the_account(app, client, world):
    log_in(client, world.partner_a)
    copied = session_cookie(client)
    admin = app.test_client()
    log_in(admin, world.admin)

    post_with_csrf(admin, f"/admin/accounts/edit/?id={world.partner_a.id}", {"roles": ["partner"]})
    post_with_csrf(
        admin,
        f"/admin/accounts/edit/?id={world.partner_a.id}",
        {"roles": ["partner"], "active": "y"},
    )

    assert client.get("/admin/").status_code == 302
    assert replay(app, copied) == 302


def test_session_id_changes_at_login(client, make_account):
    client.post("/language", data={"language": "fr", "csrf_token": csrf_token(client, "/login")})
    before = session_cookie(client)

    log_in(client, make_account(RoleName.SUPPORT))

    assert session_cookie(client) != before


def move_clocks(app, **delta: timedelta) -> None:
    with app.app_context():
        for row in db.session.scalars(select(WebSession)):
            for column, shift in delta.items():
                setattr(row, column, getattr(row, column) - shift)
        db.session.commit()


def test_idle_session_expires(app, client, login_as):
    login_as(RoleName.PARTNER)
    move_clocks(app, last_seen_at=timedelta(minutes=31))

    assert client.get("/admin/").status_code == 302


def test_recently_used_session_lives_on(app, client, login_as):
    login_as(RoleName.PARTNER)
    move_clocks(app, last_seen_at=timedelta(minutes=29), created_at=timedelta(hours=11))

    assert client.get("/admin/").status_code == 200


def test_session_expires_after_twelve_hours_even_when_used(app, client, login_as):
    login_as(RoleName.PARTNER)
    move_clocks(app, created_at=timedelta(hours=12, minutes=1))

    assert client.get("/admin/").status_code == 302


def open_transaction(dbapi_connection) -> bool:
    """Whether the driver's connection holds a transaction (psycopg or sqlite3)."""
    info = getattr(dbapi_connection, "info", None)
    if info is not None and hasattr(info, "transaction_status"):
        from psycopg.pq import TransactionStatus

        return info.transaction_status != TransactionStatus.IDLE
    return dbapi_connection.in_transaction


def test_the_sessions_lookup_leaves_no_transaction_to_commit(app, client, login_as):
    login_as(RoleName.PARTNER)
    after_lookup: list[bool] = []

    def note(connection, cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT") and "FROM web_session" in statement:
            after_lookup.append(open_transaction(connection.connection.dbapi_connection))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", note)
    try:
        assert client.get("/admin/").status_code == 200
    finally:
        event.remove(engine, "after_cursor_execute", note)

    # One lookup, and no BEGIN nor COMMIT round trip around it (PostgreSQL: autocommit).
    assert after_lookup == [False]


def test_the_table_holds_a_digest_not_the_cookie(app, client, login_as):
    login_as(RoleName.PARTNER)
    value = session_cookie(client)

    with app.app_context():
        ids = db.session.scalars(select(WebSession.id)).all()
    assert hashlib.sha256(value.encode()).hexdigest() in ids and value not in ids


def test_cookie_flags(app, monkeypatch):
    plain = app.test_client().get("/login").headers["Set-Cookie"]
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    secure = app.test_client().get("/login", base_url="https://localhost").headers["Set-Cookie"]

    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    assert "Secure" in secure


def session_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(WebSession))


def test_expired_rows_are_pruned_on_a_schedule_by_any_request(
    app, client, login_as, make_account, monkeypatch
):
    login_as(RoleName.PARTNER)
    log_in(app.test_client(), make_account(RoleName.SUPPORT))
    move_clocks(app, last_seen_at=timedelta(hours=1))
    monkeypatch.setattr(app.session_interface, "next_prune", 0.0)

    app.test_client().get("/login")  # anonymous: it writes nothing of its own

    assert session_rows(app) == 0
    assert app.session_interface.next_prune > 0


def test_rows_are_pruned_at_most_once_a_minute(app, client, login_as, monkeypatch):
    monkeypatch.setattr(app.session_interface, "next_prune", 0.0)
    app.test_client().get("/login")
    login_as(RoleName.PARTNER)
    move_clocks(app, last_seen_at=timedelta(hours=1))

    app.test_client().get("/login")

    assert session_rows(app) == 1


def test_a_visitor_who_only_opens_the_login_page_leaves_no_row(app, make_account):
    visitors = [app.test_client() for _ in range(20)]
    pages = [visitor.get("/login") for visitor in visitors]

    assert all(page.status_code == 200 for page in pages) and session_rows(app) == 0
    account = make_account(RoleName.PARTNER)
    assert log_in(visitors[0], account).status_code == 302
    assert session_rows(app) == 1 and visitors[0].get("/admin/").status_code == 200


def test_a_forged_csrf_cookie_is_worth_nothing(app, make_account):
    visitor = app.test_client()
    visitor.set_cookie("csrf", "forged")
    account = make_account(RoleName.PARTNER)

    refused = visitor.post(
        "/login", data={"email": account.email, "password": account.password, "csrf_token": "x"}
    )

    assert refused.status_code == 400 and session_rows(app) == 0


def test_remember_me_is_never_granted(client, make_account):
    account = make_account(RoleName.PARTNER)

    response = client.post(
        "/login",
        data={"email": account.email, "password": account.password, "remember": "y",
              "csrf_token": csrf_token(client, "/login")},
    )  # fmt: skip

    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None
    assert (
        "remember"
        not in client.application.test_client().get("/login").get_data(as_text=True).lower()
    )


def test_messages_never_shown_stop_piling_up_in_the_session(app, client, world):
    """A client that posts forms without following the redirects (a script, a load test) keeps
    only the newest messages: its session row stays small, and the last one still shows."""
    log_in(client, world.partner_a)
    token = csrf_token(client, "/admin/missions/")
    for _ in range(MAX_FLASHES * 5):
        client.post(
            "/admin/missions/transition/",
            data={"id": world.a_mission, "action": "complete", "csrf_token": token},
        )
    digest = hashlib.sha256(session_cookie(client).encode()).hexdigest()
    with app.app_context():
        stored = db.session.scalar(select(WebSession.data).where(WebSession.id == digest))

    page = client.get("/admin/missions/").get_data(as_text=True)

    assert stored.count("Not done") == MAX_FLASHES and len(stored) < 3_000
    assert "Not done: still pending." in page
