"""Two app servers (separate gunicorn processes on their own ports) share one PostgreSQL
database and one Redis: a session started on one is the same session on the other, ending it
on one ends it on both, the login throttle counts across both, the dashboard's totals stay
exact under registrations on both, and the conflict load through both loses no update."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pytest
import redis
import requests
from sqlalchemy import create_engine, func, select

from tests.databases import server_url

pytestmark = pytest.mark.skipif(
    server_url() is None, reason="two app servers share a PostgreSQL database (TEST_DATABASE_URL)"
)

#: A Redis database of this file's own, emptied before its servers start.
REDIS_URL = "redis://127.0.0.1:6379/12"
WRONG_PASSWORD = "not-the-password-at-all"  # noqa: S105 - a wrong password, on purpose
FAILURES_ALLOWED = 4


@dataclass
class Servers:
    database_url: str
    settings: dict[str, str]
    a: str
    b: str


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    from bench.conflict_load import free_port, fresh_postgres, server

    settings = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(32),
        "TOTP_SECRET": secrets.token_urlsafe(32),
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "LOGIN_FAILURES_PER_ACCOUNT": f"{FAILURES_ALLOWED} per 15 minutes",
        "LOGIN_FAILURES_PER_ADDRESS": "1000 per minute",
    }
    redis.Redis.from_url(REDIS_URL).flushdb()
    with fresh_postgres(server_url(), prefix="walkin_two") as database_url:
        migrate(database_url, settings)
        with ExitStack() as running:
            a, b = (
                running.enter_context(server(database_url, settings, free_port())) for _ in range(2)
            )
            yield Servers(database_url, settings, a, b)


def migrate(database_url: str, settings: dict[str, str]) -> None:
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.platform.security import ensure_roles

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    with app.app_context():
        upgrade()
        ensure_roles()
        db.engine.dispose()


@contextmanager
def in_app(servers: Servers, request: bool = False) -> Iterator[None]:
    """The app's context (a request's, with ``request``) over the servers' database; its
    connections closed afterwards."""
    from admin_app import create_app
    from admin_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": servers.database_url, **servers.settings})
    with app.test_request_context() if request else app.app_context():
        yield
    with app.app_context():
        db.engine.dispose()


def new_partner(servers: Servers) -> tuple[int, str, str]:
    """(id, email, password) of a new partner account."""
    from flask_security import hash_password

    from admin_app.extensions import db, security

    email = f"shop-{secrets.token_hex(4)}@walkin.example.com"
    password = secrets.token_urlsafe(16)
    with in_app(servers):
        user = security.datastore.create_user(
            email=email, password=hash_password(password), active=True, roles=["partner"]
        )
        db.session.commit()
        user_id = user.id
    return user_id, email, password


def logged_in(base: str, email: str, password: str) -> requests.Session:
    from bench.conflict_load import log_in

    browser = log_in(base, email, password)
    assert browser.get(f"{base}/admin/", timeout=10, allow_redirects=False).status_code == 200
    return browser


def panel_status(browser: requests.Session, base: str) -> int:
    return browser.get(f"{base}/admin/", timeout=10, allow_redirects=False).status_code


def test_a_login_on_one_server_is_valid_on_the_other(servers):
    _, email, password = new_partner(servers)
    browser = logged_in(servers.a, email, password)

    assert panel_status(browser, servers.b) == 200


def test_a_logout_on_one_server_ends_the_session_on_the_other(servers):
    from bench.conflict_load import token

    _, email, password = new_partner(servers)
    browser = logged_in(servers.a, email, password)
    copied = requests.Session()
    copied.cookies.update(browser.cookies)
    csrf = token(browser.get(f"{servers.a}/admin/", timeout=10).text)

    browser.post(f"{servers.a}/logout", data={"csrf_token": csrf}, timeout=10)

    assert panel_status(copied, servers.b) == 302
    assert panel_status(copied, servers.a) == 302


def test_a_deactivation_ends_the_accounts_sessions_on_both_servers(servers):
    from admin_app.data.models import RoleName, User
    from admin_app.domain.accounts import update_account
    from admin_app.extensions import db

    user_id, email, password = new_partner(servers)
    on_a = logged_in(servers.a, email, password)
    on_b = logged_in(servers.b, email, password)

    with in_app(servers, request=True):
        update_account(db.session.get_one(User, user_id), roles=[RoleName.PARTNER], active=False)

    assert panel_status(on_a, servers.a) == 302 and panel_status(on_a, servers.b) == 302
    assert panel_status(on_b, servers.b) == 302 and panel_status(on_b, servers.a) == 302


def test_the_login_throttle_counts_failures_made_on_both_servers(servers):
    from bench.conflict_load import token

    _, email, password = new_partner(servers)

    def attempt(base: str, typed: str) -> int:
        browser = requests.Session()
        csrf = token(browser.get(f"{base}/login", timeout=10).text)
        answer = browser.post(
            f"{base}/login",
            data={"email": email, "password": typed, "csrf_token": csrf},
            timeout=10,
            allow_redirects=False,
        )
        return answer.status_code

    failures = [attempt((servers.a, servers.b)[n % 2], WRONG_PASSWORD) for n in range(4)]

    assert 429 not in failures  # two failures on each server: under the limit of four
    assert attempt(servers.a, password) == 429
    assert attempt(servers.b, password) == 429


def test_dashboard_totals_stay_exact_under_registrations_on_both_servers(servers):
    from admin_app.data.models import Client, Mission
    from bench.conflict_load import Tally, log_in, register, token

    user_id, email, password = new_partner(servers)
    tally = Tally()

    def register_on(base: str, count: int) -> None:
        browser = log_in(base, email, password)
        csrf = token(browser.get(f"{base}/admin/", timeout=10).text)
        for _ in range(count):
            register(browser, base, csrf, tally)

    threads = [threading.Thread(target=register_on, args=(base, 12)) for base in (servers.a,
               servers.b, servers.a, servers.b)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    engine = create_engine(servers.database_url)
    with engine.connect() as connection:
        clients = connection.scalar(
            select(func.count()).select_from(Client).where(Client.partner_id == user_id)
        )
        missions = connection.scalar(
            select(func.count()).select_from(Mission).where(Mission.partner_id == user_id)
        )
    engine.dispose()
    assert tally.counts == {"registration saved": 48} and clients == missions == 48
    browser = log_in(servers.a, email, password)
    for base in (servers.a, servers.b):
        figures = browser.get(f"{base}/admin/figures.json", timeout=10).json()
        assert (figures["clients"], figures["active"], figures["completed"]) == (48, 48, 0)


def test_the_conflict_load_through_both_servers_loses_no_update():
    from bench.conflict_load import run

    tally, problems = run(server_url(), clients=6, seconds=4, missions=10, servers=2)

    assert problems == [], tally.counts
    assert tally.counts["note added"] > 0 and tally.counts["transition done"] > 0
    assert tally.counts["registration saved"] > 0
