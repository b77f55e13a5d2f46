"""The logged-in account is read with its session row, in the same statement
(``platform/session_user.py``): no statement of its own, and still what the database holds on
every request (deactivation, roles, a staff account's shop), tracked as if a query loaded it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select, update

from admin_app.data.models import Role, RoleName, User
from admin_app.extensions import db, security
from tests.conftest import log_in

USER_TABLE = ('FROM "user"', "FROM user ", 'JOIN "user"', "JOIN user ")


@contextmanager
def statements_of(app) -> Iterator[list[str]]:
    seen: list[str] = []

    def keep(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def reads_accounts(statement: str) -> bool:
    return any(part in statement for part in USER_TABLE)


def test_a_logged_in_request_reads_the_account_only_with_its_session_row(app, client, login_as):
    login_as(RoleName.PARTNER)

    with statements_of(app) as statements:
        assert client.get("/change").status_code == 200

    account_reads = [s for s in statements if reads_accounts(s)]
    assert len(account_reads) == 1, account_reads
    assert "web_session" in account_reads[0]


def test_a_staff_accounts_shop_comes_with_the_session_row(app, client, world):
    log_in(client, world.staff_a)

    with statements_of(app) as statements:
        assert client.get("/change").status_code == 200

    assert [s for s in statements if reads_accounts(s) and "web_session" not in s] == []
    assert "Alice" in client.get("/admin/clients/").get_data(as_text=True)


def test_an_account_deactivated_in_the_database_is_logged_out_at_its_next_request(
    app, client, login_as
):
    account = login_as(RoleName.PARTNER)
    with app.app_context():
        db.session.execute(update(User).where(User.id == account.id).values(active=False))
        db.session.commit()

    assert client.get("/admin/").status_code == 302


def test_a_role_taken_away_counts_from_the_next_request(app, client, login_as):
    account = login_as(RoleName.SUPPORT)
    assert client.get("/admin/search/?q=x").status_code == 200
    with app.app_context():
        user = db.session.get_one(User, account.id)
        security.datastore.remove_role_from_user(user, RoleName.SUPPORT.value)
        db.session.commit()

    assert client.get("/admin/search/?q=x").status_code in (302, 403)


def test_reading_the_account_with_the_session_writes_nothing(app, client, login_as):
    login_as(RoleName.PARTNER)

    with statements_of(app) as statements:
        assert client.get("/admin/").status_code == 200

    writes = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert not [s for s in writes if reads_accounts(s.replace("UPDATE", "FROM"))], writes


def test_an_account_built_from_the_row_saves_its_changes(app, make_account):
    from flask_login import current_user

    account = make_account(RoleName.PARTNER)
    browser = app.test_client()
    log_in(browser, account)
    cookie = browser.get_cookie("session").value

    with app.test_request_context("/admin/", headers={"Cookie": f"session={cookie}"}):
        app.preprocess_request()
        user = current_user._get_current_object()
        assert db.session.identity_map.get(db.session.identity_key(User, account.id)) is user
        assert [role.name for role in user.roles] == [RoleName.PARTNER.value]
        assert not db.session.dirty and not db.session.new
        user.mf_recovery_codes = ["one", "two"]
        db.session.commit()
        user.mf_recovery_codes.remove("one")
        user.shop_name = "Chez Paul"
        db.session.commit()

    with app.app_context():
        saved = db.session.get_one(User, account.id)
        assert saved.mf_recovery_codes == ["two"] and saved.shop_name == "Chez Paul"
        assert db.session.scalar(select(Role.name).where(Role.name == "partner")) == "partner"
